# The syntax gate: every .ps1 under client_tools parses with PowerShell's own parser and uses
# nothing newer than Windows PowerShell 5.1, which is what runs on the workstations. Also checks
# that the files are ASCII (5.1 reads a BOM-less file in the ANSI code page), that every web
# request has -TimeoutSec, and that the Windows-only calls stay inside their seam functions.

BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../../client_tools'
    $files = @(Get-ChildItem -Path $root -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.Name } })
}

BeforeAll {
    function Get-PostWindowsPowerShellFeatures {
        # Names of the PowerShell 6/7-only constructs found in a script's text.
        param([string]$Text)
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
        $found = New-Object System.Collections.ArrayList
        foreach ($e in $errors) { [void]$found.Add('parse error: ' + $e.Message + ' (line ' + $e.Extent.StartLineNumber + ')') }

        $kinds = @{
            'QuestionQuestion'       = 'null-coalescing ??'
            'QuestionQuestionEquals' = 'null-coalescing assignment ??='
            'QuestionDot'            = 'null-conditional ?.'
            'QuestionLBracket'       = 'null-conditional ?['
            'AndAnd'                 = 'pipeline chain &&'
            'OrOr'                   = 'pipeline chain ||'
            'Class'                  = 'class definition'
            'Enum'                   = 'enum definition'
            'Clean'                  = 'clean block'
        }
        foreach ($t in $tokens) {
            $k = [string]$t.Kind
            if ($kinds.ContainsKey($k)) {
                [void]$found.Add($kinds[$k] + ' (line ' + $t.Extent.StartLineNumber + ')')
            }
        }
        $nodes = $ast.FindAll({ $true }, $true)
        foreach ($n in $nodes) {
            $type = $n.GetType().Name
            $line = ' (line ' + $n.Extent.StartLineNumber + ')'
            if ($type -eq 'TernaryExpressionAst') { [void]$found.Add('ternary ?:' + $line) }
            elseif ($type -eq 'PipelineChainAst') { [void]$found.Add('pipeline chain' + $line) }
            elseif ($type -eq 'TypeDefinitionAst') { [void]$found.Add('class/enum definition' + $line) }
            elseif ($type -eq 'InvokeMemberExpressionAst' -and $n.Static -and $n.Member -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.Member.Value -eq 'new') {
                [void]$found.Add('::new()' + $line)
            }
            elseif ($type -eq 'PipelineAst' -and $n.PSObject.Properties['Background'] -and $n.Background) {
                [void]$found.Add('background operator &' + $line)
            }
            elseif ($type -eq 'UsingStatementAst') {
                # 'using namespace/module' is 5.0+, fine; nothing to flag
            }
        }
        return , $found.ToArray()
    }
}

Describe 'syntax gate: <Name>' -ForEach $files {
    It 'parses without errors' {
        $tokens = $null; $errors = $null
        [void][System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        @($errors | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Message)" }) | Should -BeNullOrEmpty
    }

    It 'uses nothing newer than Windows PowerShell 5.1' {
        Get-PostWindowsPowerShellFeatures -Text (Get-Content -Raw $Path) | Should -BeNullOrEmpty
    }

    It 'is ASCII (Windows PowerShell 5.1 reads a BOM-less file as ANSI)' {
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        $bad = @(for ($i = 0; $i -lt $bytes.Length; $i++) { if ($bytes[$i] -gt 127) { $i } })
        $bad.Count | Should -Be 0 -Because "non-ASCII bytes at offsets $($bad | Select-Object -First 5)"
    }

    It 'gives every web request a -TimeoutSec' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        $calls = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -in @('Invoke-WebRequest', 'Invoke-RestMethod', 'iwr', 'irm') }, $true)
        foreach ($c in $calls) {
            $params = @($c.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
            $params | Should -Contain 'TimeoutSec' -Because "line $($c.Extent.StartLineNumber)"
        }
    }
}

