# End-to-end driver (tests/server/agent-e2e-*.test.ts run it): the REAL report.ps1 main loop
# (Start-WorkTracingAgent), its real configuration, spool, retry policy and real HTTP
# (Invoke-WebRequest to the real server with a real token). Only what needs Windows, or what
# would take a real day, is replaced:
#   Get-AgentUtcNow / Invoke-AgentSleep  a fake clock that moves by the poll interval per sleep,
#   Get-AgentElapsedSeconds              plus scripted laptop sleeps (a wall-clock jump)
#   Get-AgentIdleMilliseconds            a scripted fake user (GetLastInputInfo)
#   Enter/Exit-AgentSingleInstance       the named mutex
#   Get-AgentUserName                    WindowsIdentity
#   Test-AgentStopRequested              ends the loop at the end of the simulated day
# Invoke-AgentHttpPost is only wrapped to record what each real request got.
#
# The scenario is a JSON file (all instants ISO UTC):
#   { "start": ..., "end": ..., "user": "CORP\\alice",
#     "activity": [[from, to], ...],            the user touches the machine throughout each range
#     "sleeps":   [{"at": ..., "seconds": n}],   the machine sleeps at "at" for n seconds
#     "pauses":   [{"at": ..., "name": "down"}], before the first poll at or after "at", write
#                                                <markerDir>/<name>.request and wait (in real
#                                                time) for <markerDir>/<name>.done
#     "markerDir": ..., "pauseTimeoutSeconds": 60,
#     "prefill":  path }                         optional: a file of spool lines, put where this
#                                                session's spool is before the agent starts (what
#                                                a week offline leaves behind)
# With "realClock": {"pcAheadSeconds": n, "runSeconds": m} nothing of the clock is replaced but
# the PC's wall clock, which is real time + n: sleeps and the monotonic clock are real, the
# server's Date header is used, and the run ends m real seconds after the agent's first poll.
# Then "activity" is in seconds from that first poll ("realStart" in the result, true time; a
# slow start-up of PowerShell must not eat the scenario) and
# "start"/"end"/"sleeps"/"pauses" are not used.
# At the end it prints one JSON line: rc, polls, the fake end time, requests and the spool left.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$ScenarioPath,
    [Parameter(Mandatory = $true)][string]$AgentConfig
)
# (not -ConfigPath: dot-sourcing report.ps1 runs its param block here, and its $ConfigPath
# would overwrite ours)

$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot '../../client_tools/report.ps1')

function ConvertTo-UtcTime([string]$Text) {
    return [DateTime]::Parse($Text, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()
}

$scenario = [System.IO.File]::ReadAllText($ScenarioPath) | ConvertFrom-Json -DateKind String
$realClock = $null
if ($scenario.PSObject.Properties.Name -contains 'realClock') { $realClock = $scenario.realClock }
$start = [DateTime]::UtcNow
$end = $start
if ($null -eq $realClock) {
    $start = ConvertTo-UtcTime $scenario.start
    $end = ConvertTo-UtcTime $scenario.end
}
$Fake = @{
    Real       = ($null -ne $realClock)
    Anchor     = $null
    Now        = $start
    End        = $end
    User       = [string]$scenario.user
    Activity   = @(if ($null -eq $realClock) { foreach ($r in @($scenario.activity)) { , @((ConvertTo-UtcTime $r[0]), (ConvertTo-UtcTime $r[1])) } })
    Sleeps     = @(foreach ($s in @($scenario.sleeps)) { @{ At = (ConvertTo-UtcTime $s.at); Seconds = [double]$s.seconds } })
    Pauses     = @(foreach ($p in @($scenario.pauses)) { @{ At = (ConvertTo-UtcTime $p.at); Name = [string]$p.name; Done = $false } })
    MarkerDir  = [string]$scenario.markerDir
    PauseTimeout = [double]$scenario.pauseTimeoutSeconds
    Elapsed    = 0.0
    Polls      = 0
    Requests   = New-Object System.Collections.ArrayList
    SpoolPath  = $null
}

# --- the replaced seams ------------------------------------------------------------------------

$script:RealElapsed = ${function:Get-AgentElapsedSeconds}
$script:RealSleep = ${function:Invoke-AgentSleep}
$script:RealHttpGet = ${function:Invoke-AgentHttpGet}

function Get-AgentUtcNow {
    if ($Fake.Real) { return [DateTime]::UtcNow.AddSeconds([double]$realClock.pcAheadSeconds) }
    return $Fake.Now
}
function Get-AgentElapsedSeconds {
    if ($Fake.Real) { return (& $script:RealElapsed) }
    return $Fake.Elapsed
}

function Get-AgentUserName { return $Fake.User }
function Enter-AgentSingleInstance { return $true }
function Exit-AgentSingleInstance { }

function Test-AgentStopRequested {
    $Fake.Polls++
    if ($Fake.Real) { return ($null -ne $Fake.Anchor -and ([DateTime]::UtcNow - $Fake.Anchor).TotalSeconds -ge [double]$realClock.runSeconds) }
    return ($Fake.Now -ge $Fake.End)
}

function Get-SpoolLineCount {
    if (-not $Fake.SpoolPath -or -not (Test-Path -LiteralPath $Fake.SpoolPath)) { return 0 }
    return @([System.IO.File]::ReadAllLines($Fake.SpoolPath) | Where-Object { $_.Trim() }).Count
}

function Wait-ForTest([string]$Name) {
    # Tells the test that the fake clock reached a pause and waits (really) until it is done.
    $request = Join-Path $Fake.MarkerDir ($Name + '.request')
    $done = Join-Path $Fake.MarkerDir ($Name + '.done')
    $info = @{ fakeNow = (Format-AgentTimestamp -Time $Fake.Now); spoolLines = (Get-SpoolLineCount) } | ConvertTo-Json -Compress
    [System.IO.File]::WriteAllText($request + '.tmp', $info)
    [System.IO.File]::Move($request + '.tmp', $request)
    $deadline = [DateTime]::UtcNow.AddSeconds($Fake.PauseTimeout)
    while (-not (Test-Path -LiteralPath $done)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "the test did not finish pause '$Name' within $($Fake.PauseTimeout) s" }
        Start-Sleep -Milliseconds 25
    }
}

