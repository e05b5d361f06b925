# The state machine of DESIGN section 7, first one poll at a time (Step-AgentState), then the
# real main loop (Start-WorkTracingAgent) with a fake clock, a fake user and a fake server; the
# events the server gets are run through the hours rules (a reference model in the helpers) and
# must give exactly the periods the fake user worked.

BeforeAll {
    . (Join-Path $PSScriptRoot 'AgentTestHelpers.ps1')
}

Describe 'Step-AgentState' {
    BeforeEach {
        Reset-Fake
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $settings = New-TestSettings -Dir $dir
        $state = New-AgentState -User 'CORP\alice'
    }

    It 'reports working at the latest input on the first active poll' {
        $ev = @(Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 2500 -Settings $settings)
        $ev.Count | Should -Be 1
        $ev[0].state | Should -Be 'working'
        $ev[0].ts | Should -Be '2026-03-02T08:59:57.5000000Z'
        $ev[0].user | Should -Be 'CORP\alice'
    }

    It 'sends working heartbeats at most every REPORT_INTERVAL_MINUTES, each with the latest input' {
        $settings.REPORT_INTERVAL_MINUTES = 2
        $all = @()
        foreach ($m in 0..4) {
            $all += @(Step-AgentState -State $state -NowUtc ((At '09:00:00').AddMinutes($m)) -IdleMs 1000 -Settings $settings)
        }
        @($all | ForEach-Object { $_.ts }) | Should -Be @(
            '2026-03-02T08:59:59.0000000Z', '2026-03-02T09:01:59.0000000Z', '2026-03-02T09:03:59.0000000Z')
    }

    It 'does not repeat a heartbeat when there was no new input' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        $ev = @(Step-AgentState -State $state -NowUtc (At '09:01:00') -IdleMs 60000 -Settings $settings)
        $ev.Count | Should -Be 0
    }

    It 'stops at the time of the last input once idle reaches the threshold' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        $ev = @(Step-AgentState -State $state -NowUtc (At '09:10:00') -IdleMs 600000 -Settings $settings)
        $ev.Count | Should -Be 1
        $ev[0].state | Should -Be 'stopped'
        $ev[0].ts | Should -Be '2026-03-02T09:00:00.0000000Z'
        $state.Mode | Should -Be 'stopped'
    }

    It 'sends a stopped heartbeat stamped now every IDLE_REPORT_MINUTES while idle' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        $all = @()
        foreach ($m in 10..21) {
            $now = (At '09:00:00').AddMinutes($m)
            $all += @(Step-AgentState -State $state -NowUtc $now -IdleMs ($m * 60000) -Settings $settings)
        }
        @($all | ForEach-Object { "$($_.state) $($_.ts)" }) | Should -Be @(
            'stopped 2026-03-02T09:00:00.0000000Z',
            'stopped 2026-03-02T09:15:00.0000000Z',
            'stopped 2026-03-02T09:20:00.0000000Z')
    }

    It 'reports stopped now when the first poll already finds the user idle' {
        $ev = @(Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 3600000 -Settings $settings)
        "$($ev[0].state) $($ev[0].ts)" | Should -Be 'stopped 2026-03-02T09:00:00.0000000Z'
    }

    It 'treats a wall-clock jump as idle from the last input, even when the user is active right after it' {
        foreach ($m in 0..30) { [void](Step-AgentState -State $state -NowUtc ((At '09:00:00').AddMinutes($m)) -IdleMs 0 -Settings $settings) }
        # slept at 09:30, woke at 09:36 and the user typed at once: idle is only 1 s
        $ev = @(Step-AgentState -State $state -NowUtc (At '09:36:00') -IdleMs 1000 -Settings $settings)
        @($ev | ForEach-Object { "$($_.state) $($_.ts)" }) | Should -Be @(
            'stopped 2026-03-02T09:30:00.0000000Z',
            'working 2026-03-02T09:35:59.0000000Z')
    }

    It 'after a jump, input older than the previous poll is not fresh work' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        # tick count that did not advance during sleep: idle looks small but predates the jump
        $ev = @(Step-AgentState -State $state -NowUtc (At '11:00:00') -IdleMs (2 * 3600000 + 5000) -Settings $settings)
        @($ev | ForEach-Object { $_.state }) | Should -Be @('stopped')
        $state.Mode | Should -Be 'stopped'
    }

    It 'treats a clock set back as a jump' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        $ev = @(Step-AgentState -State $state -NowUtc (At '08:00:00') -IdleMs 0 -Settings $settings)
        @($ev | ForEach-Object { "$($_.state) $($_.ts)" }) | Should -Be @(
            'stopped 2026-03-02T09:00:00.0000000Z',
            'working 2026-03-02T08:00:00.0000000Z')
    }

    It 'reports nothing while the idle time cannot be read, and closes a working run after the threshold' {
        [void](Step-AgentState -State $state -NowUtc (At '09:00:00') -IdleMs 0 -Settings $settings)
        $all = @()
        foreach ($m in 1..12) { $all += @(Step-AgentState -State $state -NowUtc ((At '09:00:00').AddMinutes($m)) -IdleMs $null -Settings $settings) }
        @($all | ForEach-Object { "$($_.state) $($_.ts)" }) | Should -Be @('stopped 2026-03-02T09:00:00.0000000Z')
    }
}

