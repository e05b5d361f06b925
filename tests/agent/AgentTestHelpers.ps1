# Shared by tests/agent/*.Tests.ps1: dot-sources the agent and replaces its Windows-only seams
# with fakes driven by the $Fake hashtable (a fake clock, a fake user, a fake server).
# Dot-source this file inside BeforeAll.

$AgentScript = Join-Path $PSScriptRoot '../../client_tools/report.ps1'
. $AgentScript
# The real HTTP call, for the tests that run it against misbehaving servers (Network.Tests.ps1).
$RealAgentHttpPost = ${function:Invoke-AgentHttpPost}
$RealEnableAgentProxy = ${function:Enable-AgentProxy}
$RealAgentHttpGet = ${function:Invoke-AgentHttpGet}
$script:AgentDevice = 'PC-ALICE'

$Fake = @{
    Now        = [DateTime]::new(2026, 3, 2, 5, 0, 0, [DateTimeKind]::Utc)
    Activity   = @()          # @(@(start, end), ...): the fake user touches the machine continuously in each range
    IdleNull   = $false       # $true: the idle source fails
    Jumps      = @{}          # sleep call number -> extra seconds (a sleep/hibernate)
    ClockSets  = @{}          # sleep call number -> seconds the wall clock is set by (the monotonic clock does not see it)
    Elapsed    = 0.0          # the monotonic clock (Get-AgentElapsedSeconds)
    SleepCalls = 0
    Requests   = New-Object System.Collections.ArrayList
    Responses  = New-Object System.Collections.ArrayList   # queue; empty -> Default
    Default    = @{ StatusCode = 201; Body = '{"success":true}' }
    Respond    = $null        # optional scriptblock(now) -> response, overrides the queue
    SpoolAtSend = New-Object System.Collections.ArrayList
    SessionKey = ''
}

function Reset-Fake {
    param([DateTime]$Now = [DateTime]::new(2026, 3, 2, 5, 0, 0, [DateTimeKind]::Utc))
    $Fake.Now = $Now
    $Fake.Activity = @()
    $Fake.IdleNull = $false
    $Fake.Jumps = @{}
    $Fake.ClockSets = @{}
    $Fake.Elapsed = 0.0
    $Fake.SleepCalls = 0
    $Fake.Requests.Clear()
    $Fake.Responses.Clear()
    $Fake.SpoolAtSend.Clear()
    $Fake.Default = @{ StatusCode = 201; Body = '{"success":true}' }
    $Fake.Respond = $null
    $Fake.SpoolPath = $null
    $Fake.SessionKey = ''
}

function At([string]$hhmmss) {
    # A time on the fake day, UTC.
    $t = [TimeSpan]::Parse($hhmmss)
    return [DateTime]::new(2026, 3, 2, 0, 0, 0, [DateTimeKind]::Utc).Add($t)
}

# --- the seams --------------------------------------------------------------------------------

function Get-AgentUtcNow { return $Fake.Now }

function Get-AgentElapsedSeconds { return $Fake.Elapsed }

function Invoke-AgentSleep {
    param([double]$Seconds)
    $Fake.SleepCalls++
    $extra = 0
    if ($Fake.Jumps.ContainsKey($Fake.SleepCalls)) { $extra = $Fake.Jumps[$Fake.SleepCalls] }
    $set = 0
    if ($Fake.ClockSets.ContainsKey($Fake.SleepCalls)) { $set = $Fake.ClockSets[$Fake.SleepCalls] }
    $Fake.Elapsed += $Seconds + $extra
    $Fake.Now = $Fake.Now.AddSeconds($Seconds + $extra + $set)
}

function Get-AgentRandom { return 0.5 }

function Initialize-AgentIdleSource { return $true }

function Get-AgentIdleMilliseconds {
    if ($Fake.IdleNull) { $script:AgentIdleError = 'fake failure'; return $null }
    $now = $Fake.Now
    $latest = $null
    foreach ($r in $Fake.Activity) {
        $start = $r[0]; $end = $r[1]
        if ($start -gt $now) { continue }
        $touch = $end
        if ($now -lt $end) { $touch = $now }
        if ($null -eq $latest -or $touch -gt $latest) { $latest = $touch }
    }
    if ($null -eq $latest) { return [long]86400000 }   # untouched since long before the test
    return [long]($now - $latest).TotalMilliseconds
}

function Get-AgentUserName { return 'CORP\alice' }
function Enter-AgentSingleInstance { return $true }
function Exit-AgentSingleInstance { }
function Enable-AgentTls { }
function Enable-AgentProxy { }
function Invoke-AgentHttpGet { param([string]$Uri, [int]$TimeoutSec) return [pscustomobject]@{ StatusCode = 0; Date = $null } }
function Get-AgentDeviceName { return 'PC-ALICE' }
# One session, spool.jsonl and state.json unsuffixed; tests of several sessions set a key.
function Get-AgentSessionKey { return $Fake.SessionKey }

