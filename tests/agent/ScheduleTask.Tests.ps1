# schedule_task.ps1 under PowerShell 7, with the ScheduledTasks and EventLog cmdlets and the
# other Windows-only calls replaced by fakes that record what the installer asked for.

BeforeAll {
    . (Join-Path $PSScriptRoot '../../client_tools/schedule_task.ps1')

    $Rec = @{}
    function Reset-Recorder {
        $Rec.Registered = $null
        $Rec.TaskExists = $false
        $Rec.Unregistered = @()
        $Rec.StoppedTasks = @()
        $Rec.SourceExists = $false
        $Rec.NewEventLog = @()
        $Rec.RemoveEventLog = @()
        $Rec.Processes = @()
        $Rec.Killed = @()
        $Rec.Profiles = @()
        $Rec.Elevated = $true
        $Rec.Build = 19045
    }

    function Test-WorkTracingElevated { return $Rec.Elevated }
    function Get-WorkTracingOsBuild { return $Rec.Build }
    function Test-WorkTracingEventSource { return $Rec.SourceExists }
    function New-EventLog { param([string]$LogName, [string]$Source) $Rec.NewEventLog += , @{ LogName = $LogName; Source = $Source }; $Rec.SourceExists = $true }
    function Remove-EventLog { param([string]$Source) $Rec.RemoveEventLog += $Source; $Rec.SourceExists = $false }
    function New-WorkTracingSessionTrigger { param([int]$StateChange) return [pscustomobject]@{ Kind = 'SessionStateChange'; StateChange = $StateChange; Enabled = $true } }
    function Get-WorkTracingAgentProcesses { param([string]$InstallDir) $Rec.ProcessQuery = $InstallDir; return $Rec.Processes }
    function Stop-Process { param([int]$Id, [switch]$Force) $Rec.Killed += $Id }
    function Get-WorkTracingProfileFolders { return $Rec.Profiles }

    function New-ScheduledTaskAction { param([string]$Execute, [string]$Argument, [string]$WorkingDirectory) return [pscustomobject]@{ Execute = $Execute; Argument = $Argument; WorkingDirectory = $WorkingDirectory } }
    function New-ScheduledTaskTrigger { param([switch]$AtLogOn) return [pscustomobject]@{ Kind = 'Logon'; AtLogOn = [bool]$AtLogOn } }
    function New-ScheduledTaskPrincipal { param([string]$GroupId, [string]$UserId, [string]$RunLevel) return [pscustomobject]@{ GroupId = $GroupId; UserId = $UserId; RunLevel = $RunLevel } }
    function New-ScheduledTaskSettingsSet {
        param([TimeSpan]$ExecutionTimeLimit, [switch]$AllowStartIfOnBatteries, [switch]$DontStopIfGoingOnBatteries, [int]$RestartCount,
            [TimeSpan]$RestartInterval, [switch]$StartWhenAvailable, [string]$MultipleInstances, [switch]$Hidden)
        return [pscustomobject]@{ ExecutionTimeLimit = $ExecutionTimeLimit; AllowStartIfOnBatteries = [bool]$AllowStartIfOnBatteries
            DontStopIfGoingOnBatteries = [bool]$DontStopIfGoingOnBatteries; RestartCount = $RestartCount; RestartInterval = $RestartInterval
            StartWhenAvailable = [bool]$StartWhenAvailable; MultipleInstances = $MultipleInstances }
    }
    function New-ScheduledTask { param($Action, $Trigger, $Principal, $Settings, [string]$Description) return [pscustomobject]@{ Action = $Action; Triggers = @($Trigger); Principal = $Principal; Settings = $Settings } }
    function Register-ScheduledTask { param([string]$TaskName, $InputObject, [switch]$Force) $Rec.Registered = @{ Name = $TaskName; Task = $InputObject }; $Rec.TaskExists = $true; return $InputObject }
    function Get-ScheduledTask { param([string]$TaskName) if ($Rec.TaskExists) { return [pscustomobject]@{ TaskName = $TaskName } } return $null }
    function Stop-ScheduledTask { param([string]$TaskName) $Rec.StoppedTasks += $TaskName }
    function Unregister-ScheduledTask { param([string]$TaskName, [switch]$Confirm) $Rec.Unregistered += $TaskName; $Rec.TaskExists = $false }
    function Write-Host { }

    $Source = Join-Path $PSScriptRoot '../../client_tools'
    $SavedEnv = @{ ProgramW6432 = $env:ProgramW6432; ProgramFiles = $env:ProgramFiles; SystemRoot = $env:SystemRoot }

    # A machine of its own for each test, seen from a 32-bit host (the Intune management
    # extension): ProgramFiles is the x86 folder. Returns its root folder.
    function New-FakeMachine {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $env:ProgramFiles = Join-Path $root 'Program Files (x86)'
        $env:ProgramW6432 = Join-Path $root 'Program Files'
        $env:SystemRoot = 'C:\Windows'
        return $root
    }
}