function Invoke-AgentSleep {
    param([double]$Seconds)
    if ($Fake.Real) { & $script:RealSleep -Seconds $Seconds; return }
    $from = $Fake.Now
    $to = $from.AddSeconds($Seconds)
    foreach ($s in $Fake.Sleeps) {
        # The machine went to sleep during this interval: the process was frozen for that long.
        if ($s.At -gt $from -and $s.At -le $to) { $to = $to.AddSeconds($s.Seconds) }
    }
    $Fake.Elapsed += ($to - $from).TotalSeconds
    $Fake.Now = $to
    foreach ($p in $Fake.Pauses) {
        if (-not $p.Done -and $p.At -le $to) {
            $p.Done = $true
            Wait-ForTest $p.Name
        }
    }
}

function Get-AgentIdleMilliseconds {
    # GetLastInputInfo of the fake user: the latest instant, up to now, inside an activity range.
    $now = $Fake.Now
    if ($Fake.Real) {
        $now = [DateTime]::UtcNow
        if ($null -eq $Fake.Anchor) {
            $Fake.Anchor = $now
            $Fake.Activity = @(foreach ($r in @($scenario.activity)) { , @($now.AddSeconds([double]$r[0]), $now.AddSeconds([double]$r[1])) })
        }
    }
    $latest = $null
    foreach ($r in $Fake.Activity) {
        if ($r[0] -gt $now) { continue }
        $touch = $r[1]
        if ($now -lt $touch) { $touch = $now }
        if ($null -eq $latest -or $touch -gt $latest) { $latest = $touch }
    }
    if ($null -eq $latest) { return [long]86400000 }   # untouched since long before the day
    return [long]($now - $latest).TotalMilliseconds
}

# --- the real HTTP call, recorded ---------------------------------------------------------------

$script:RealHttpPost = ${function:Invoke-AgentHttpPost}
function Invoke-AgentHttpPost {
    param([string]$Uri, [byte[]]$Body, [string]$Token, [int]$TimeoutSec)
    $r = & $script:RealHttpPost -Uri $Uri -Body $Body -Token $Token -TimeoutSec $TimeoutSec
    # The fake clock runs a simulated day in seconds: the server's real Date says nothing about it.
    if (-not $Fake.Real) { $r.Date = $null }
    $count = @(([System.Text.Encoding]::UTF8.GetString($Body) | ConvertFrom-Json).events).Count
    [void]$Fake.Requests.Add([ordered]@{ at = (Format-AgentTimestamp -Time (Get-AgentUtcNow)); status = [int]$r.StatusCode; events = $count; error = $r.Error })
    return $r
}

function Invoke-AgentHttpGet {
    param([string]$Uri, [int]$TimeoutSec)
    if ($Fake.Real) { return (& $script:RealHttpGet -Uri $Uri -TimeoutSec $TimeoutSec) }
    return [pscustomobject]@{ StatusCode = 0; Date = $null }
}

# --- run the day --------------------------------------------------------------------------------

$config = Read-AgentConfig -ScriptDir (Split-Path -Parent $AgentConfig) -ConfigPath $AgentConfig
$Fake.SpoolPath = Get-AgentSessionPath -Path $config.Settings['SPOOL_PATH'] -Key (Get-AgentSessionKey)
if ($scenario.PSObject.Properties.Name -contains 'prefill') {
    [System.IO.File]::Copy([string]$scenario.prefill, $Fake.SpoolPath, $true)
}
$started = [DateTime]::UtcNow
$rc = Start-WorkTracingAgent -ScriptDir (Split-Path -Parent $AgentConfig) -ConfigPath $AgentConfig -MaxPolls 5000
$spool = ''
if (Test-Path -LiteralPath $Fake.SpoolPath) { $spool = [System.IO.File]::ReadAllText($Fake.SpoolPath) }
$result = [ordered]@{
    rc          = $rc
    polls       = $Fake.Polls
    fakeEnd     = (Format-AgentTimestamp -Time (Get-AgentUtcNow))
    realStart   = (Format-AgentTimestamp -Time $(if ($Fake.Real -and $null -ne $Fake.Anchor) { $Fake.Anchor } else { $start }))
    realSeconds = [Math]::Round(([DateTime]::UtcNow - $started).TotalSeconds, 1)
    pausesDone  = @($Fake.Pauses | Where-Object { $_.Done } | ForEach-Object { $_.Name })
    spool       = $spool
    requests    = $Fake.Requests.ToArray()
}
Write-Output ('E2E-RESULT ' + ($result | ConvertTo-Json -Compress -Depth 5))
exit 0