function Invoke-AgentHttpPost {
    param([string]$Uri, [byte[]]$Body, [string]$Token, [int]$TimeoutSec)
    $text = [System.Text.Encoding]::UTF8.GetString($Body)
    [void]$Fake.Requests.Add(@{ Uri = $Uri; Body = $Body; Text = $text; Token = $Token; TimeoutSec = $TimeoutSec; At = $Fake.Now })
    if ($Fake.SpoolPath) {
        $spool = ''
        if (Test-Path $Fake.SpoolPath) { $spool = [System.IO.File]::ReadAllText($Fake.SpoolPath) }
        [void]$Fake.SpoolAtSend.Add(@{ Text = $text; Spool = $spool })
    }
    $r = $null
    if ($Fake.Respond) { $r = & $Fake.Respond $Fake.Now }
    elseif ($Fake.Responses.Count -gt 0) { $r = $Fake.Responses[0]; $Fake.Responses.RemoveAt(0) }
    else { $r = $Fake.Default }
    $ra = $null
    if ($r.ContainsKey('RetryAfterSeconds')) { $ra = $r.RetryAfterSeconds }
    $err = $null
    if ($r.StatusCode -eq 0) { $err = 'connection refused' }
    $respBody = ''   # not $body: PowerShell names are case-insensitive and $Body is the byte[] parameter
    if ($r.ContainsKey('Body')) { $respBody = $r.Body }
    return [pscustomobject]@{ StatusCode = $r.StatusCode; Body = $respBody; RetryAfterSeconds = $ra; Error = $err }
}

# --- reading what the fake server got ----------------------------------------------------------

function Get-SentEvents {
    # Events in the bodies of requests whose response was a success, in order.
    param([int[]]$OkIndexes)
    $events = New-Object System.Collections.ArrayList
    for ($i = 0; $i -lt $Fake.Requests.Count; $i++) {
        if ($OkIndexes -and -not ($OkIndexes -contains $i)) { continue }
        $o = $Fake.Requests[$i].Text | ConvertFrom-Json -DateKind String
        foreach ($e in @($o.events)) { [void]$events.Add($e) }
    }
    return $events.ToArray()
}

function Get-Periods {
    # The server's hours rules (DESIGN section 5, rules 1-5) applied to events: a reference model.
    param([object[]]$Events, [double]$GapMinutes = 15)
    $sorted = @($Events | ForEach-Object {
            [pscustomobject]@{ ts = [DateTime]::Parse($_.ts, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime(); state = $_.state }
        } | Sort-Object -Property @{ Expression = 'ts' }, @{ Expression = { if ($_.state -eq 'working') { 0 } else { 1 } } })
    $periods = New-Object System.Collections.ArrayList
    $open = $null; $latest = $null
    foreach ($e in $sorted) {
        if ($null -ne $open -and $GapMinutes -gt 0 -and ($e.ts - $latest).TotalMinutes -gt $GapMinutes) {
            [void]$periods.Add(@($open, $latest)); $open = $null
        }
        if ($e.state -eq 'working') {
            if ($null -eq $open) { $open = $e.ts }
            $latest = $e.ts
        } elseif ($null -ne $open) {
            [void]$periods.Add(@($open, $e.ts)); $open = $null
        }
    }
    if ($null -ne $open) { [void]$periods.Add(@($open, $latest)) }
    return , $periods.ToArray()
}

function Format-Periods {
    param([object[]]$Periods)
    return (@($Periods | ForEach-Object { '{0:HH:mm:ss}-{1:HH:mm:ss}' -f $_[0], $_[1] }) -join ', ')
}

function New-TestSettings {
    param([hashtable]$Override = @{}, [string]$Dir)
    $s = @{
        API_ENDPOINT            = 'https://tracker.example/api/report'
        AGENT_TOKEN             = 'wt_ingest_secret123'
        IDLE_THRESHOLD_MINUTES  = 10
        POLL_INTERVAL_SECONDS   = 60
        REPORT_INTERVAL_MINUTES = 1
        IDLE_REPORT_MINUTES     = 5
        REQUEST_TIMEOUT_SECONDS = 15
        BATCH_SIZE              = 500
        SPOOL_MAX_MB            = 20
        LOG_MAX_KB              = 1024
        DATA_DIR                = $Dir
        SPOOL_PATH              = (Join-Path $Dir 'spool.jsonl')
        STATE_PATH              = (Join-Path $Dir 'state.json')
        LOG_PATH                = (Join-Path $Dir 'agent.log')
    }
    foreach ($k in $Override.Keys) { $s[$k] = $Override[$k] }
    return $s
}

function Write-TestConfig {
    # A config.env for Start-WorkTracingAgent runs.
    param([string]$Dir, [hashtable]$Override = @{})
    $lines = @(
        'API_ENDPOINT="https://tracker.example/api/report"'
        'AGENT_TOKEN=wt_ingest_secret123'
        'IDLE_THRESHOLD_MINUTES=10'
        'POLL_INTERVAL_SECONDS=60'
        'REPORT_INTERVAL_MINUTES=1'
        'IDLE_REPORT_MINUTES=5'
        "DATA_DIR=$Dir"
    )
    foreach ($k in $Override.Keys) { $lines += "$k=$($Override[$k])" }
    $path = Join-Path $Dir 'config.env'
    New-Item -ItemType Directory -Force -Path $Dir | Out-Null
    Set-Content -LiteralPath $path -Value $lines -Encoding utf8
    return $path
}