AfterAll {
    foreach ($k in $SavedEnv.Keys) { Set-Item -Path "env:$k" -Value $SavedEnv[$k] -ErrorAction SilentlyContinue }
}

Describe 'schedule_task.ps1 install' {
    BeforeEach {
        Reset-Recorder
        $root = New-FakeMachine
        $installDir = Join-Path $env:ProgramW6432 'work-tracing'
    }

    It 'copies the agent to the 64-bit Program Files\work-tracing, even from a 32-bit host' {
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        Test-Path (Join-Path $installDir 'report.ps1') | Should -BeTrue
        Test-Path (Join-Path $installDir 'run_hidden.vbs') | Should -BeTrue
        Test-Path (Join-Path $installDir 'schedule_task.ps1') | Should -BeTrue
        Test-Path $env:ProgramFiles | Should -BeFalse
    }

    It 'registers the Event Log source once' {
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $Rec.NewEventLog.Count | Should -Be 1
        $Rec.NewEventLog[0].Source | Should -Be 'work-tracing'
        $Rec.NewEventLog[0].LogName | Should -Be 'Application'
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $Rec.NewEventLog.Count | Should -Be 1
    }

    It 'registers the task for the Users group by SID, at logon, unlock and console/remote connect' {
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $task = $Rec.Registered.Task
        $Rec.Registered.Name | Should -Be 'WorkTracingAgent'
        $task.Principal.GroupId | Should -Be 'S-1-5-32-545'
        $task.Principal.RunLevel | Should -Be 'Limited'
        @($task.Triggers | Where-Object { $_.Kind -eq 'Logon' -and $_.AtLogOn }).Count | Should -Be 1
        @($task.Triggers | Where-Object { $_.Kind -eq 'SessionStateChange' } | ForEach-Object { $_.StateChange } | Sort-Object) | Should -Be @(1, 3, 8)
    }

    It 'has no time limit, runs on battery and restarts within the schema''s limit' {
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $s = $Rec.Registered.Task.Settings
        $s.ExecutionTimeLimit | Should -Be ([TimeSpan]::Zero)
        $s.AllowStartIfOnBatteries | Should -BeTrue
        $s.DontStopIfGoingOnBatteries | Should -BeTrue
        $s.RestartCount | Should -BeGreaterThan 0
        $s.RestartCount | Should -BeLessOrEqual 255
        $s.MultipleInstances | Should -Be 'Parallel'
    }

    It 'starts the installed copy through conhost --headless, with no VBScript' {
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $a = $Rec.Registered.Task.Action
        $a.Execute | Should -Be 'C:\Windows\System32\conhost.exe'
        $a.Argument | Should -Match '^--headless "C:\\Windows\\System32\\WindowsPowerShell\\v1\.0\\powershell\.exe" .*-WindowStyle Hidden -File "'
        $a.Argument | Should -Match ([regex]::Escape((Join-Path $installDir 'report.ps1')))
        $a.Argument | Should -Not -Match 'wscript|\.vbs'
        $a.WorkingDirectory | Should -Be $installDir
    }

    It 'uses run_hidden.vbs on builds before conhost --headless, or when asked' {
        $Rec.Build = 14393
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $Rec.Registered.Task.Action.Execute | Should -Be 'C:\Windows\System32\wscript.exe'
        $Rec.Registered.Task.Action.Argument | Should -Match ([regex]::Escape((Join-Path $installDir 'run_hidden.vbs')))
        Reset-Recorder
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') -Launcher vbs | Should -Be 0
        $Rec.Registered.Task.Action.Execute | Should -Be 'C:\Windows\System32\wscript.exe'
    }

    It 'keeps an installed config.env on an upgrade without one, and takes a new one' {
        $src = Join-Path $root 'src'
        New-Item -ItemType Directory -Path $src | Out-Null
        Copy-Item (Join-Path $Source 'report.ps1'), (Join-Path $Source 'run_hidden.vbs') $src
        New-Item -ItemType Directory -Path $installDir -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $installDir 'config.env') -Value 'AGENT_TOKEN=old'
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $src 'report.ps1') | Should -Be 0
        Get-Content (Join-Path $installDir 'config.env') | Should -Be 'AGENT_TOKEN=old'
        Set-Content -LiteralPath (Join-Path $src 'config.env') -Value 'AGENT_TOKEN=new'
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $src 'report.ps1') | Should -Be 0
        Get-Content (Join-Path $installDir 'config.env') | Should -Be 'AGENT_TOKEN=new'
    }

    It 'refuses to run unelevated' {
        $Rec.Elevated = $false
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 1
        $Rec.Registered | Should -BeNullOrEmpty
    }
}

