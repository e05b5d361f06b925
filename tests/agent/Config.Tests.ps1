# Configuration (config.env beside the script, environment variables, validation), timestamps,
# TLS protocol selection and the log (redaction, rotation).

BeforeAll {
    . (Join-Path $PSScriptRoot 'AgentTestHelpers.ps1')

    function New-ConfigDir([string[]]$lines) {
        $d = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $d | Out-Null
        if ($null -ne $lines) { Set-Content -LiteralPath (Join-Path $d 'config.env') -Value $lines -Encoding utf8 }
        return $d
    }
}

Describe 'configuration' {
    It 'reads the original README''s config.env unchanged' {
        $d = New-ConfigDir @(
            'API_ENDPOINT="http://your-server-address:5050/api/report"'
            'IDLE_THRESHOLD_MINUTES="10"'
            'POLL_INTERVAL_SECONDS="60"'
            'REPORT_INTERVAL_MINUTES="1"')
        $c = Read-AgentConfig -ScriptDir $d -Environment @{} -LocalAppData '/lad'
        $c.ConfigFound | Should -BeTrue
        $c.Settings.API_ENDPOINT | Should -Be 'http://your-server-address:5050/api/report'
        $c.Settings.IDLE_THRESHOLD_MINUTES | Should -Be 10
        $c.Settings.POLL_INTERVAL_SECONDS | Should -Be 60
        $c.Settings.REPORT_INTERVAL_MINUTES | Should -Be 1
        $c.Sources.API_ENDPOINT | Should -Be 'config.env'
        # plain http to a remote host and no token: said so
        ($c.Warnings -join "`n") | Should -Match 'plain http'
        ($c.Errors -join "`n") | Should -Match 'AGENT_TOKEN is not set'
    }

    It 'accepts comments, blank lines, export, single quotes, a BOM and trailing comments; reports bad lines' {
        $d = New-ConfigDir @()
        $text = [char]0xFEFF + "# agent settings`n`nexport API_ENDPOINT='https://t.example/api/report'`nAGENT_TOKEN=abc123   # from the admin page`nthis line is wrong`nIDLE_REPORT_MINUTES = 4`n"
        [System.IO.File]::WriteAllText((Join-Path $d 'config.env'), $text)
        $c = Read-AgentConfig -ScriptDir $d -Environment @{} -LocalAppData '/lad'
        $c.Settings.API_ENDPOINT | Should -Be 'https://t.example/api/report'
        $c.Settings.AGENT_TOKEN | Should -Be 'abc123'
        $c.Settings.IDLE_REPORT_MINUTES | Should -Be 4
        ($c.Warnings -join "`n") | Should -Match 'line 5: expected KEY=VALUE'
        $c.Errors.Count | Should -Be 0
    }

    It 'lets environment variables win over config.env' {
        $d = New-ConfigDir @('API_ENDPOINT=https://file.example/api/report', 'POLL_INTERVAL_SECONDS=30')
        $c = Read-AgentConfig -ScriptDir $d -Environment @{ API_ENDPOINT = 'https://env.example/api/report'; AGENT_TOKEN = 't' } -LocalAppData '/lad'
        $c.Settings.API_ENDPOINT | Should -Be 'https://env.example/api/report'
        $c.Sources.API_ENDPOINT | Should -Be 'environment'
        $c.Settings.POLL_INTERVAL_SECONDS | Should -Be 30
    }

    It 'works from environment variables alone, with defaults under LOCALAPPDATA' {
        $d = New-ConfigDir $null
        $c = Read-AgentConfig -ScriptDir $d -Environment @{ API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't' } -LocalAppData '/lad'
        $c.ConfigFound | Should -BeFalse
        $c.Errors.Count | Should -Be 0
        $c.Settings.IDLE_THRESHOLD_MINUTES | Should -Be 10
        $c.Settings.IDLE_REPORT_MINUTES | Should -Be 5
        $c.Settings.SPOOL_PATH | Should -Be (Join-Path (Join-Path '/lad' 'WorkTracing') 'spool.jsonl')
        $c.Settings.LOG_PATH | Should -Be (Join-Path (Join-Path '/lad' 'WorkTracing') 'agent.log')
        $c.Settings.STATE_PATH | Should -Be (Join-Path (Join-Path '/lad' 'WorkTracing') 'state.json')
    }

    It 'honours explicit spool, state and log locations' {
        $c = Read-AgentConfig -ScriptDir (New-ConfigDir $null) -LocalAppData '/lad' -Environment @{
            API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't'
            SPOOL_PATH = '/data/s.jsonl'; STATE_PATH = '/data/st.json'; LOG_PATH = '/logs/a.log' }
        $c.Settings.SPOOL_PATH | Should -Be '/data/s.jsonl'
        $c.Settings.STATE_PATH | Should -Be '/data/st.json'
        $c.Settings.LOG_PATH | Should -Be '/logs/a.log'
    }

    It 'names a bad number and uses the default' -TestCases @(
        @{ Name = 'POLL_INTERVAL_SECONDS'; Value = 'sixty'; Default = 60; Why = 'not a number' },
        @{ Name = 'IDLE_THRESHOLD_MINUTES'; Value = '0'; Default = 10; Why = 'outside' },
        @{ Name = 'REPORT_INTERVAL_MINUTES'; Value = '-3'; Default = 1; Why = 'outside' },
        @{ Name = 'IDLE_REPORT_MINUTES'; Value = '1e9'; Default = 5; Why = 'outside' }
    ) {
        $envs = @{ API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't' }
        $envs[$Name] = $Value
        $c = Read-AgentConfig -ScriptDir (New-ConfigDir $null) -Environment $envs -LocalAppData '/lad'
        $c.Settings[$Name] | Should -Be $Default
        ($c.Errors -join "`n") | Should -Match ([regex]::Escape("$Name=$Value") + '.*' + $Why)
    }

    It 'parses numbers in the invariant culture whatever the user''s locale' {
        $old = [System.Globalization.CultureInfo]::CurrentCulture
        try {
            [System.Globalization.CultureInfo]::CurrentCulture = 'de-DE'
            $c = Read-AgentConfig -ScriptDir (New-ConfigDir $null) -LocalAppData '/lad' -Environment @{ API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't'; IDLE_THRESHOLD_MINUTES = '7.5' }
            $c.Settings.IDLE_THRESHOLD_MINUTES | Should -Be 7.5
        } finally { [System.Globalization.CultureInfo]::CurrentCulture = $old }
    }

    It 'rejects an API_ENDPOINT that is not an http(s) URL, keeping events in the spool' -TestCases @(
        @{ Value = 'tracker.example/api/report' }, @{ Value = 'ftp://t.example/api/report' }, @{ Value = 'not a url' }
    ) {
        $c = Read-AgentConfig -ScriptDir (New-ConfigDir $null) -Environment @{ API_ENDPOINT = $Value; AGENT_TOKEN = 't' } -LocalAppData '/lad'
        $c.Settings.API_ENDPOINT | Should -BeNullOrEmpty
        ($c.Errors -join "`n") | Should -Match 'API_ENDPOINT=.*not an http\(s\) URL.*spool'
    }

    It 'warns when the idle heartbeat would reach the server''s 15-minute timeout' {
        $c = Read-AgentConfig -ScriptDir (New-ConfigDir $null) -Environment @{ API_ENDPOINT = 'https://t.example/api/report'; AGENT_TOKEN = 't'; IDLE_REPORT_MINUTES = '20' } -LocalAppData '/lad'
        ($c.Warnings -join "`n") | Should -Match 'IDLE_REPORT_MINUTES'
    }

    It 'logs every setting at start, never the token' {
        Reset-Fake -Now (At '09:00:00')
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $config = Write-TestConfig -Dir $dir
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 1
        $log = Get-Content -Raw (Join-Path $dir 'agent.log')
        $log | Should -Match 'AGENT_TOKEN = \(set\)'
        $log | Should -Match 'IDLE_THRESHOLD_MINUTES = 10 \[config.env\]'
        $log | Should -Not -Match 'wt_ingest_secret123'
    }
}

