# Start-up: paths from config.env (environment variables, relative paths), the fallback folder
# when a folder cannot be written, the Event Log when nothing can be kept, and Constrained
# Language Mode (AppLocker/WDAC).

BeforeAll {
    . (Join-Path $PSScriptRoot 'AgentTestHelpers.ps1')

    $EventLog = New-Object System.Collections.ArrayList
    function Write-AgentEventLog {
        param([string]$EntryType = 'Error', [int]$EventId = 1, [string]$Message)
        [void]$EventLog.Add(@{ EntryType = $EntryType; EventId = $EventId; Message = $Message })
        return $true
    }
    $LanguageMode = 'FullLanguage'
    function Get-AgentLanguageMode { return $LanguageMode }

    function New-Dir {
        $d = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $d | Out-Null
        return $d
    }
    function New-UnwritableDir {
        # A folder under a plain file can never be made, even by root (the tests run as root in CI).
        $blocker = Join-Path (New-Dir) 'blocker'
        Set-Content -LiteralPath $blocker -Value 'x'
        return (Join-Path $blocker 'data')
    }
    $script:SavedLocalAppData = $env:LOCALAPPDATA
}

AfterAll {
    $env:LOCALAPPDATA = $script:SavedLocalAppData
}

Describe 'paths in config.env' {
    It 'expands %VARIABLES% and names the ones not set' {
        $d = New-Dir
        Set-Content -LiteralPath (Join-Path $d 'config.env') -Value @(
            'DATA_DIR=%LOCALAPPDATA%/wt'
            'LOG_PATH=%Logs%/agent.log'
            'STATE_PATH=%NOT_SET_ANYWHERE%/state.json')
        $c = Read-AgentConfig -ScriptDir $d -LocalAppData '/lad' -Environment @{
            API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't'; LOCALAPPDATA = '/home/alice/AppData/Local'; LOGS = '/var/wt' }
        $c.Settings.DATA_DIR | Should -Be '/home/alice/AppData/Local/wt'
        $c.Settings.SPOOL_PATH | Should -Be (Join-Path '/home/alice/AppData/Local/wt' 'spool.jsonl')
        $c.Settings.LOG_PATH | Should -Be '/var/wt/agent.log'
        ($c.Warnings -join "`n") | Should -Match 'STATE_PATH=.*no environment variable %NOT_SET_ANYWHERE%'
    }

    It 'resolves a relative folder against LOCALAPPDATA, not the task''s working folder' {
        $c = Read-AgentConfig -ScriptDir (New-Dir) -LocalAppData '/lad' -Environment @{
            API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't'; DATA_DIR = 'wt-data'; LOG_PATH = 'logs/a.log' }
        $c.Settings.DATA_DIR | Should -Be (Join-Path '/lad' 'wt-data')
        $c.Settings.LOG_PATH | Should -Be (Join-Path (Join-Path '/lad' 'wt-data') 'logs/a.log')
    }
}