Describe 'the main loop with a fake clock, user and server' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $config = Write-TestConfig -Dir $dir
        $Fake.SpoolPath = Join-Path $dir 'spool.jsonl'
    }

    It 'work, idle, work: the server''s periods are exactly what the user did' {
        $Fake.Activity = @(
            @((At '09:00:00'), (At '10:00:00')),
            @((At '10:30:00'), (At '11:00:00')))
        $rc = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 150
        $rc | Should -Be 0
        $events = Get-SentEvents
        Format-Periods (Get-Periods $events) | Should -Be '09:00:00-10:00:00, 10:30:00-11:00:00'
        # idle heartbeats were sent while idle (alive, not working)
        @($events | Where-Object { $_.state -eq 'stopped' -and $_.ts -eq '2026-03-02T10:15:00.0000000Z' }).Count | Should -Be 1
        # nothing left behind
        [System.IO.File]::ReadAllText($Fake.SpoolPath).Trim() | Should -BeNullOrEmpty
    }

    It 'a sleep jump is not counted as work' {
        $Fake.Activity = @(
            @((At '09:00:00'), (At '09:30:00')),
            @((At '09:36:00'), (At '10:00:00')))
        # the 31st sleep (09:30 -> 09:31) lasts 5 more minutes: the machine slept
        $Fake.Jumps = @{ 31 = 300 }
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 80
        Format-Periods (Get-Periods (Get-SentEvents)) | Should -Be '09:00:00-09:30:00, 09:36:00-10:00:00'
        Get-Content -Raw (Join-Path $dir 'agent.log') | Should -Match 'clock jump'
    }

    It 'a clock set back an hour delays neither the idle heartbeat nor a retry' {
        # Nobody at the machine; the server unreachable for its first 5 attempts (the 5th backs
        # off 120 s, to 09:06), and between 09:05 and 09:06 the clock is set back to 08:05.
        $Fake.Respond = {
            param($now)
            if ($Fake.Requests.Count -le 5) { return @{ StatusCode = 0 } }
            return @{ StatusCode = 201; Body = '{"success":true}' }
        }
        $Fake.ClockSets = @{ 6 = -3600 }
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 12
        @($Fake.Requests | ForEach-Object { $_.At.ToString('HH:mm:ss') }) | Should -Be @(
            '09:00:00', '09:01:00', '09:02:00', '09:03:00', '09:04:00', '08:06:00', '08:10:00')
        @(Get-SentEvents -OkIndexes 5, 6 | ForEach-Object { "$($_.state) $($_.ts)" }) | Should -Be @(
            'stopped 2026-03-02T09:00:00.0000000Z',
            'stopped 2026-03-02T09:05:00.0000000Z',
            'stopped 2026-03-02T08:10:00.0000000Z')
        Get-Content -Raw (Join-Path $dir 'agent.log') | Should -Match 'clock jump'
    }

    It 'closes a run that ended while working, from the state file, before anything else' {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        $last = At '08:20:00'
        '{"version":1,"user":"CORP\\alice","mode":"working","lastInputTicks":' + $last.Ticks + '}' |
            Set-Content -LiteralPath (Join-Path $dir 'state.json')
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 1
        $events = Get-SentEvents
        "$($events[0].state) $($events[0].ts)" | Should -Be 'stopped 2026-03-02T08:20:00.0000000Z'
        # and the state file now holds this run
        (Get-Content -Raw (Join-Path $dir 'state.json') | ConvertFrom-Json).mode | Should -Be 'stopped'
    }

    It 'a state file of a run that ended stopped, or a corrupt one, adds nothing' {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        '{"version":1,"user":"CORP\\alice","mode":"stopped","lastInputTicks":1}' | Set-Content -LiteralPath (Join-Path $dir 'state.json')
        @(Get-AgentRecoveryEvents -Path (Join-Path $dir 'state.json')).Count | Should -Be 0
        '{"mode":"work' | Set-Content -LiteralPath (Join-Path $dir 'state.json')
        @(Get-AgentRecoveryEvents -Path (Join-Path $dir 'state.json')).Count | Should -Be 0
    }

    It 'keeps polling through a server outage and loses nothing' {
        $Fake.Activity = @(
            @((At '09:00:00'), (At '09:40:00')),
            @((At '10:10:00'), (At '10:50:00')))
        $down1 = At '09:20:00'; $down2 = At '10:30:00'
        $Fake.Respond = {
            param($now)
            if ($now -ge $down1 -and $now -lt $down2) { return @{ StatusCode = 0 } }
            return @{ StatusCode = 201; Body = '{"success":true}' }
        }.GetNewClosure()
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 130
        $ok = @(for ($i = 0; $i -lt $Fake.Requests.Count; $i++) {
                $t = $Fake.Requests[$i].At
                if (-not ($t -ge $down1 -and $t -lt $down2)) { $i }
            })
        $events = Get-SentEvents -OkIndexes $ok
        Format-Periods (Get-Periods $events) | Should -Be '09:00:00-09:40:00, 10:10:00-10:50:00'
        # events arrived oldest first
        $ts = @($events | ForEach-Object { $_.ts })
        ($ts -join '|') | Should -Be ((@($ts | Sort-Object)) -join '|')
        # backoff: far fewer attempts during the 70-minute outage than polls
        @($Fake.Requests | Where-Object { $_.At -ge $down1 -and $_.At -lt $down2 }).Count | Should -BeLessThan 20
        [System.IO.File]::ReadAllText($Fake.SpoolPath).Trim() | Should -BeNullOrEmpty
    }

    It 'a spool that cannot be written for a while loses no event: the stopped arrives and the hours stay exact' {
        # 09:00-09:05 at work; the stopped (stamped 09:05) is made at the 09:15 poll, while the
        # spool's path is taken by a folder (as a full disk or a locked file would refuse it).
        $Fake.Activity = @(, @((At '09:00:00'), (At '09:05:00')))
        $spoolPath = $Fake.SpoolPath
        function Test-AgentStopRequested {
            if ($Fake.Now -eq (At '09:14:00')) {
                Remove-Item -LiteralPath $spoolPath -Force
                New-Item -ItemType Directory -Path $spoolPath | Out-Null
            }
            if ($Fake.Now -eq (At '09:18:00')) { Remove-Item -LiteralPath $spoolPath -Force -Recurse }
            return $false
        }
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 30
        $events = Get-SentEvents
        @($events | Where-Object { $_.state -eq 'stopped' -and $_.ts -eq '2026-03-02T09:05:00.0000000Z' }).Count | Should -Be 1
        Format-Periods (Get-Periods $events) | Should -Be '09:00:00-09:05:00'
        $log = Get-Content -Raw (Join-Path $dir 'agent.log')
        $log | Should -Match 'cannot write the spool'
        $log | Should -Match 'spool writable again'
    }

    It 'while an event is only in memory, the state file does not move past it' {
        $Fake.Activity = @(, @((At '09:00:00'), (At '09:05:00')))
        $spoolPath = $Fake.SpoolPath
        $statePath = Join-Path $dir 'state.json'
        function Test-AgentStopRequested {
            if ($Fake.Now -eq (At '09:14:00')) {
                Remove-Item -LiteralPath $spoolPath -Force
                New-Item -ItemType Directory -Path $spoolPath | Out-Null
            }
            return ($Fake.Now -ge (At '09:16:00'))
        }
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 30
        # the agent "crashed" with the stopped in memory only: the next start must still close the run
        (Get-Content -Raw $statePath | ConvertFrom-Json).mode | Should -Be 'working'
        $recovered = @(Get-AgentRecoveryEvents -Path $statePath)
        "$($recovered[0].state) $($recovered[0].ts)" | Should -Be 'stopped 2026-03-02T09:05:00.0000000Z'
    }

    It 'the state file is replaced whole: a reader never finds it empty or half written' {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        $statePath = Join-Path $dir 'state.json'
        $state = New-AgentState -User ('CORP' + ('x' * 3000))
        $state.Mode = 'working'
        $state.LastInputUtc = At '09:00:00'
        Save-AgentStateFile -Path $statePath -State $state
        $reader = [powershell]::Create()
        [void]$reader.AddScript({
                param($p, $until)
                $bad = 0; $reads = 0
                while ([DateTime]::UtcNow -lt $until) {
                    try { $t = [System.IO.File]::ReadAllText($p) } catch { continue }
                    $reads++
                    try { $null = $t | ConvertFrom-Json -ErrorAction Stop; if (-not $t) { $bad++ } } catch { $bad++ }
                }
                return @($bad, $reads)
            }).AddArgument($statePath).AddArgument([DateTime]::UtcNow.AddSeconds(3))
        $async = $reader.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(2.5)
        $i = 0
        while ([DateTime]::UtcNow -lt $deadline) {
            $i++
            $state.LastInputUtc = (At '09:00:00').AddSeconds($i)
            Save-AgentStateFile -Path $statePath -State $state
        }
        $result = $reader.EndInvoke($async)
        $reader.Dispose()
        $result[1] | Should -BeGreaterThan 100
        $result[0] | Should -Be 0
    }

    It 'every event names the device and the agent''s version' {
        $Fake.Activity = @(, @((At '09:00:00'), (At '09:03:00')))
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 15
        $events = @(Get-SentEvents)
        $events.Count | Should -BeGreaterThan 3
        @($events | Where-Object { $_.device -ne 'PC-ALICE' -or $_.agent -ne $script:AgentVersion }).Count | Should -Be 0
    }

    It 'each session keeps its own spool and state; another running session''s files are left alone' {
        $Fake.SessionKey = 'PC-ALICE-2'
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        # session 3 is running now (its agent holds its lock) with an event not yet sent
        $other = Join-Path $dir 'spool.PC-ALICE-3.jsonl'
        $line = ConvertTo-AgentEventJson -InputEvent (New-AgentEvent -User 'CORP\alice' -State working -Time (At '08:59:00'))
        [System.IO.File]::WriteAllText($other, $line + "`n")
        $otherLock = Lock-AgentSession -SpoolPath $other
        try {
            $Fake.Activity = @(, @((At '09:00:00'), (At '09:03:00')))
            $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 5
        } finally { $otherLock.Dispose() }
        [System.IO.File]::ReadAllText($other) | Should -Be ($line + "`n")
        Test-Path (Join-Path $dir 'state.PC-ALICE-2.json') | Should -BeTrue
        Test-Path (Join-Path $dir 'spool.PC-ALICE-2.jsonl') | Should -BeTrue
        Test-Path (Join-Path $dir 'spool.jsonl') | Should -BeFalse
        @(Get-SentEvents | Where-Object { $_.ts -like '*T08:59:00*' }).Count | Should -Be 0
    }

    It 'takes over the spool and open run of a session that ended, and of an agent before 2.1' {
        $Fake.SessionKey = 'PC-ALICE-5'
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        $ev = { param($t, $st) ConvertTo-AgentEventJson -InputEvent (New-AgentEvent -User 'CORP\alice' -State $st -Time (At $t)) }
        [System.IO.File]::WriteAllText((Join-Path $dir 'spool.PC-ALICE-4.jsonl'), (& $ev '08:10:00' 'working') + "`n")
        [System.IO.File]::WriteAllText((Join-Path $dir 'spool.jsonl'), (& $ev '08:00:00' 'working') + "`n" + (& $ev '08:05:00' 'stopped') + "`n")
        '{"version":1,"user":"CORP\\alice","mode":"working","lastInputTicks":' + (At '08:20:00').Ticks + '}' |
            Set-Content -LiteralPath (Join-Path $dir 'state.PC-ALICE-4.json')
        $null = Start-WorkTracingAgent -ScriptDir $dir -ConfigPath $config -MaxPolls 2
        $sent = @(Get-SentEvents | ForEach-Object { "$($_.state) $($_.ts.Substring(11, 8))" })
        $sent | Should -Contain 'working 08:00:00'
        $sent | Should -Contain 'stopped 08:05:00'
        $sent | Should -Contain 'working 08:10:00'
        $sent | Should -Contain 'stopped 08:20:00'
        @(Get-ChildItem -LiteralPath $dir -Name) | Should -Not -Contain 'spool.PC-ALICE-4.jsonl'
        @(Get-ChildItem -LiteralPath $dir -Name) | Should -Not -Contain 'state.PC-ALICE-4.json'
        @(Get-ChildItem -LiteralPath $dir -Name) | Should -Not -Contain 'spool.jsonl'
    }

    It 'dot-sourcing the script does not start the loop' {
        # A fresh runspace with none of the fakes: if the guard failed, the real loop would start
        # (and, with no config, never return 'loaded' before the timeout).
        $ps = [powershell]::Create()
        try {
            [void]$ps.AddScript(". '$AgentScript'; 'loaded'; [bool](Get-Command Start-WorkTracingAgent -ErrorAction SilentlyContinue)")
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(20000) | Should -BeTrue
            $out = @($ps.EndInvoke($async))
            $out[0] | Should -Be 'loaded'
            $out[1] | Should -BeTrue
        } finally {
            $ps.Dispose()
        }
    }
}