Describe 'timestamps' {
    It 'is ISO 8601 UTC with Z, in the invariant culture, to the millisecond' {
        $t = [DateTime]::new(2026, 3, 2, 5, 20, 30, [DateTimeKind]::Utc).AddTicks(1234567)
        $old = [System.Globalization.CultureInfo]::CurrentCulture
        try {
            foreach ($culture in 'ar-SA', 'th-TH', 'fa-IR', 'de-DE') {
                [System.Globalization.CultureInfo]::CurrentCulture = $culture
                Format-AgentTimestamp -Time $t | Should -Be '2026-03-02T05:20:30.1230000Z'
            }
        } finally { [System.Globalization.CultureInfo]::CurrentCulture = $old }
    }

    It 'converts a local time to UTC' {
        $utc = [DateTime]::new(2026, 3, 2, 5, 0, 0, [DateTimeKind]::Utc)
        Format-AgentTimestamp -Time $utc.ToLocalTime() | Should -Be '2026-03-02T05:00:00.0000000Z'
    }
}

Describe 'TLS' {
    It 'leaves SystemDefault alone and adds TLS 1.2 to an explicit list without removing anything' {
        Get-AgentTlsProtocols -Current 0 | Should -Be 0
        $ssl3Tls1 = 48 -bor 192
        Get-AgentTlsProtocols -Current $ssl3Tls1 | Should -Be ($ssl3Tls1 -bor 3072)
        Get-AgentTlsProtocols -Current 12288 | Should -Be (12288 -bor 3072)     # TLS 1.3 kept
        Get-AgentTlsProtocols -Current 3072 | Should -Be 3072
    }
}

Describe 'log' {
    BeforeEach {
        Reset-Fake
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $path = Join-Path $dir 'agent.log'
    }

    It 'redacts the token and any bearer credential' {
        Initialize-AgentLog -Path $path -Secrets @('wt_ingest_secret123')
        Write-AgentLog -Level ERROR -Message 'token wt_ingest_secret123 refused; header Authorization: Bearer abc.def-ghi'
        $text = Get-Content -Raw $path
        $text | Should -Not -Match 'wt_ingest_secret123'
        $text | Should -Not -Match 'abc\.def-ghi'
        $text | Should -Match '\[REDACTED\]'
    }

    It 'rotates by size, keeping a few old files' {
        Initialize-AgentLog -Path $path -MaxBytes 2048
        1..200 | ForEach-Object { Write-AgentLog -Message ("line $_ " + ('x' * 40)) }
        (Get-Item $path).Length | Should -BeLessOrEqual 2200
        Test-Path "$path.1" | Should -BeTrue
        Test-Path "$path.2" | Should -BeTrue
        Test-Path "$path.4" | Should -BeFalse
        Get-Content -Raw $path | Should -Match 'line 200 '
    }
}
