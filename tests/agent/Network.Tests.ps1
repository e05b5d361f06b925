# The agent's real HTTP calls (Invoke-AgentHttpPost, Invoke-WebRequest) against a server that
# misbehaves as networks do (fake-network.mjs): a captive portal, a proxy wanting credentials, a
# middlebox answering 4xx, a server with a small batch limit. Only the clock is fake.

BeforeAll {
    . (Join-Path $PSScriptRoot 'AgentTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'FakeNetwork.ps1')
    Set-Item function:Invoke-AgentHttpPost $RealAgentHttpPost

    function New-Ev([string]$hhmmss, [string]$state = 'working') {
        return New-AgentEvent -User 'CORP\alice' -State $state -Time (At $hhmmss)
    }
    function Read-Spool([string]$path) {
        if (-not (Test-Path $path)) { return @() }
        return @([System.IO.File]::ReadAllLines($path) | Where-Object { $_.Trim() })
    }
    function Use-Network([hashtable]$Script) {
        # The server's clock agrees with the PC's (fake) one: no skew to correct.
        $Script.clockOffsetSeconds = [Math]::Round(($Fake.Now - [DateTime]::UtcNow).TotalSeconds)
        $script:net = Start-FakeNetwork -Script $Script
        $script:settings.API_ENDPOINT = $script:net.Report
    }
    function Get-Stored { return @((Get-FakeNetworkLog $script:net).stored | ForEach-Object { $_.ts.Substring(11, 8) }) }
}

Describe 'delivery through a network that misbehaves' {
    BeforeEach {
        Reset-Fake -Now (At '09:30:00')
        $script:AgentClockOffsetSeconds = 0
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $script:settings = New-TestSettings -Dir $dir
        $settings.REQUEST_TIMEOUT_SECONDS = 5
        $spool = $settings.SPOOL_PATH
        Initialize-AgentLog -Path $settings.LOG_PATH -Secrets @($settings.AGENT_TOKEN)
        $sender = New-AgentSender
        Add-AgentSpoolEvent -Path $spool -Events @((New-Ev '09:00:00'), (New-Ev '09:01:00' 'stopped')) -MaxBytes 1MB
    }
    AfterEach { Stop-FakeNetwork $script:net }

    It 'a captive portal that redirects the POST to an HTML page delivers nothing; the events go once it is passed' {
        Use-Network @{ answers = @(@{ status = 302; headers = @{ Location = '/portal' } }) }
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        Get-Stored | Should -BeNullOrEmpty
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:30:00') | Should -Be 2
        Get-Stored | Should -Be @('09:00:00', '09:01:00')
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'a proxy answering 407 keeps every event, says why, and they go once it lets the agent through' {
        Use-Network @{ answers = @(@{ status = 407; headers = @{ 'Proxy-Authenticate' = 'NTLM'; 'Content-Type' = 'text/html' }; body = '<html><body>Proxy authentication required</body></html>' }) }
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'HTTP 407: a proxy wants credentials'
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:10:00') | Should -Be 2
        Get-Stored | Should -Be @('09:00:00', '09:01:00')
    }

    It 'a middlebox answering <Code> keeps every event' -TestCases @(
        @{ Code = 400; Body = '<html><h1>400 Bad Request</h1>Request Header Or Cookie Too Large</html>' },
        @{ Code = 411; Body = 'Length Required' },
        @{ Code = 426; Body = '{"error":"upgrade required"}' },
        @{ Code = 431; Body = '' }
    ) {
        Use-Network @{ answers = @(@{ status = $Code; headers = @{ 'Content-Type' = 'text/html' }; body = $Body }) }
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:30:00') | Should -Be 2
        Get-Stored | Should -Be @('09:00:00', '09:01:00')
    }

    It 'replays 100,000 spooled events all delivered, in order, none twice, through a failure midway' {
        $sb = New-Object System.Text.StringBuilder
        $base = [DateTime]::new(2026, 3, 1, 0, 0, 0, [DateTimeKind]::Utc)
        $expected = New-Object System.Collections.ArrayList
        [void]$expected.Add('2026-03-02T09:00:00.0000000Z'); [void]$expected.Add('2026-03-02T09:01:00.0000000Z')
        for ($i = 0; $i -lt 100000; $i++) {
            $ts = $base.AddSeconds($i).ToString('yyyy-MM-ddTHH:mm:ss')
            [void]$sb.Append('{"user":"CORP\\alice","state":"working","ts":"').Append($ts).Append('.0000000Z","device":"PC-ALICE","agent":"2.1.0"}').Append("`n")
            [void]$expected.Add($ts + '.0000000Z')
        }
        [System.IO.File]::AppendAllText($spool, $sb.ToString())
        Use-Network @{ answers = @(@{ kind = 'accept' }, @{ kind = 'accept' }, @{ kind = 'accept' }, @{ status = 503; body = 'busy' }) }
        $total = 0
        # The fake network's clock runs in real time: so does the PC's here, or the replay's
        # minutes would read as a clock skew.
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        function Get-AgentUtcNow { return (At '09:30:00').Add($clock.Elapsed) }
        for ($poll = 0; $poll -lt 400 -and $total -lt 100002; $poll++) {
            $total += Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (Get-AgentUtcNow)
            if ($sender.NextAttemptAt -gt (Get-AgentUtcNow).Ticks / [double][TimeSpan]::TicksPerSecond) { Start-Sleep -Milliseconds 200 }
        }
        $total | Should -Be 100002
        $stored = @((Get-FakeNetworkLog $script:net).stored | ForEach-Object { $_.ts })
        $stored.Count | Should -Be 100002
        ($stored -join "`n") | Should -BeExactly ($expected -join "`n") -Because 'the spool is sent in the order it was written, each event once'
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'a TLS failure is logged with its innermost cause, not "see inner exception"' {
        Use-Network @{}
        $settings.API_ENDPOINT = $script:net.Report -replace '^http:', 'https:'
        $innermost = $null
        try {
            Invoke-WebRequest -Uri $settings.API_ENDPOINT -Method Post -Body '{}' -TimeoutSec 5 -UseBasicParsing -ErrorAction Stop
        } catch {
            $e = $_.Exception
            while ($e.InnerException) { $e = $e.InnerException }
            $innermost = $e.Message
        }
        $innermost | Should -Not -BeNullOrEmpty
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        Get-Content -Raw $settings.LOG_PATH | Should -Match ('send failed: no answer \(.*' + [regex]::Escape($innermost))
    }

    It 'drops only the events the server itself names as invalid' {
        Use-Network @{ answers = @(@{ kind = 'reject'; indexes = @(0, 1) }) }
        Add-AgentSpoolEvent -Path $spool -Events @(New-Ev '09:02:00') -MaxBytes 1MB
        $settings.BATCH_SIZE = 2
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:03:00') | Should -Be 1
        Get-Stored | Should -Be @('09:02:00')
        Read-Spool $spool | Should -BeNullOrEmpty
        (Select-String -Path $settings.LOG_PATH -Pattern 'invalid \(HTTP 400\); dropped').Count | Should -Be 2
    }

    It 'a server that takes only small batches gets every event, oldest first' {
        Use-Network @{ default = @{ kind = 'too-large'; max = 3 } }
        $settings.BATCH_SIZE = 16
        Add-AgentSpoolEvent -Path $spool -Events @(2..19 | ForEach-Object { New-Ev ((At '09:00:00').AddMinutes($_).ToString('HH:mm:ss')) }) -MaxBytes 1MB
        $total = 0
        foreach ($m in 2..6) { $total += Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc ((At '09:30:00').AddMinutes($m)) -MaxBatches 20 }
        $total | Should -Be 20
        Get-Stored | Should -Be @(0..19 | ForEach-Object { (At '09:00:00').AddMinutes($_).ToString('HH:mm:ss') })
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'uses the system proxy with the signed-in user''s credentials' {
        & $RealEnableAgentProxy
        [System.Net.Http.HttpClient]::DefaultProxy.Credentials | Should -Be ([System.Net.CredentialCache]::DefaultNetworkCredentials)
        [System.Net.WebRequest]::DefaultWebProxy.Credentials | Should -Be ([System.Net.CredentialCache]::DefaultNetworkCredentials)
    }
}

Describe 'a server whose clock is 10 minutes behind the PC' {
    BeforeEach {
        # The PC's clock is the real one; the server's Date header says 10 minutes earlier.
        $pcNow = [DateTime]::UtcNow
        $pcNow = $pcNow.AddTicks(-($pcNow.Ticks % [TimeSpan]::TicksPerSecond))
        Reset-Fake -Now $pcNow
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $script:settings = New-TestSettings -Dir $dir
        $script:net = Start-FakeNetwork -Script @{ clockOffsetSeconds = -600 }
        Set-Item function:Invoke-AgentHttpGet $RealAgentHttpGet
        $script:AgentClockOffsetSeconds = 0
    }
    AfterEach { Stop-FakeNetwork $script:net }

    It 'has its events stored, on the server''s clock, even those spooled before it started' {
        # The PC's own (real) clock runs on; the user is at work.
        function Get-AgentUtcNow { return [DateTime]::UtcNow }
        function Invoke-AgentSleep { param([double]$Seconds) Start-Sleep -Milliseconds 100 }
        function Get-AgentIdleMilliseconds { return [long]1000 }
        $config = Write-TestConfig -Dir $dir -Override @{ API_ENDPOINT = $net.Report; REQUEST_TIMEOUT_SECONDS = 5 }
        $now = [DateTime]::UtcNow
        $offline = @(
            (New-AgentEvent -User 'CORP\alice' -State working -Time $now.AddMinutes(-20)),
            (New-AgentEvent -User 'CORP\alice' -State stopped -Time $now.AddMinutes(-4)),
            (New-AgentEvent -User 'CORP\alice' -State working -Time $now.AddMinutes(-1)))
        Add-AgentSpoolEvent -Path (Join-Path $dir 'spool.jsonl') -Events $offline -MaxBytes 1MB
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 2
        $made = @($offline | ForEach-Object { $_.ts }) + @(Get-Content (Join-Path $dir 'agent.log') | Where-Object { $_ -match ' event (working|stopped) at (\S+)' } | ForEach-Object { $_ -replace '^.* event \w+ at ', '' })
        $stored = @((Get-FakeNetworkLog $net).stored | ForEach-Object { $_.ts })
        $made.Count | Should -Be 4
        $stored.Count | Should -Be 4
        for ($i = 0; $i -lt $made.Count; $i++) {
            $shift = ([DateTime]::Parse($stored[$i]).ToUniversalTime() - [DateTime]::Parse($made[$i]).ToUniversalTime()).TotalSeconds
            $shift | Should -BeGreaterOrEqual -602
            $shift | Should -BeLessOrEqual -598
        }
        Get-Content -Raw (Join-Path $dir 'agent.log') | Should -Match 'clock is 6\d\d s ahead of the server''s'
    }
}

Describe 'the offset to the server''s clock' {
    It 'is read at the middle of a slow exchange and the middle of the Date header''s second' {
        # The PC is 600 s ahead. It asks at 12:00:00; the server answers 1.4 s later, at
        # 11:50:01.4 on its clock, which its Date header says as 11:50:01; the answer arrives at
        # 12:00:02.8. Taken at face value that is 602 s.
        $script:AgentClockOffsetSeconds = 0
        $asked = New-Object DateTime(2026, 3, 2, 12, 0, 0, [DateTimeKind]::Utc)
        function Get-AgentUtcNow { return (New-Object DateTime(2026, 3, 2, 12, 0, 2, 800, [DateTimeKind]::Utc)) }
        $header = New-Object DateTime(2026, 3, 2, 11, 50, 1, [DateTimeKind]::Utc)
        Update-AgentClockOffset -ServerDate $header -LocalNow (Get-AgentMidpoint -From $asked)
        $script:AgentClockOffsetSeconds | Should -Be -600
    }
}