Describe 'report.ps1 keeps Windows-only calls behind seams' {
    BeforeAll {
        $path = Join-Path $PSScriptRoot '../../client_tools/report.ps1'
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$null, [ref]$null)
        function Get-EnclosingFunction($node) {
            $p = $node.Parent
            while ($p -and -not ($p -is [System.Management.Automation.Language.FunctionDefinitionAst])) { $p = $p.Parent }
            if ($p) { return $p.Name }
            return '(top level)'
        }
    }

    It '<Call> appears only in its seam' -TestCases @(
        @{ Call = 'Start-Sleep'; Seam = 'Invoke-AgentSleep'; Kind = 'command' },
        @{ Call = 'Invoke-WebRequest'; Seam = @('Invoke-AgentHttpPost', 'Invoke-AgentHttpGet'); Kind = 'command' },
        @{ Call = 'Invoke-RestMethod'; Seam = 'Invoke-AgentHttpPost'; Kind = 'command' },
        @{ Call = 'Get-Date'; Seam = 'Get-AgentUtcNow'; Kind = 'command' },
        @{ Call = 'Add-Type'; Seam = 'Initialize-AgentIdleSource'; Kind = 'command' },
        @{ Call = 'UtcNow'; Seam = 'Get-AgentUtcNow'; Kind = 'member' },
        @{ Call = 'Now'; Seam = 'Get-AgentUtcNow'; Kind = 'member' },
        @{ Call = 'GetIdleMilliseconds'; Seam = 'Get-AgentIdleMilliseconds'; Kind = 'member' },
        @{ Call = 'WaitOne'; Seam = 'Enter-AgentSingleInstance'; Kind = 'member' },
        @{ Call = 'Write-EventLog'; Seam = 'Write-AgentEventLog'; Kind = 'command' },
        @{ Call = 'WriteEntry'; Seam = 'Write-AgentEventLog'; Kind = 'member' },
        @{ Call = 'LanguageMode'; Seam = 'Get-AgentLanguageMode'; Kind = 'member' }
    ) {
        if ($Kind -eq 'command') {
            $hits = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq $Call }, $true)
        } else {
            $hits = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.MemberExpressionAst] -and $n.Member -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.Member.Value -eq $Call }, $true)
        }
        foreach ($h in $hits) { @($Seam) | Should -Contain (Get-EnclosingFunction $h) -Because "line $($h.Extent.StartLineNumber)" }
    }

    It 'runs its loop only when invoked, not when dot-sourced' {
        $guard = $ast.EndBlock.Statements | Select-Object -Last 1
        $guard.Extent.Text | Should -Match "InvocationName -ne '\.'"
    }
}

Describe 'the gate itself catches what 5.1 cannot run' {
    It 'flags <What>' -TestCases @(
        @{ What = 'ternary'; Code = '$a = $b ? 1 : 2' },
        @{ What = 'null-coalescing'; Code = '$a = $b ?? 3' },
        @{ What = 'null-coalescing assignment'; Code = '$a ??= 3' },
        @{ What = 'null-conditional member'; Code = '$a = ${b}?.Length' },
        @{ What = 'null-conditional index'; Code = '$a = ${b}?[0]' },
        @{ What = 'pipeline chain &&'; Code = 'Get-Item x && Get-Item y' },
        @{ What = 'pipeline chain ||'; Code = 'Get-Item x || Get-Item y' },
        @{ What = 'class'; Code = 'class Foo { [int]$x }' },
        @{ What = 'enum'; Code = 'enum Color { Red }' },
        @{ What = '::new'; Code = '$l = [System.Collections.ArrayList]::new()' },
        @{ What = 'background &'; Code = 'Get-Process &' }
    ) {
        Get-PostWindowsPowerShellFeatures -Text $Code | Should -Not -BeNullOrEmpty
    }

    It 'passes plain Windows PowerShell 5.1 code' {
        $ok = @'
param([string]$Path)
$list = New-Object System.Collections.ArrayList
if ($null -eq $Path) { $Path = 'x' } else { $Path = $Path.Trim() }
$h = @{ a = 1 }; $h['b'] = 2
foreach ($i in 1..3) { [void]$list.Add($i) }
try { Get-Item $Path -ErrorAction Stop } catch [System.IO.IOException] { $_ } finally { }
$s = [string]::Join(',', @('a', 'b'))
$x = [Math]::Max(1, 2) -band 3
'@
        Get-PostWindowsPowerShellFeatures -Text $ok | Should -BeNullOrEmpty
    }
}
