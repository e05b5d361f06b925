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

    It 'clamps to 0 when the last input is a few ms ahead of now (readings raced)' {
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]1000, [uint32]1003) | Should -Be 0
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2, [uint32]5) | Should -Be 0
        # ahead across the wrap
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]::MaxValue, [uint32]2) | Should -Be 0
    }

    It 'keeps exactly 2^31 and clamps anything above it' {
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483648, [uint32]0) | Should -Be 2147483648
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483649, [uint32]0) | Should -Be 0
        [WorkTracing.IdleMath]::IdleMilliseconds([uint32]2147483647, [uint32]0) | Should -Be 2147483647
    }

    It 'returns a long, never a negative number' {
        $r = [WorkTracing.IdleMath]::IdleMilliseconds([uint32]0, [uint32]1)
        $r | Should -BeOfType [long]
        $r | Should -BeGreaterOrEqual 0
    }
}