Describe 'schedule_task.ps1 -Uninstall' {
    BeforeEach {
        Reset-Recorder
        $root = New-FakeMachine
        $installDir = Join-Path $env:ProgramW6432 'work-tracing'
        $alice = Join-Path $root 'Users/alice'
        $bob = Join-Path $root 'Users/bob'
        foreach ($p in $alice, $bob) {
            New-Item -ItemType Directory -Path (Join-Path $p 'AppData/Local/WorkTracing') -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $p 'AppData/Local/WorkTracing/spool.jsonl') -Value '{}'
        }
        $Rec.Profiles = @($alice, $bob)
        Invoke-WorkTracingSetup -ScriptPath (Join-Path $Source 'report.ps1') | Should -Be 0
        $Rec.Processes = @(4242, 4343)
    }

    It 'stops running agents and removes what the install made, keeping user data' {
        Invoke-WorkTracingSetup -Uninstall | Should -Be 0
        $Rec.Unregistered | Should -Be @('WorkTracingAgent')
        $Rec.ProcessQuery | Should -Be $installDir
        $Rec.Killed | Should -Be @(4242, 4343)
        Test-Path $installDir | Should -BeFalse
        $Rec.RemoveEventLog | Should -Be @('work-tracing')
        Test-Path (Join-Path $alice 'AppData/Local/WorkTracing/spool.jsonl') | Should -BeTrue
    }

    It 'with -RemoveUserData also deletes each user''s data' {
        Invoke-WorkTracingSetup -Uninstall -RemoveUserData | Should -Be 0
        Test-Path (Join-Path $alice 'AppData/Local/WorkTracing') | Should -BeFalse
        Test-Path (Join-Path $bob 'AppData/Local/WorkTracing') | Should -BeFalse
        Test-Path (Join-Path $alice 'AppData/Local') | Should -BeTrue
    }

    It 'is harmless when nothing is installed' {
        Invoke-WorkTracingSetup -Uninstall | Should -Be 0
        Invoke-WorkTracingSetup -Uninstall | Should -Be 0
        $Rec.Unregistered.Count | Should -Be 1
    }
}
