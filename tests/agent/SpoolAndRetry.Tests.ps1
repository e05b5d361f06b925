# The spool (written before sending, replayed oldest first in batches, capped, corrupt lines
# skipped) and the retry policy (classification, backoff with jitter, hold on 401/403, drop on
# other 4xx), plus what each request carries (bearer token, UTF-8 bytes, a timeout).

BeforeAll {
    . (Join-Path $PSScriptRoot 'AgentTestHelpers.ps1')

    function New-Ev([string]$hhmmss, [string]$state = 'working') {
        return New-AgentEvent -User 'CORP\alice' -State $state -Time (At $hhmmss)
    }
    function Read-Spool([string]$path) {
        if (-not (Test-Path $path)) { return @() }
        return @([System.IO.File]::ReadAllLines($path) | Where-Object { $_.Trim() })
    }
}

Describe 'spool' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $settings = New-TestSettings -Dir $dir
        $spool = $settings.SPOOL_PATH
        $Fake.SpoolPath = $spool
        Initialize-AgentLog -Path $settings.LOG_PATH -Secrets @($settings.AGENT_TOKEN)
        $sender = New-AgentSender
    }

    It 'holds every event as one JSON line' {
        Add-AgentSpoolEvent -Path $spool -Events @((New-Ev '09:00:00'), (New-Ev '09:05:00' 'stopped')) -MaxBytes 1MB
        Read-Spool $spool | Should -Be @(
            '{"user":"CORP\\alice","state":"working","ts":"2026-03-02T09:00:00.0000000Z","device":"PC-ALICE","agent":"2.1.0"}',
            '{"user":"CORP\\alice","state":"stopped","ts":"2026-03-02T09:05:00.0000000Z","device":"PC-ALICE","agent":"2.1.0"}')
    }

    It 'is written before sending: every event sent was already on disk' {
        $dir2 = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $config = Write-TestConfig -Dir $dir2
        $Fake.SpoolPath = Join-Path $dir2 'spool.jsonl'
        $Fake.Activity = @(, @((At '09:00:00'), (At '09:05:00')))
        $null = Start-WorkTracingAgent -ScriptDir $dir2 -ConfigPath $config -MaxPolls 20
        $Fake.SpoolAtSend.Count | Should -BeGreaterThan 3
        foreach ($s in $Fake.SpoolAtSend) {
            $o = $s.Text | ConvertFrom-Json -DateKind String
            foreach ($e in @($o.events)) {
                $line = ConvertTo-AgentEventJson -InputEvent $e
                $s.Spool | Should -Match ([regex]::Escape($line))
            }
        }
    }

    It 'is replayed oldest first in batches of BATCH_SIZE' {
        $settings.BATCH_SIZE = 2
        $evs = @('09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00') | ForEach-Object { New-Ev $_ }
        Add-AgentSpoolEvent -Path $spool -Events $evs -MaxBytes 1MB
        $sent = Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:05:00')
        $sent | Should -Be 5
        $Fake.Requests.Count | Should -Be 3
        @(Get-SentEvents | ForEach-Object { $_.ts.Substring(11, 8) }) | Should -Be @('09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00')
        $Fake.Requests[0].Text | Should -BeLike '{"events":`[*`]}'
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'drops the oldest lines beyond its cap, with a log line' {
        $evs = 0..99 | ForEach-Object { New-Ev ((At '09:00:00').AddMinutes($_).ToString('HH:mm:ss')) }
        Add-AgentSpoolEvent -Path $spool -Events $evs -MaxBytes 2000
        (Get-Item $spool).Length | Should -BeLessOrEqual 2000
        $lines = Read-Spool $spool
        $lines.Count | Should -BeGreaterThan 5
        $lines[-1] | Should -Match '10:39:00'       # the newest is kept
        $lines[0] | Should -Not -Match 'T09:00:00'   # the oldest went
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'over its cap'
    }

    It 'skips a corrupt line (logged) and sends the rest' {
        $good1 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:00:00')
        $good2 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:02:00' 'stopped')
        Set-Content -LiteralPath $spool -Value @($good1, 'not json at all', '{"user":"x","state":"dancing","ts":"2026-03-02T09:01:00Z"}', $good2, '{"user":"CORP\\alice","sta') -Encoding utf8
        $sent = Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:05:00')
        $sent | Should -Be 2
        @(Get-SentEvents | ForEach-Object { $_.state }) | Should -Be @('working', 'stopped')
        Read-Spool $spool | Should -BeNullOrEmpty
        (Select-String -Path $settings.LOG_PATH -Pattern 'corrupt line').Count | Should -Be 3
    }

    It 'sends a batch without rewriting the spool, reading only from where the unsent lines begin' {
        $settings.BATCH_SIZE = 2
        Add-AgentSpoolEvent -Path $spool -Events @('09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00' | ForEach-Object { New-Ev $_ }) -MaxBytes 1MB
        $before = [System.IO.File]::ReadAllBytes($spool)
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:05:00') -MaxBatches 1 | Should -Be 2
        [System.IO.File]::ReadAllBytes($spool) | Should -Be $before
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:06:00') | Should -Be 3
        @(Get-SentEvents | ForEach-Object { $_.ts.Substring(11, 8) }) | Should -Be @('09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00')
        Read-Spool $spool | Should -BeNullOrEmpty
        Add-AgentSpoolEvent -Path $spool -Events @(New-Ev '09:07:00') -MaxBytes 1MB
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:08:00') | Should -Be 1
        @(Get-SentEvents)[-1].ts.Substring(11, 8) | Should -Be '09:07:00'
    }

    It 'logs a corrupt line once and sets it aside, however often sending fails' {
        $good1 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:00:00')
        $good2 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:02:00' 'stopped')
        Set-Content -LiteralPath $spool -Value @($good1, 'not json at all', $good2) -Encoding utf8
        [void]$Fake.Responses.Add(@{ StatusCode = 503 })
        [void]$Fake.Responses.Add(@{ StatusCode = 503 })
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:05:00') | Should -Be 0
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:30:00') | Should -Be 0
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '10:00:00') | Should -Be 2
        @(Select-String -Path $settings.LOG_PATH -Pattern 'corrupt line').Count | Should -Be 1
        @([System.IO.File]::ReadAllLines($spool + '.corrupt')) | Should -Be @('not json at all')
        @(Get-SentEvents -OkIndexes 2, 3 | ForEach-Object { $_.state }) | Should -Be @('working', 'stopped')
    }

    It 'sets aside what the server would refuse: <Why>' -TestCases @(
        @{ Why = 'user over 256 characters'; Line = '{"user":"' + ('a' * 257) + '","state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'user of blanks'; Line = '{"user":"   ","state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'user with a direction override'; Line = '{"user":"CORP\\al\u202eice","state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'user with a control character'; Line = '{"user":"CORP\\al\u0007ice","state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'user not a string'; Line = '{"user":42,"state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'state in other letters'; Line = '{"user":"CORP\\alice","state":"Working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'ts without a zone'; Line = '{"user":"CORP\\alice","state":"working","ts":"2026-03-02T09:00:00"}' }
        @{ Why = 'ts not a date'; Line = '{"user":"CORP\\alice","state":"working","ts":"yesterday"}' }
        @{ Why = 'ts a number'; Line = '{"user":"CORP\\alice","state":"working","ts":1772442000000}' }
        @{ Why = 'ts not a real day'; Line = '{"user":"CORP\\alice","state":"working","ts":"2026-02-30T09:00:00Z"}' }
        @{ Why = 'ts before 2000'; Line = '{"user":"CORP\\alice","state":"working","ts":"1999-12-31T09:00:00Z"}' }
        @{ Why = 'device over 64 characters'; Line = '{"user":"CORP\\alice","state":"working","ts":"2026-03-02T09:00:00Z","device":"' + ('P' * 65) + '"}' }
        @{ Why = 'agent over 32 characters'; Line = '{"user":"CORP\\alice","state":"working","ts":"2026-03-02T09:00:00Z","agent":"' + ('1' * 33) + '"}' }
    ) {
        Test-AgentSpoolLine -Line $Line | Should -BeFalse
    }

    It 'sends what the server takes: <Why>' -TestCases @(
        @{ Why = 'the agent''s own line'; Line = '{"user":"CORP\\alice","state":"working","ts":"2026-03-02T09:00:00.0000000Z","device":"PC-ALICE","agent":"2.1.0"}' }
        @{ Why = 'an offset'; Line = '{"user":"CORP\\alice","state":"stopped","ts":"2026-03-02T11:00:00+02:00"}' }
        @{ Why = 'an emoji with joiners'; Line = '{"user":"CORP\\al\ud83d\udc68\u200d\ud83d\udc69","state":"working","ts":"2026-03-02T09:00:00Z"}' }
        @{ Why = 'user of 256 characters'; Line = '{"user":"' + ('a' * 256) + '","state":"working","ts":"2026-03-02T09:00:00Z","device":""}' }
    ) {
        Test-AgentSpoolLine -Line $Line | Should -BeTrue
    }

    It 'at its cap drops only lines still to send, and keeps the file near the cap' {
        $evs = 0..99 | ForEach-Object { New-Ev ((At '09:00:00').AddMinutes($_).ToString('HH:mm:ss')) }
        foreach ($e in $evs) { Add-AgentSpoolEvent -Path $spool -Events @($e) -MaxBytes 2000 }
        (Get-Item $spool).Length | Should -BeLessOrEqual 4000
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '11:00:00') | Should -BeGreaterThan 10
        @(Get-SentEvents)[-1].ts.Substring(11, 8) | Should -Be '10:39:00'
        @(Get-SentEvents | ForEach-Object { $_.ts }) | Should -Be @(Get-SentEvents | ForEach-Object { $_.ts } | Sort-Object -Unique)
    }

    It 'gets past a line longer than its read buffer' {
        $good1 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:00:00')
        $good2 = ConvertTo-AgentEventJson -InputEvent (New-Ev '09:02:00' 'stopped')
        [System.IO.File]::WriteAllText($spool, $good1 + "`n" + ('x' * 200000) + "`n" + $good2 + "`n")
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:05:00') | Should -Be 2
        @(Get-SentEvents | ForEach-Object { $_.state }) | Should -Be @('working', 'stopped')
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'takes over only the events an ended session had not sent' {
        $other = Join-Path $dir 'spool.PC-ALICE-4.jsonl'
        Add-AgentSpoolEvent -Path $other -Events @((New-Ev '08:00:00'), (New-Ev '08:01:00'), (New-Ev '08:02:00' 'stopped')) -MaxBytes 1MB
        $first = [System.Text.Encoding]::UTF8.GetByteCount((ConvertTo-AgentEventJson -InputEvent (New-Ev '08:00:00'))) + 1
        Set-AgentSpoolOffset -Path $other -Offset $first
        $mine = Join-Path $dir 'spool.PC-ALICE-2.jsonl'
        [void](Receive-AgentOrphans -SpoolBase $spool -StateBase $settings.STATE_PATH -Key 'PC-ALICE-2' -SpoolPath $mine)
        @(Read-Spool $mine | ForEach-Object { ($_ | ConvertFrom-Json -DateKind String).ts.Substring(11, 8) }) | Should -Be @('08:01:00', '08:02:00')
        Test-Path $other | Should -BeFalse
        Test-Path ($other + '.offset') | Should -BeFalse
    }

    It 'starts a fresh line after a line cut short by a crash' {
        [System.IO.File]::WriteAllText($spool, '{"user":"CORP\\alice","state":"work')
        Add-AgentSpoolEvent -Path $spool -Events @(New-Ev '09:03:00') -MaxBytes 1MB
        $lines = Read-Spool $spool
        $lines.Count | Should -Be 2
        Test-AgentSpoolLine -Line $lines[1] | Should -BeTrue
    }
}

Describe 'sending and retry' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $settings = New-TestSettings -Dir $dir
        $spool = $settings.SPOOL_PATH
        Initialize-AgentLog -Path $settings.LOG_PATH -Secrets @($settings.AGENT_TOKEN)
        $sender = New-AgentSender
        Add-AgentSpoolEvent -Path $spool -Events @((New-Ev '09:00:00'), (New-Ev '09:01:00')) -MaxBytes 1MB
    }

    It 'counts only the server''s 201 with "success": true as delivered' -TestCases @(
        @{ Code = 201; Body = '{"success":true}'; Class = 'ok' },
        @{ Code = 201; Body = '{"success":true,"accepted":2,"duplicates":0,"rejected":[]}'; Class = 'ok' },
        @{ Code = 200; Body = '{"success":true}'; Class = 'retry' },
        @{ Code = 201; Body = '<html><body>Welcome to the hotel network</body></html>'; Class = 'retry' },
        @{ Code = 201; Body = ''; Class = 'retry' },
        @{ Code = 201; Body = '{"success":false}'; Class = 'retry' },
        @{ Code = 204; Body = ''; Class = 'retry' }
    ) {
        Get-AgentRetryClass -StatusCode $Code -Body $Body | Should -Be $Class
    }

    It 'keeps the spool when a 2xx is not the server''s answer' {
        [void]$Fake.Responses.Add(@{ StatusCode = 200; Body = '<html>Sign in to the guest Wi-Fi</html>' })
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'not the server''s answer'
    }

    It 'classifies responses' -TestCases @(
        @{ Code = 0; Class = 'retry' }, @{ Code = 408; Class = 'retry' }, @{ Code = 429; Class = 'retry' },
        @{ Code = 500; Class = 'retry' }, @{ Code = 502; Class = 'retry' }, @{ Code = 503; Class = 'retry' },
        @{ Code = 401; Class = 'hold' }, @{ Code = 403; Class = 'hold' },
        @{ Code = 404; Class = 'hold' }, @{ Code = 405; Class = 'hold' },
        @{ Code = 413; Class = 'split' }, @{ Code = 407; Class = 'hold' },
        @{ Code = 301; Class = 'retry' }, @{ Code = 302; Class = 'retry' }, @{ Code = 307; Class = 'retry' },
        @{ Code = 400; Class = 'retry' }, @{ Code = 411; Class = 'retry' }, @{ Code = 415; Class = 'retry' },
        @{ Code = 422; Class = 'retry' }, @{ Code = 426; Class = 'retry' }, @{ Code = 431; Class = 'retry' }
    ) {
        Get-AgentRetryClass -StatusCode $Code | Should -Be $Class
    }

    It 'drops only what the server''s own 400 names as invalid' -TestCases @(
        @{ Body = '{"success":false,"error":{"code":"no_valid_events","message":"x","details":[{"index":0,"field":"ts","message":"m"}]}}'; Class = 'reject' },
        @{ Body = '{"success":false,"error":{"code":"invalid_json","message":"x"}}'; Class = 'retry' },
        @{ Body = '{"success":false,"error":{"code":"no_valid_events","message":"x","details":[{"field":"ts","message":"m"}]}}'; Class = 'retry' },
        @{ Body = '{"error":"bad request","details":[{"index":0}]}'; Class = 'retry' },
        @{ Body = '<html><h1>400 Bad Request</h1>Request Header Or Cookie Too Large</html>'; Class = 'retry' }
    ) {
        Get-AgentRetryClass -StatusCode 400 -Body $Body | Should -Be $Class
    }

    It 'backs off exponentially with jitter, capped' {
        Get-AgentBackoffSeconds -Failures 1 -BaseSeconds 10 -MaxSeconds 900 -Random 0 | Should -Be 5
        Get-AgentBackoffSeconds -Failures 1 -BaseSeconds 10 -MaxSeconds 900 -Random 0.999 | Should -BeLessThan 10
        Get-AgentBackoffSeconds -Failures 4 -BaseSeconds 10 -MaxSeconds 900 -Random 0 | Should -Be 40
        Get-AgentBackoffSeconds -Failures 40 -BaseSeconds 10 -MaxSeconds 900 -Random 1 | Should -Be 900
        Get-AgentBackoffSeconds -Failures 40 -BaseSeconds 10 -MaxSeconds 900 -Random 0 | Should -Be 450
    }

    It 'keeps the spool on a network error and waits before trying again, without sleeping' {
        [void]$Fake.Responses.Add(@{ StatusCode = 0 })
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        $sender.Failures | Should -Be 1
        $sender.NextAttemptAt | Should -BeGreaterThan ((At '09:02:00').Ticks / 1e7)
        $Fake.SleepCalls | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
        # before the backoff ends: no request at all
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:01') | Should -Be 0
        $Fake.Requests.Count | Should -Be 1
        # after it: sent
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:03:00') | Should -Be 2
        $sender.Failures | Should -Be 0
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'server reachable again'
    }

    It 'retries 5xx and 429, honouring Retry-After when longer than the backoff' {
        [void]$Fake.Responses.Add(@{ StatusCode = 429; RetryAfterSeconds = 120 })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        $sender.NextAttemptAt | Should -Be ((At '09:04:00').Ticks / 1e7)
        [void]$Fake.Responses.Add(@{ StatusCode = 503 })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:04:00'))
        $sender.Failures | Should -Be 2
        (Read-Spool $spool).Count | Should -Be 2
    }

    It 'holds the spool on 401 and 403, never dropping it' -TestCases @(@{ Code = 401 }, @{ Code = 403 }) {
        [void]$Fake.Responses.Add(@{ StatusCode = $Code })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        (Read-Spool $spool).Count | Should -Be 2
        $sender.Holding | Should -BeTrue
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'AGENT_TOKEN'
    }

    It 'drops the events the server''s 400 names as invalid, each with a log line, and keeps the others' {
        [void]$Fake.Responses.Add(@{ StatusCode = 400; Body = '{"success":false,"error":{"code":"no_valid_events","message":"No event in the batch is valid","details":[{"index":1,"field":"ts","message":"ts is more than 5 minutes in the future"}]}}' })
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 1
        @(Get-SentEvents -OkIndexes 1 | ForEach-Object { $_.ts.Substring(11, 8) }) | Should -Be @('09:00:00')
        Read-Spool $spool | Should -BeNullOrEmpty
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'event 1 invalid \(HTTP 400\); dropped: .*09:01:00'
    }

    It 'keeps everything on a 400 that is not the server''s verdict on the events' {
        [void]$Fake.Responses.Add(@{ StatusCode = 400; Body = '{"success":false,"error":{"code":"invalid_json","message":"The body is not valid JSON"}}' })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        (Read-Spool $spool).Count | Should -Be 2
        $sender.NextAttemptAt | Should -BeGreaterThan ((At '09:02:00').Ticks / 1e7)
    }

    It 'grows the batch back after a 413 once smaller batches go through' {
        $settings.BATCH_SIZE = 4
        $evs = 0..39 | ForEach-Object { New-Ev ((At '09:10:00').AddMinutes($_).ToString('HH:mm:ss')) }
        Add-AgentSpoolEvent -Path $spool -Events $evs -MaxBytes 1MB
        [void]$Fake.Responses.Add(@{ StatusCode = 413 })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') -MaxBatches 20)
        @($Fake.Requests | ForEach-Object { @(($_.Text | ConvertFrom-Json).events).Count }) -join ',' | Should -Be '4,2,2,2,2,2,4,4,4,4,4,4,4,4'
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'logs events a 201 names as rejected' {
        [void]$Fake.Responses.Add(@{ StatusCode = 201; Body = '{"success":true,"accepted":1,"duplicates":0,"rejected":[{"index":1,"error":{"code":"ts_future"}}]}' })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        Read-Spool $spool | Should -BeNullOrEmpty
        Get-Content -Raw $settings.LOG_PATH | Should -Match 'rejected event 1.*09:01:00.*ts_future'
    }

    It 'halves the batch on 413' {
        [void]$Fake.Responses.Add(@{ StatusCode = 413 })
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        $sender.BatchSize | Should -Be 250
        @(Get-SentEvents).Count | Should -Be 4   # the refused batch of 2, then 2 accepted
        Read-Spool $spool | Should -BeNullOrEmpty
    }

    It 'sends a bearer token, UTF-8 bytes and a timeout on every request' {
        Add-AgentSpoolEvent -Path $spool -Events @(New-AgentEvent -User ('CORP\J' + [char]0xF6 + 'rg') -State working -Time (At '09:01:30')) -MaxBytes 1MB
        [void](Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00'))
        $req = $Fake.Requests[0]
        $req.Token | Should -Be 'wt_ingest_secret123'
        $req.TimeoutSec | Should -Be 15
        $req.Text | Should -Match ('J' + [char]0xF6 + 'rg')
        $bytes = [byte[]]$req.Body
        $hex = [System.BitConverter]::ToString($bytes)
        $hex | Should -Match 'C3-B6'           # o-umlaut as UTF-8
        $bytes[0] | Should -Be 0x7B           # no byte-order mark
    }

    It 'does not send without an API_ENDPOINT, and keeps the spool' {
        $settings.API_ENDPOINT = $null
        Invoke-AgentFlush -Sender $sender -Settings $settings -NowUtc (At '09:02:00') | Should -Be 0
        $Fake.Requests.Count | Should -Be 0
        (Read-Spool $spool).Count | Should -Be 2
    }
}
