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
        $script:net = Start-FakeNetwork -Script $Script
        $script:settings.API_ENDPOINT = $script:net.Report
    }
    function Get-Stored { return @((Get-FakeNetworkLog $script:net).stored | ForEach-Object { $_.ts.Substring(11, 8) }) }
}

Describe 'delivery through a network that misbehaves' {
    BeforeEach {
        Reset-Fake -Now (At '09:00:00')
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
}
