# Time and memory of one agent poll (append an event, then send what the spool holds: up to 5
# batches of BATCH_SIZE) with a large spool, such as a week offline leaves. Runs the real
# spool and sending code of client_tools/report.ps1 under PowerShell 7 with only the HTTP call
# replaced (an instant 201), so what is measured is the spool, not a network.
#
#   npm run bench:agent-spool                                  # 100,000 events, this tree's agent
#   npm run bench:agent-spool -- -Baseline <git-rev>           # and the agent of <git-rev> first
#   npm run bench:agent-spool -- -Events 900000 -Drain         # ~100 MB, and send it all
#
# Each agent runs in its own process. Per poll it prints the wall time, the bytes the .NET heap
# allocated during the poll, and the process's working set after it.
param(
    [int]$Events = 100000,
    [int]$Polls = 5,
    [string]$Baseline,
    [switch]$Drain,
    [string]$AgentPath,
    [string]$Label
)
$ErrorActionPreference = 'Stop'

if (-not $AgentPath) {
    $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $pwsh = Join-Path $PSHOME 'pwsh'
    $runs = New-Object System.Collections.ArrayList
    if ($Baseline) {
        $old = Join-Path ([System.IO.Path]::GetTempPath()) ('agent-spool-baseline-' + [guid]::NewGuid().ToString('n') + '.ps1')
        $text = & git -C $root show ($Baseline + ':client_tools/report.ps1')
        if ($LASTEXITCODE -ne 0) { throw "git show $Baseline failed" }
        [System.IO.File]::WriteAllLines($old, [string[]]$text)
        [void]$runs.Add(@{ Path = $old; Label = "before ($Baseline)" })
    }
    [void]$runs.Add(@{ Path = (Join-Path $root 'client_tools/report.ps1'); Label = 'this tree' })
    Write-Host ("{0:N0} spooled events, PowerShell {1}, {2} cores" -f $Events, $PSVersionTable.PSVersion, [Environment]::ProcessorCount)
    foreach ($r in $runs) {
        $a = @('-NoLogo', '-NoProfile', '-File', $PSCommandPath, '-Events', $Events, '-Polls', $Polls, '-AgentPath', $r.Path, '-Label', $r.Label)
        if ($Drain) { $a += '-Drain' }
        & $pwsh @a
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    exit 0
}

. $AgentPath
function Invoke-AgentHttpPost {
    param([string]$Uri, [byte[]]$Body, [string]$Token, [int]$TimeoutSec)
    return [pscustomobject]@{ StatusCode = 201; Body = '{"success":true}'; RetryAfterSeconds = $null; Error = $null; Date = $null }
}

$dir = Join-Path ([System.IO.Path]::GetTempPath()) ('agent-spool-' + [guid]::NewGuid().ToString('n'))
New-Item -ItemType Directory -Path $dir | Out-Null
try {
    $spool = Join-Path $dir 'spool.jsonl'
    $s = @{
        API_ENDPOINT = 'http://127.0.0.1:9/api/report'; AGENT_TOKEN = 'bench'; REQUEST_TIMEOUT_SECONDS = 15
        BATCH_SIZE = 500; SPOOL_PATH = $spool; STATE_PATH = (Join-Path $dir 'state.json')
    }
    Initialize-AgentLog -Path (Join-Path $dir 'agent.log')
    $base = [DateTime]::UtcNow.AddDays(-7)
    $w = New-Object System.IO.StreamWriter($spool, $false, (New-Object System.Text.UTF8Encoding($false)))
    try {
        for ($i = 0; $i -lt $Events; $i++) {
            $w.Write('{"user":"CORP\\alice","state":"working","ts":"' + $base.AddSeconds($i * 6).ToString('yyyy-MM-ddTHH:mm:ss.fffffffZ') + '","device":"PC-ALICE","agent":"2.1.0"}' + "`n")
        }
    } finally { $w.Dispose() }
    $mb = (Get-Item $spool).Length / 1MB
    $sender = New-AgentSender
    $ms = New-Object System.Collections.ArrayList
    $sentAll = 0
    $poll = 0
    $drainClock = [System.Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        $poll++
        [GC]::Collect()
        $alloc = [GC]::GetTotalAllocatedBytes($true)
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Add-AgentSpoolEvent -Path $spool -Events @(New-AgentEvent -User 'CORP\alice' -State 'working' -Time ([DateTime]::UtcNow)) -MaxBytes 1GB
        $sent = Invoke-AgentFlush -Sender $sender -Settings $s -NowUtc ([DateTime]::UtcNow)
        $clock.Stop()
        $alloc = [GC]::GetTotalAllocatedBytes($true) - $alloc
        $sentAll += $sent
        [void]$ms.Add($clock.Elapsed.TotalMilliseconds)
        $proc = Get-Process -Id $PID
        if ($poll -le $Polls) {
            Write-Host ("{0}: {1:N1} MB spool, poll {2}: {3,7:N0} ms, sent {4}, allocated {5,6:N1} MB, working set {6:N0} MB" -f `
                    $Label, $mb, $poll, $clock.Elapsed.TotalMilliseconds, $sent, ($alloc / 1MB), ($proc.WorkingSet64 / 1MB))
        }
        if (-not $Drain -and $poll -ge $Polls) { break }
        # Each poll adds an event, so the spool is drained once the poll sends less than it may.
        if ($Drain -and ($sent -lt 5 * $s['BATCH_SIZE'] -or $poll -ge 1000)) { break }
    }
    $drainClock.Stop()
    if ($Drain) {
        Write-Host ("{0}: sent all {1:N0} events in {2} polls, {3:N1} s of sending; peak working set {4:N0} MB" -f `
                $Label, $sentAll, $poll, $drainClock.Elapsed.TotalSeconds, ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB))
    }
} finally {
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}
