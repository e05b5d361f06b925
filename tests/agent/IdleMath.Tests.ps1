# The idle-time C# type: it compiles (the very source report.ps1 uses), and its unsigned 32-bit
# arithmetic is right at the edges. The DllImport half cannot run on Linux; the arithmetic is a
# separate static method that can.

BeforeAll {
    # The real agent, without the test fakes: its own Initialize-AgentIdleSource compiles the type.
    . (Join-Path $PSScriptRoot '../../client_tools/report.ps1')
    $compiled = Initialize-AgentIdleSource
}

Describe 'WorkTracing idle type' {
    It 'compiles from the source embedded in report.ps1 (Initialize-AgentIdleSource)' {
        $compiled | Should -BeTrue
        'WorkTracing.IdleMath' -as [type] | Should -Not -BeNullOrEmpty
        'WorkTracing.IdleNative' -as [type] | Should -Not -BeNullOrEmpty
        [WorkTracing.IdleNative].GetMethod('GetIdleMilliseconds') | Should -Not -BeNullOrEmpty
    }

    It 'gives 0 for equal ticks' {
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]123456, [uint32]123456) | Should -Be 0
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]0, [uint32]0) | Should -Be 0
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]::MaxValue, [uint32]::MaxValue) | Should -Be 0
    }

    It 'gives the plain difference in the ordinary case' {
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]600000, [uint32]1000) | Should -Be 599000
    }

    It 'counts across the 32-bit wrap of the tick counter' {
        # last input 10 ms before the wrap, now 20 ms after it: 30 ms idle
        $last = [uint32]([uint32]::MaxValue - 9)
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]20, $last) | Should -Be 30
        # last input exactly at the top, now at 0
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]0, [uint32]::MaxValue) | Should -Be 1
    }

    It 'keeps idle times of 2^31 ms (24.8 days) and more, up to the 2^32 wrap' {
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483647, [uint32]0) | Should -Be 2147483647
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483648, [uint32]0) | Should -Be 2147483648
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483649, [uint32]0) | Should -Be 2147483649
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]::MaxValue, [uint32]0) | Should -Be 4294967295
        # across the wrap: last input 2^31 + 10 ms before it
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]10, [uint32]2147483648) | Should -Be 2147483658
    }

    It 'a session untouched for 25 days is stopped, not working' {
        $last = [uint32]1000
        $now = [uint32]($last + [uint32](25 * 86400000))
        $idle = [WorkTracing.IdleMath]::IdleMilliseconds($now, $last)
        $idle | Should -Be (25 * 86400000)
        $settings = @{ IDLE_THRESHOLD_MINUTES = 10; POLL_INTERVAL_SECONDS = 60; REPORT_INTERVAL_MINUTES = 1; IDLE_REPORT_MINUTES = 5 }
        $state = New-AgentState -User 'CORP\alice'
        $t = [DateTime]::new(2026, 3, 2, 9, 0, 0, [DateTimeKind]::Utc)
        $states = foreach ($m in 0..3) { @(Step-AgentState -State $state -NowUtc $t.AddMinutes($m) -IdleMs $idle -Settings $settings) | ForEach-Object { $_.state } }
        @($states) | Should -Not -Contain 'working'
        $state.Mode | Should -Be 'stopped'
    }

    It 'returns a long, never a negative number' {
        $r = [WorkTracing.IdleMath]::IdleMilliseconds([uint32]0, [uint32]1)
        $r | Should -BeOfType [long]
        $r | Should -BeGreaterOrEqual 0
    }
}