Describe 'a folder that cannot be written' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
        $EventLog.Clear()
        $lad = New-Dir
        $env:LOCALAPPDATA = $lad
        $fallback = Join-Path $lad 'WorkTracing'
    }

    It 'falls back to %LOCALAPPDATA%\WorkTracing, says so in the log, and sends' {
        $cfgDir = New-Dir
        $config = Write-TestConfig -Dir $cfgDir -Override @{ DATA_DIR = (New-UnwritableDir) }
        $Fake.Activity = @(, @((At '08:59:00'), (At '10:00:00')))
        $rc = Start-WorkTracingAgent -ScriptDir $cfgDir -ConfigPath $config -MaxPolls 3
        $rc | Should -Be 0
        $log = Get-Content -Raw (Join-Path $fallback 'agent.log')
        $log | Should -Match 'SPOOL_PATH: the folder of .* cannot be written; using .*WorkTracing'
        $log | Should -Match 'LOG_PATH: the folder of .* cannot be written'
        @(Get-SentEvents).Count | Should -BeGreaterThan 0
        $EventLog.Count | Should -Be 0
    }

    It 'writes to the Event Log and exits non-zero when neither a log nor a spool can be kept' {
        $cfgDir = New-Dir
        $config = Write-TestConfig -Dir $cfgDir -Override @{ DATA_DIR = (New-UnwritableDir) }
        $env:LOCALAPPDATA = New-UnwritableDir
        $Fake.Activity = @(, @((At '08:59:00'), (At '10:00:00')))
        $rc = Start-WorkTracingAgent -ScriptDir $cfgDir -ConfigPath $config -MaxPolls 3
        $rc | Should -Not -Be 0
        $EventLog.Count | Should -Be 1
        $EventLog[0].EntryType | Should -Be 'Error'
        $EventLog[0].Message | Should -Match 'no folder it can write for its spool'
        $Fake.Requests.Count | Should -Be 0
    }

    It 'runs without a log when only the log cannot be written, and says so in the Event Log' {
        $cfgDir = New-Dir
        $data = New-Dir
        $config = Write-TestConfig -Dir $cfgDir -Override @{ DATA_DIR = $data; LOG_PATH = (Join-Path (New-UnwritableDir) 'agent.log') }
        $env:LOCALAPPDATA = New-UnwritableDir
        $Fake.Activity = @(, @((At '08:59:00'), (At '10:00:00')))
        $rc = Start-WorkTracingAgent -ScriptDir $cfgDir -ConfigPath $config -MaxPolls 2
        $rc | Should -Be 0
        $EventLog.Count | Should -Be 1
        $EventLog[0].EntryType | Should -Be 'Warning'
        $EventLog[0].Message | Should -Match 'without a log'
        @(Get-SentEvents).Count | Should -BeGreaterThan 0
    }
}

Describe 'Constrained Language Mode' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
        $EventLog.Clear()
        $env:LOCALAPPDATA = New-Dir
    }

    It 'is reported in the log and the Event Log, and the agent exits non-zero without polling' {
        $LanguageMode = 'ConstrainedLanguage'
        try {
            $cfgDir = New-Dir
            $config = Write-TestConfig -Dir $cfgDir
            $rc = Start-WorkTracingAgent -ScriptDir $cfgDir -ConfigPath $config -MaxPolls 3
        } finally { $LanguageMode = 'FullLanguage' }
        $rc | Should -Be 3
        $EventLog.Count | Should -Be 1
        $EventLog[0].Message | Should -Match 'ConstrainedLanguage'
        Get-Content -Raw (Join-Path $env:LOCALAPPDATA 'WorkTracing/agent.log') | Should -Match 'ERROR .*ConstrainedLanguage'
        $Fake.SleepCalls | Should -Be 0
        $Fake.Requests.Count | Should -Be 0
    }

    It 'is detected by the real script in a real Constrained Language session' {
        $pwsh = Join-Path $PSHOME ('pwsh' + $(if ($IsWindows) { '.exe' } else { '' }))
        $lad = New-Dir
        $script = (Resolve-Path (Join-Path $PSScriptRoot '../../client_tools/report.ps1')).Path
        $old = $env:LOCALAPPDATA
        try {
            $env:LOCALAPPDATA = $lad
            $cmd = '$ExecutionContext.SessionState.LanguageMode = ''ConstrainedLanguage''; & ''' + $script + ''' 2>$null; exit $LASTEXITCODE'
            & $pwsh -NoLogo -NoProfile -NonInteractive -Command $cmd | Out-Null
            $rc = $LASTEXITCODE
        } finally { $env:LOCALAPPDATA = $old }
        $rc | Should -Be 3
        Get-Content -Raw (Join-Path $lad 'WorkTracing/agent.log') | Should -Match 'ConstrainedLanguage mode'
    }
}
