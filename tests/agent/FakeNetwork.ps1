# Starts tests/agent/fake-network.mjs (a server that misbehaves as networks do) for tests that
# run the agent's real HTTP calls. Dot-source inside BeforeAll.

function Start-FakeNetwork {
    # $Script: hashtable of the script (see fake-network.mjs). Returns Url, Report (the
    # /api/report address), Process.
    param([hashtable]$Script = @{})
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('wt-fake-' + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $scriptPath = Join-Path $dir 'script.json'
    [System.IO.File]::WriteAllText($scriptPath, ($Script | ConvertTo-Json -Depth 10))
    $psi = [System.Diagnostics.ProcessStartInfo]::new('node')
    $psi.ArgumentList.Add((Join-Path $PSScriptRoot 'fake-network.mjs'))
    $psi.ArgumentList.Add($scriptPath)
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    $line = $p.StandardOutput.ReadLine()
    if ($line -notmatch '^LISTENING (\d+)$') { throw "fake network did not start: $line" }
    $url = 'http://127.0.0.1:' + $Matches[1]
    return [pscustomobject]@{ Url = $url; Report = $url + '/api/report'; Process = $p }
}

function Stop-FakeNetwork {
    param($Network)
    if ($Network -and -not $Network.Process.HasExited) { $Network.Process.Kill(); $Network.Process.WaitForExit() }
}

function Get-FakeNetworkLog {
    param($Network)
    return ((Invoke-WebRequest -Uri ($Network.Url + '/__log') -TimeoutSec 5 -UseBasicParsing).Content | ConvertFrom-Json -DateKind String)
}
