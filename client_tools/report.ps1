<#
.SYNOPSIS
    work-tracing agent: reports keyboard/mouse activity of this Windows session to the server.

.DESCRIPTION
    Started at logon and unlock (schedule_task.ps1 -> conhost --headless or run_hidden.vbs ->
    this script) in the user's own
    session. Every POLL_INTERVAL_SECONDS it reads the session's idle time and decides whether the
    user is working or stopped (see ../shared/DESIGN.md section 7 and client_tools/README.md).
    Every event is appended to a JSON-lines spool first and sent from there, oldest first, in
    batches; failures are retried with backoff and jitter while polling goes on.

    Windows PowerShell 5.1 syntax only. Every Windows-only call sits behind a small function
    (Get-AgentUtcNow, Get-AgentIdleMilliseconds, Invoke-AgentSleep, Invoke-AgentHttpPost,
    Enter-AgentSingleInstance, ...) that the tests replace. Dot-sourcing the script defines the
    functions without starting the loop.

.PARAMETER ConfigPath
    A config.env to read instead of the one beside this script.
#>
[CmdletBinding()]
param(
    [string]$ConfigPath
)

Set-StrictMode -Version 2.0

# ------------------------------------------------------------------------------------------------
# Constants
# ------------------------------------------------------------------------------------------------

$script:AgentVersion = '2.1.0'
$script:Utf8NoBom = New-Object System.Text.UTF8Encoding($false)
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:AgentIdleError = ''
$script:AgentRng = $null
$script:AgentMutex = $null
$script:AgentLastStateJson = $null
$script:AgentSpoolFailures = 0
$script:AgentDevice = ''
$script:AgentSpoolLock = $null
$script:AgentStopwatch = [System.Diagnostics.Stopwatch]::StartNew()

# The C# type behind the idle time. The arithmetic lives in IdleMath, which compiles and runs
# everywhere (the tests call it on Linux); only IdleNative touches user32/kernel32.
$script:IdleTypeSource = @'
using System;
using System.Runtime.InteropServices;

namespace WorkTracing
{
    public static class IdleMath
    {
        // Milliseconds between the last input and now, from two GetTickCount-style values.
        // Unsigned 32-bit subtraction, so a tick counter that wrapped (every 49.7 days) between
        // the two readings still gives the right answer. The last input is read before the tick
        // count, so it is never newer and the difference needs no clamp: 25 days idle is 25 days.
        public static long IdleMilliseconds(uint tickNow, uint lastInputTick)
        {
            return (long)unchecked(tickNow - lastInputTick);
        }
    }

    public static class IdleNative
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct LASTINPUTINFO
        {
            public uint cbSize;
            public uint dwTime;
        }

        [DllImport("user32.dll", SetLastError = true)]
        private static extern bool GetLastInputInfo(ref LASTINPUTINFO plii);

        [DllImport("kernel32.dll")]
        private static extern uint GetTickCount();

        // Idle milliseconds of this session, or -1 when GetLastInputInfo fails (for example
        // when the process has no interactive desktop). Callers must treat -1 as "unknown".
        public static long GetIdleMilliseconds()
        {
            LASTINPUTINFO info = new LASTINPUTINFO();
            info.cbSize = (uint)Marshal.SizeOf(typeof(LASTINPUTINFO));
            if (!GetLastInputInfo(ref info))
            {
                return -1;
            }
            uint now = GetTickCount();
            return IdleMath.IdleMilliseconds(now, info.dwTime);
        }

        public static int LastError()
        {
            return Marshal.GetLastWin32Error();
        }
    }
}
'@

# ------------------------------------------------------------------------------------------------
# Windows-only seams: the only places that touch the OS, the clock or the network.
# The tests replace each of these with a fake.
# ------------------------------------------------------------------------------------------------

function Get-AgentUtcNow {
    return [DateTime]::UtcNow
}

function Get-AgentElapsedSeconds {
    # Seconds since launch, on a clock nobody can set: retries and heartbeats are scheduled by
    # it, so a clock set back an hour neither delays them an hour nor brings them early.
    # ([Environment]::TickCount64 is not in the .NET Framework under Windows PowerShell 5.1.)
    return $script:AgentStopwatch.Elapsed.TotalSeconds
}

function Invoke-AgentSleep {
    param([double]$Seconds)
    if ($Seconds -gt 0) { Start-Sleep -Milliseconds ([int][Math]::Ceiling($Seconds * 1000)) }
}

function Get-AgentRandom {
    # A number in [0, 1) for backoff jitter.
    if ($null -eq $script:AgentRng) { $script:AgentRng = New-Object System.Random }
    return $script:AgentRng.NextDouble()
}

function Initialize-AgentIdleSource {
    # Compiles the idle type. Returns $true when it is usable.
    try {
        if (-not ('WorkTracing.IdleNative' -as [type])) {
            Add-Type -TypeDefinition $script:IdleTypeSource -Language CSharp -ErrorAction Stop
        }
        return $true
    } catch {
        Write-AgentLog -Level ERROR -Message ("cannot compile the idle-time type: " + $_.Exception.Message)
        return $false
    }
}

function Get-AgentIdleMilliseconds {
    # Idle milliseconds of this session, or $null when it cannot be read.
    try {
        $ms = [WorkTracing.IdleNative]::GetIdleMilliseconds()
        if ($ms -lt 0) {
            $script:AgentIdleError = 'GetLastInputInfo failed (Win32 error ' + [WorkTracing.IdleNative]::LastError() + ')'
            return $null
        }
        return [long]$ms
    } catch {
        $script:AgentIdleError = $_.Exception.Message
        return $null
    }
}

function Get-AgentUserName {
    try {
        $name = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
        if ($name) { return $name }
    } catch {
        Write-Verbose 'WindowsIdentity unavailable; using USERDOMAIN\USERNAME'
    }
    if ($env:USERDOMAIN) { return ($env:USERDOMAIN + '\' + $env:USERNAME) }
    return [string]$env:USERNAME
}

function Get-AgentDeviceName {
    if ($env:COMPUTERNAME) { return [string]$env:COMPUTERNAME }
    return [System.Environment]::MachineName
}

function Get-AgentSessionKey {
    # This machine and Windows session: two sessions of one account (RDP and console, or two
    # PCs sharing a profile folder) each get their own spool and state file.
    $sessionId = [System.Diagnostics.Process]::GetCurrentProcess().SessionId
    return ((Get-AgentDeviceName) + '-' + $sessionId)
}

function Enter-AgentSingleInstance {
    # One agent per logon session: a named mutex in the session's Local\ namespace.
    param([string]$Name = 'Local\WorkTracingAgent')
    $mutex = New-Object System.Threading.Mutex($false, $Name)
    $acquired = $false
    try {
        $acquired = $mutex.WaitOne(0)
    } catch [System.Threading.AbandonedMutexException] {
        # The previous holder died without releasing it; it is ours now.
        $acquired = $true
    }
    if ($acquired) {
        $script:AgentMutex = $mutex
        return $true
    }
    $mutex.Dispose()
    return $false
}

function Exit-AgentSingleInstance {
    if ($null -ne $script:AgentMutex) {
        try { $script:AgentMutex.ReleaseMutex() } catch { Write-Verbose 'mutex already released' }
        $script:AgentMutex.Dispose()
        $script:AgentMutex = $null
    }
}

function Get-AgentLanguageMode {
    return [string]$ExecutionContext.SessionState.LanguageMode
}

function Write-AgentEventLog {
    # For a start that cannot keep a log: the Application log, source "work-tracing"
    # (registered by schedule_task.ps1; users cannot register a source). Never throws.
    param([ValidateSet('Error', 'Warning', 'Information')][string]$EntryType = 'Error', [int]$EventId = 1, [string]$Message)
    try {
        if (Get-Command -Name Write-EventLog -ErrorAction SilentlyContinue) {
            Write-EventLog -LogName Application -Source 'work-tracing' -EntryType $EntryType -EventId $EventId -Message $Message -ErrorAction Stop
        } else {
            [System.Diagnostics.EventLog]::WriteEntry('work-tracing', $Message, $EntryType, $EventId)
        }
        return $true
    } catch {
        Write-Verbose ('event log write failed: ' + $_.Exception.Message)
        return $false
    }
}

function Enable-AgentTls {
    # Adds TLS 1.2 to the allowed protocols without taking away what the OS allows (TLS 1.3 on
    # newer Windows). SystemDefault (0) already lets the OS choose, so it is left alone.
    try {
        $current = [System.Net.ServicePointManager]::SecurityProtocol
        $wanted = Get-AgentTlsProtocols -Current ([int]$current)
        if ($wanted -ne [int]$current) {
            [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.SecurityProtocolType]$wanted
        }
        [System.Net.ServicePointManager]::Expect100Continue = $false
    } catch {
        Write-AgentLog -Level WARN -Message ("could not adjust TLS settings: " + $_.Exception.Message)
    }
}

function Enable-AgentProxy {
    # The system proxy with the signed-in user's own credentials: a proxy that authenticates by
    # NTLM or Kerberos lets the agent through instead of answering 407.
    $credentials = [System.Net.CredentialCache]::DefaultNetworkCredentials
    try {
        $proxy = [System.Net.WebRequest]::GetSystemWebProxy()
        $proxy.Credentials = $credentials
        [System.Net.WebRequest]::DefaultWebProxy = $proxy
    } catch {
        Write-AgentLog -Level WARN -Message ("could not set up the system proxy: " + $_.Exception.Message)
    }
    # PowerShell 7 sends through HttpClient, which has a proxy of its own.
    $httpClient = 'System.Net.Http.HttpClient' -as [type]
    if ($null -ne $httpClient -and $null -ne $httpClient.GetProperty('DefaultProxy')) {
        try {
            $httpClient::DefaultProxy.Credentials = $credentials
        } catch {
            Write-AgentLog -Level WARN -Message ("could not give the proxy default credentials: " + $_.Exception.Message)
        }
    }
}

function Invoke-AgentHttpPost {
    # POSTs UTF-8 JSON bytes. Never throws; returns StatusCode (0 = no HTTP answer), Body,
    # RetryAfterSeconds and Error.
    param(
        [string]$Uri,
        [byte[]]$Body,
        [string]$Token,
        [int]$TimeoutSec
    )
    $headers = @{}
    if ($Token) { $headers['Authorization'] = 'Bearer ' + $Token }
    $result = New-Object PSObject -Property @{ StatusCode = 0; Body = ''; RetryAfterSeconds = $null; Error = $null; Date = $null }
    try {
        $resp = Invoke-WebRequest -Uri $Uri -Method Post -Body $Body -Headers $headers `
            -ContentType 'application/json; charset=utf-8' -TimeoutSec $TimeoutSec `
            -UseBasicParsing -ErrorAction Stop
        $result.StatusCode = [int]$resp.StatusCode
        $result.Body = [string]$resp.Content
        $result.Date = Get-AgentResponseDate -Response $resp
    } catch {
        $err = $_
        $response = $null
        if ($err.Exception -and ($err.Exception.PSObject.Properties.Name -contains 'Response')) {
            $response = $err.Exception.Response
        }
        if ($null -ne $response) {
            try { $result.StatusCode = [int]$response.StatusCode } catch { $result.StatusCode = 0 }
            if ($err.ErrorDetails -and $err.ErrorDetails.Message) { $result.Body = [string]$err.ErrorDetails.Message }
            $result.RetryAfterSeconds = Get-AgentRetryAfter -Response $response
            $result.Date = Get-AgentResponseDate -Response $response
        }
        $result.Error = Get-AgentErrorText -Exception $err.Exception
    }
    return $result
}

function Invoke-AgentHttpGet {
    # GETs a URL (the server's health). Never throws; returns StatusCode (0 = no answer) and
    # Date (the answer's Date header as UTC, or $null).
    param([string]$Uri, [int]$TimeoutSec)
    $result = New-Object PSObject -Property @{ StatusCode = 0; Date = $null }
    try {
        $resp = Invoke-WebRequest -Uri $Uri -Method Get -TimeoutSec $TimeoutSec -UseBasicParsing -ErrorAction Stop
        $result.StatusCode = [int]$resp.StatusCode
        $result.Date = Get-AgentResponseDate -Response $resp
    } catch {
        $response = $null
        if ($_.Exception -and ($_.Exception.PSObject.Properties.Name -contains 'Response')) { $response = $_.Exception.Response }
        if ($null -ne $response) {
            try { $result.StatusCode = [int]$response.StatusCode } catch { $result.StatusCode = 0 }
            $result.Date = Get-AgentResponseDate -Response $response
        }
    }
    return $result
}

function Get-AgentResponseDate {
    # The Date header of a response (Invoke-WebRequest's, HttpWebResponse or HttpResponseMessage)
    # as a UTC DateTime, or $null.
    param($Response)
    $text = $null
    try {
        if ($Response.Headers -is [System.Net.WebHeaderCollection]) {
            $text = $Response.Headers['Date']
        } elseif ($Response.Headers -is [System.Collections.IDictionary]) {
            $text = @($Response.Headers['Date'])[0]
        } elseif ($null -ne $Response.Headers.Date) {
            return $Response.Headers.Date.Value.UtcDateTime
        }
    } catch {
        Write-Verbose 'no readable Date header'
    }
    if (-not $text) { return $null }
    $d = [DateTime]::MinValue
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    if ([DateTime]::TryParseExact([string]$text, 'r', $script:Invariant, $styles, [ref]$d)) {
        return [DateTime]::SpecifyKind($d, [DateTimeKind]::Utc)
    }
    return $null
}

function Get-AgentRetryAfter {
    param($Response)
    try {
        # Windows PowerShell 5.1: HttpWebResponse with a WebHeaderCollection.
        if ($Response -is [System.Net.HttpWebResponse]) {
            $v = $Response.Headers['Retry-After']
            $n = 0
            if ($v -and [int]::TryParse($v, [ref]$n)) { return $n }
            return $null
        }
        # PowerShell 7: HttpResponseMessage.
        if ($Response.Headers -and $Response.Headers.RetryAfter -and $Response.Headers.RetryAfter.Delta) {
            return [int]$Response.Headers.RetryAfter.Delta.TotalSeconds
        }
    } catch {
        Write-Verbose 'no readable Retry-After'
    }
    return $null
}

# ------------------------------------------------------------------------------------------------
# Pure helpers (no OS calls)
# ------------------------------------------------------------------------------------------------

function Get-AgentTlsProtocols {
    # The SecurityProtocol value to use, given the current one.
    param([int]$Current)
    $tls12 = 3072
    if ($Current -eq 0) { return 0 }          # SystemDefault: the OS already decides
    return ($Current -bor $tls12)
}

function Get-AgentErrorText {
    # An exception's message with its innermost cause: a TLS failure says only "see inner
    # exception" at the top, and why (an untrusted certificate, no common protocol) at the bottom.
    param([System.Exception]$Exception)
    if ($null -eq $Exception) { return '' }
    $inner = $Exception
    while ($null -ne $inner.InnerException) { $inner = $inner.InnerException }
    if ([object]::ReferenceEquals($inner, $Exception) -or $Exception.Message.Contains($inner.Message)) { return $Exception.Message }
    return ($Exception.Message + ' <- ' + $inner.Message)
}

function Format-AgentTimestamp {
    # ISO 8601 UTC, invariant culture, truncated to the millisecond ("o" format, ends with Z).
    param([DateTime]$Time)
    if ($Time.Kind -eq [DateTimeKind]::Local) {
        $Time = $Time.ToUniversalTime()
    } elseif ($Time.Kind -eq [DateTimeKind]::Unspecified) {
        $Time = [DateTime]::SpecifyKind($Time, [DateTimeKind]::Utc)
    }
    $ticks = $Time.Ticks - ($Time.Ticks % 10000)
    $t = New-Object DateTime($ticks, [DateTimeKind]::Utc)
    return $t.ToString('o', $script:Invariant)
}

function New-AgentEvent {
    param([string]$User, [ValidateSet('working', 'stopped')][string]$State, [DateTime]$Time)
    $ordered = New-Object System.Collections.Specialized.OrderedDictionary
    $ordered['user'] = $User
    $ordered['state'] = $State
    $ordered['ts'] = Format-AgentTimestamp -Time $Time
    $ordered['device'] = $script:AgentDevice
    $ordered['agent'] = $script:AgentVersion
    return (New-Object PSObject -Property $ordered)
}

function ConvertTo-AgentEventJson {
    param($InputEvent)
    # ts is already a string, so Windows PowerShell's \/Date()\/ form never appears.
    return ($InputEvent | ConvertTo-Json -Compress -Depth 3)
}

function ConvertFrom-AgentServerJson {
    # The server's JSON envelope ({"success": ...}) from a response body, or $null for anything
    # else (a portal's HTML page, a proxy's error page, an empty body).
    param([string]$Body)
    if (-not $Body) { return $null }
    try {
        $o = $Body | ConvertFrom-Json -ErrorAction Stop
    } catch {
        return $null
    }
    if ($null -eq $o -or -not ($o -is [System.Management.Automation.PSCustomObject])) { return $null }
    if (-not ($o.PSObject.Properties.Name -contains 'success') -or -not ($o.success -is [bool])) { return $null }
    return $o
}

function Get-AgentRetryClass {
    # What to do with a response: ok (delivered), reject (the server judged named events invalid:
    # drop those), split (413: smaller batches), hold (keep everything and wait: credentials,
    # address or proxy need fixing) or retry (later, with backoff). Nothing but the server's own
    # verdict ever drops an event: a proxy, portal or middlebox answer holds everything.
    param([int]$StatusCode, [string]$Body)
    if ($StatusCode -eq 201) {
        # Only the server's own answer is a delivery: a portal or proxy may well say 2xx.
        $o = ConvertFrom-AgentServerJson -Body $Body
        if ($null -ne $o -and $o.success) { return 'ok' }
        return 'retry'
    }
    if ($StatusCode -eq 400 -and @(Get-AgentInvalidIndexes -Body $Body).Count -gt 0) { return 'reject' }
    if ($StatusCode -eq 413) { return 'split' }
    if ($StatusCode -eq 401 -or $StatusCode -eq 403 -or $StatusCode -eq 407) { return 'hold' }
    # A wrong API_ENDPOINT (404/405) says nothing about the events: keep them too.
    if ($StatusCode -eq 404 -or $StatusCode -eq 405) { return 'hold' }
    return 'retry'
}

function Get-AgentInvalidIndexes {
    # The batch positions the server's 400 envelope names as invalid events (none for any other
    # body: a 400 from a middlebox says nothing about the events).
    param([string]$Body)
    $o = ConvertFrom-AgentServerJson -Body $Body
    if ($null -eq $o -or $o.success) { return @() }
    if (-not ($o.PSObject.Properties.Name -contains 'error') -or $null -eq $o.error) { return @() }
    $names = @($o.error.PSObject.Properties.Name)
    if (-not ($names -contains 'code' -and $names -contains 'details')) { return @() }
    if ($o.error.code -ne 'no_valid_events') { return @() }
    $indexes = New-Object System.Collections.ArrayList
    foreach ($d in @($o.error.details)) {
        if ($null -eq $d -or -not ($d.PSObject.Properties.Name -contains 'index')) { continue }
        $i = 0
        if ([int]::TryParse([string]$d.index, [ref]$i) -and -not $indexes.Contains($i)) { [void]$indexes.Add($i) }
    }
    return $indexes.ToArray()
}

function Get-AgentBackoffSeconds {
    # Exponential backoff with "equal jitter": half fixed, half random.
    param([int]$Failures, [double]$BaseSeconds = 10, [double]$MaxSeconds = 900, [double]$Random = 0.5)
    if ($Failures -lt 1) { $Failures = 1 }
    $exp = [Math]::Min(30, $Failures - 1)
    $d = [Math]::Min($MaxSeconds, $BaseSeconds * [Math]::Pow(2, $exp))
    return ($d / 2) + ($Random * $d / 2)
}

# ------------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------------

$script:ConfigSpec = @(
    @{ Name = 'API_ENDPOINT'; Kind = 'url'; Default = $null }
    @{ Name = 'AGENT_TOKEN'; Kind = 'secret'; Default = $null }
    @{ Name = 'IDLE_THRESHOLD_MINUTES'; Kind = 'number'; Default = 10; Min = 1; Max = 1440 }
    @{ Name = 'POLL_INTERVAL_SECONDS'; Kind = 'number'; Default = 60; Min = 5; Max = 3600 }
    @{ Name = 'REPORT_INTERVAL_MINUTES'; Kind = 'number'; Default = 1; Min = 1; Max = 1440 }
    @{ Name = 'IDLE_REPORT_MINUTES'; Kind = 'number'; Default = 5; Min = 1; Max = 1440 }
    @{ Name = 'REQUEST_TIMEOUT_SECONDS'; Kind = 'number'; Default = 15; Min = 1; Max = 300 }
    @{ Name = 'BATCH_SIZE'; Kind = 'number'; Default = 500; Min = 1; Max = 5000 }
    @{ Name = 'SPOOL_MAX_MB'; Kind = 'number'; Default = 20; Min = 1; Max = 1024 }
    @{ Name = 'LOG_MAX_KB'; Kind = 'number'; Default = 1024; Min = 16; Max = 102400 }
    @{ Name = 'DATA_DIR'; Kind = 'path'; Default = $null }
    @{ Name = 'SPOOL_PATH'; Kind = 'path'; Default = $null }
    @{ Name = 'STATE_PATH'; Kind = 'path'; Default = $null }
    @{ Name = 'LOG_PATH'; Kind = 'path'; Default = $null }
)

function Read-AgentEnvFile {
    # KEY=VALUE lines; '#' comments, blank lines, 'export ' prefixes and surrounding quotes are
    # allowed. Returns a hashtable (case-insensitive keys) plus the problems found.
    param([string]$Path)
    $values = @{}
    $problems = New-Object System.Collections.ArrayList
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return (New-Object PSObject -Property @{ Values = $values; Problems = $problems; Found = $false })
    }
    $lines = [System.IO.File]::ReadAllLines($Path, $script:Utf8NoBom)
    $n = 0
    foreach ($raw in $lines) {
        $n++
        $line = $raw.Trim()
        if ($n -eq 1 -and $line.Length -gt 0 -and [int][char]$line[0] -eq 0xFEFF) { $line = $line.Substring(1).Trim() }
        if ($line.Length -eq 0 -or $line.StartsWith('#')) { continue }
        if ($line.StartsWith('export ')) { $line = $line.Substring(7).Trim() }
        $eq = $line.IndexOf('=')
        if ($eq -lt 1) {
            [void]$problems.Add(("{0} line {1}: expected KEY=VALUE" -f $Path, $n))
            continue
        }
        $key = $line.Substring(0, $eq).Trim().ToUpperInvariant()
        $value = $line.Substring($eq + 1).Trim()
        if ($value.Length -ge 2 -and (($value.StartsWith('"') -and $value.EndsWith('"')) -or ($value.StartsWith("'") -and $value.EndsWith("'")))) {
            $value = $value.Substring(1, $value.Length - 2)
        } else {
            # An unquoted value may carry a trailing comment: KEY=value   # note
            $hash = $value.IndexOf(' #')
            if ($hash -ge 0) { $value = $value.Substring(0, $hash).Trim() }
        }
        $values[$key] = $value
    }
    return (New-Object PSObject -Property @{ Values = $values; Problems = $problems; Found = $true })
}

function Read-AgentConfig {
    # Settings from the environment first, then config.env beside the script (the server's
    # order, DESIGN section 3). Bad values are reported and replaced by their default so the
    # agent keeps collecting; a missing/bad API_ENDPOINT or AGENT_TOKEN keeps events in the spool.
    param(
        [string]$ScriptDir,
        [string]$ConfigPath,
        [hashtable]$Environment,
        [string]$LocalAppData
    )
    if (-not $ConfigPath) { $ConfigPath = Join-Path $ScriptDir 'config.env' }
    if ($null -eq $Environment) {
        $Environment = @{}
        foreach ($entry in [System.Environment]::GetEnvironmentVariables().GetEnumerator()) {
            $Environment[[string]$entry.Key] = [string]$entry.Value
        }
    }
    if (-not $LocalAppData) { $LocalAppData = $env:LOCALAPPDATA }
    if (-not $LocalAppData) { $LocalAppData = [System.IO.Path]::GetTempPath() }

    $file = Read-AgentEnvFile -Path $ConfigPath
    $errors = New-Object System.Collections.ArrayList
    $warnings = New-Object System.Collections.ArrayList
    $sources = @{}
    foreach ($p in $file.Problems) { [void]$warnings.Add($p) }

    $settings = @{}
    foreach ($spec in $script:ConfigSpec) {
        $name = $spec.Name
        $raw = $null
        $source = 'default'
        if ($Environment.ContainsKey($name) -and ([string]$Environment[$name]).Trim().Length -gt 0) {
            $raw = ([string]$Environment[$name]).Trim()
            $source = 'environment'
        } elseif ($file.Values.ContainsKey($name) -and ([string]$file.Values[$name]).Length -gt 0) {
            $raw = [string]$file.Values[$name]
            $source = 'config.env'
        }
        $value = $spec.Default
        if ($null -ne $raw) {
            switch ($spec.Kind) {
                'number' {
                    $n = 0.0
                    $ok = [double]::TryParse($raw, [System.Globalization.NumberStyles]::Float, $script:Invariant, [ref]$n)
                    if (-not $ok) {
                        [void]$errors.Add(("{0}={1} ({2}) is not a number; using {3}" -f $name, $raw, $source, $spec.Default))
                        $source = 'default'
                    } elseif ($n -lt $spec.Min -or $n -gt $spec.Max) {
                        [void]$errors.Add(("{0}={1} ({2}) is outside {3}..{4}; using {5}" -f $name, $raw, $source, $spec.Min, $spec.Max, $spec.Default))
                        $source = 'default'
                    } else {
                        $value = $n
                    }
                }
                'url' {
                    $uri = $null
                    if ([System.Uri]::TryCreate($raw, [System.UriKind]::Absolute, [ref]$uri) -and ($uri.Scheme -eq 'http' -or $uri.Scheme -eq 'https')) {
                        $value = $uri.AbsoluteUri
                    } else {
                        [void]$errors.Add(("{0}={1} ({2}) is not an http(s) URL; events are kept in the spool until it is fixed" -f $name, $raw, $source))
                        $source = 'invalid'
                    }
                }
                default { $value = $raw }
            }
        }
        $settings[$name] = $value
        $sources[$name] = $source
    }

    if (-not $settings['API_ENDPOINT'] -and $sources['API_ENDPOINT'] -ne 'invalid') {
        [void]$errors.Add('API_ENDPOINT is not set; events are kept in the spool until it is')
    }
    if (-not $settings['AGENT_TOKEN']) {
        [void]$errors.Add('AGENT_TOKEN is not set; the server will refuse events, which are kept in the spool until it is')
    }
    if ($settings['API_ENDPOINT']) {
        $u = [System.Uri]$settings['API_ENDPOINT']
        if ($u.Scheme -eq 'http' -and -not $u.IsLoopback) {
            [void]$warnings.Add('API_ENDPOINT uses plain http: the token and activity travel unencrypted; use https')
        }
    }
    if ($settings['POLL_INTERVAL_SECONDS'] -ge $settings['IDLE_THRESHOLD_MINUTES'] * 60) {
        [void]$warnings.Add('POLL_INTERVAL_SECONDS is not below IDLE_THRESHOLD_MINUTES; idle is detected late')
    }
    if ($settings['IDLE_REPORT_MINUTES'] -ge 15) {
        [void]$warnings.Add('IDLE_REPORT_MINUTES should stay below the server''s HEARTBEAT_TIMEOUT_MINUTES (default 15) or idle users show as offline')
    }

    # %LOCALAPPDATA% and the like: a scheduled task reads config.env literally, and a path left
    # relative would land in the task's working folder, which users cannot write.
    $fallbackDir = Join-Path $LocalAppData 'WorkTracing'
    foreach ($name in 'DATA_DIR', 'SPOOL_PATH', 'STATE_PATH', 'LOG_PATH') {
        if (-not $settings[$name]) { continue }
        $expanded = Expand-AgentPathVariables -Path $settings[$name] -Environment $Environment
        foreach ($unknown in $expanded.Unknown) {
            [void]$warnings.Add(("{0}={1}: no environment variable %{2}%" -f $name, $settings[$name], $unknown))
        }
        $settings[$name] = $expanded.Path
    }
    $dataDir = $settings['DATA_DIR']
    if (-not $dataDir) { $dataDir = $fallbackDir }
    if (-not [System.IO.Path]::IsPathRooted($dataDir)) { $dataDir = Join-Path $LocalAppData $dataDir }
    $settings['DATA_DIR'] = $dataDir
    if (-not $settings['SPOOL_PATH']) { $settings['SPOOL_PATH'] = Join-Path $dataDir 'spool.jsonl' }
    if (-not $settings['STATE_PATH']) { $settings['STATE_PATH'] = Join-Path $dataDir 'state.json' }
    if (-not $settings['LOG_PATH']) { $settings['LOG_PATH'] = Join-Path $dataDir 'agent.log' }
    foreach ($name in 'SPOOL_PATH', 'STATE_PATH', 'LOG_PATH') {
        if (-not [System.IO.Path]::IsPathRooted($settings[$name])) { $settings[$name] = Join-Path $dataDir $settings[$name] }
    }

    return (New-Object PSObject -Property @{
            Settings   = $settings
            Sources    = $sources
            Errors     = $errors
            Warnings   = $warnings
            ConfigPath = $ConfigPath
            ConfigFound = $file.Found
            FallbackDir = $fallbackDir
        })
}

function Expand-AgentPathVariables {
    # %NAME% replaced from the environment (names case-insensitive, as on Windows); a name
    # that is not set stays as written and is returned in Unknown.
    param([string]$Path, [hashtable]$Environment)
    $unknown = New-Object System.Collections.ArrayList
    $lookup = @{}
    foreach ($k in $Environment.Keys) { $lookup[[string]$k] = [string]$Environment[$k] }
    $out = [regex]::Replace($Path, '%([^%]+)%', {
            param($m)
            $n = $m.Groups[1].Value
            if ($lookup.ContainsKey($n) -and $lookup[$n]) { return $lookup[$n] }
            [void]$unknown.Add($n)
            return $m.Value
        })
    return (New-Object PSObject -Property @{ Path = $out; Unknown = $unknown })
}

function Test-AgentFolderWritable {
    # Whether a file can be created beside $Path (its folder made if missing).
    param([string]$Path)
    try {
        $dir = Split-Path -Parent $Path
        if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Path $dir -Force -ErrorAction Stop) }
        if (-not $dir) { $dir = '.' }
        $probe = Join-Path $dir ('.write-test-' + [guid]::NewGuid().ToString('n'))
        [System.IO.File]::WriteAllText($probe, '')
        Remove-Item -LiteralPath $probe -Force -ErrorAction SilentlyContinue
        return $true
    } catch {
        return $false
    }
}

function Select-AgentWritablePaths {
    # Moves the log, spool and state file whose folder cannot be written into $FallbackDir.
    # Returns Notes (what moved, or could not) and Lost (the settings with no writable place).
    param([hashtable]$Settings, [string]$FallbackDir)
    $notes = New-Object System.Collections.ArrayList
    $lost = New-Object System.Collections.ArrayList
    foreach ($name in 'LOG_PATH', 'SPOOL_PATH', 'STATE_PATH') {
        $path = $Settings[$name]
        if (Test-AgentFolderWritable -Path $path) { continue }
        $alt = Join-Path $FallbackDir (Split-Path -Leaf $path)
        if ($alt -ne $path -and (Test-AgentFolderWritable -Path $alt)) {
            $Settings[$name] = $alt
            [void]$notes.Add(("{0}: the folder of {1} cannot be written; using {2} instead" -f $name, $path, $alt))
        } else {
            [void]$lost.Add($name)
            [void]$notes.Add(("{0}: neither the folder of {1} nor {2} can be written" -f $name, $path, $FallbackDir))
        }
    }
    return (New-Object PSObject -Property @{ Notes = $notes; Lost = $lost })
}

# ------------------------------------------------------------------------------------------------
# Log: size-rotated, token redacted
# ------------------------------------------------------------------------------------------------

$script:AgentLogPath = $null
$script:AgentLogMaxBytes = 1048576
$script:AgentLogKeep = 3
$script:AgentSecrets = @()

function Initialize-AgentLog {
    param([string]$Path, [int]$MaxBytes = 1048576, [string[]]$Secrets = @())
    $script:AgentLogPath = $Path
    $script:AgentLogMaxBytes = $MaxBytes
    $script:AgentSecrets = @($Secrets | Where-Object { $_ })
    $dir = Split-Path -Parent $Path
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Path $dir -Force) }
}

function Protect-AgentLogText {
    param([string]$Text)
    foreach ($s in $script:AgentSecrets) {
        if ($s) { $Text = $Text.Replace($s, '[REDACTED]') }
    }
    return [regex]::Replace($Text, '(?i)(bearer\s+)[^\s"'']+', '$1[REDACTED]')
}

function Write-AgentLog {
    param([ValidateSet('INFO', 'WARN', 'ERROR', 'DEBUG')][string]$Level = 'INFO', [string]$Message)
    $line = '{0} {1,-5} {2}' -f (Format-AgentTimestamp -Time (Get-AgentUtcNow)), $Level, (Protect-AgentLogText -Text $Message)
    Write-Verbose $line
    if (-not $script:AgentLogPath) { return }
    try {
        $info = New-Object System.IO.FileInfo($script:AgentLogPath)
        if ($info.Exists -and $info.Length -ge $script:AgentLogMaxBytes) {
            for ($i = $script:AgentLogKeep - 1; $i -ge 1; $i--) {
                $older = $script:AgentLogPath + '.' + $i
                $newer = $script:AgentLogPath + '.' + ($i + 1)
                if (Test-Path -LiteralPath $older) { Move-Item -LiteralPath $older -Destination $newer -Force }
            }
            Move-Item -LiteralPath $script:AgentLogPath -Destination ($script:AgentLogPath + '.1') -Force
        }
        # Two sessions' agents share the log: the other one's append holds the file for a moment.
        # Windows refuses a second writer under FileShare.Read; elsewhere only FileShare.None locks.
        $share = if ([System.Environment]::OSVersion.Platform -eq 'Win32NT') { [System.IO.FileShare]::Read } else { [System.IO.FileShare]::None }
        $bytes = $script:Utf8NoBom.GetBytes($line + "`r`n")
        for ($attempt = 1; ; $attempt++) {
            try {
                $stream = New-Object System.IO.FileStream($script:AgentLogPath, [System.IO.FileMode]::Append, [System.IO.FileAccess]::Write, $share)
                try { $stream.Write($bytes, 0, $bytes.Length) } finally { $stream.Dispose() }
                break
            } catch [System.IO.IOException] {
                if ($attempt -ge 20) { throw }
                [System.Threading.Thread]::Sleep(5 * $attempt)
            }
        }
    } catch {
        Write-Verbose ('log write failed: ' + $_.Exception.Message)
    }
}

# ------------------------------------------------------------------------------------------------
# Spool: JSON lines, appended before anything is sent
# ------------------------------------------------------------------------------------------------

function Add-AgentSpoolEvent {
    # Appends events (one JSON object per line) and enforces the size cap.
    param([string]$Path, [object[]]$Events, [long]$MaxBytes)
    if (-not $Events -or $Events.Count -eq 0) { return }
    $dir = Split-Path -Parent $Path
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Path $dir -Force) }
    $sb = New-Object System.Text.StringBuilder
    if (Test-AgentSpoolCutShort -Path $Path) { [void]$sb.Append("`n") }
    foreach ($e in $Events) { [void]$sb.Append((ConvertTo-AgentEventJson -InputEvent $e)).Append("`n") }
    [System.IO.File]::AppendAllText($Path, $sb.ToString(), $script:Utf8NoBom)
    if ($MaxBytes -gt 0) { Limit-AgentSpool -Path $Path -MaxBytes $MaxBytes }
}

function Test-AgentSpoolCutShort {
    # A line cut short by a crash must not swallow the next event: $true when the file does not
    # end on a fresh line.
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $false }
    $fs = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
    try {
        if ($fs.Length -eq 0) { return $false }
        [void]$fs.Seek(-1, 'End')
        return ($fs.ReadByte() -ne 10)
    } finally { $fs.Dispose() }
}

# What was sent is never cut out of the spool by rewriting it: <spool>.offset says where the
# lines still to send begin, and replay reads from there only as far as one batch. A spool sent
# to its end is emptied; one held past its cap is compacted once its sent part reaches the cap,
# so every byte is copied at most once.

function Get-AgentSpoolOffset {
    param([string]$Path)
    $info = New-Object System.IO.FileInfo($Path)
    $length = 0L
    if ($info.Exists) { $length = $info.Length }
    $offset = 0L
    $offsetPath = $Path + '.offset'
    if (Test-Path -LiteralPath $offsetPath -PathType Leaf) {
        try {
            if (-not [long]::TryParse([System.IO.File]::ReadAllText($offsetPath).Trim(), [ref]$offset)) { $offset = 0L }
        } catch {
            $offset = 0L
        }
    }
    # Past the end: the spool was emptied or replaced behind the offset's back. Sending it all
    # again costs only duplicates, which the server ignores; skipping would lose events.
    if ($offset -lt 0 -or $offset -gt $length) { $offset = 0L }
    return $offset
}

function Set-AgentSpoolOffset {
    param([string]$Path, [long]$Offset)
    $offsetPath = $Path + '.offset'
    $tmp = $offsetPath + '.tmp'
    [System.IO.File]::WriteAllText($tmp, [string]$Offset, $script:Utf8NoBom)
    if (Test-Path -LiteralPath $offsetPath -PathType Leaf) {
        # [NullString]: a plain $null would reach .NET as "" (an invalid backup path).
        [System.IO.File]::Replace($tmp, $offsetPath, [System.Management.Automation.Language.NullString]::Value)
    } else {
        [System.IO.File]::Move($tmp, $offsetPath)
    }
}

function Compress-AgentSpool {
    # Drops the part before $Offset. The offset is set to 0 before the file changes: a crash in
    # between resends what was sent (duplicates, ignored by the server) but never skips a line.
    param([string]$Path, [long]$Offset)
    $info = New-Object System.IO.FileInfo($Path)
    if (-not $info.Exists) { return }
    if ($Offset -ge $info.Length) {
        Set-AgentSpoolOffset -Path $Path -Offset 0
        $fs = [System.IO.File]::Open($Path, 'Open', 'Write', 'ReadWrite')
        try { $fs.SetLength(0) } finally { $fs.Dispose() }
        return
    }
    $tmp = $Path + '.tmp'
    $src = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
    try {
        $dst = [System.IO.File]::Open($tmp, 'Create', 'Write', 'None')
        try {
            [void]$src.Seek($Offset, 'Begin')
            $src.CopyTo($dst)
        } finally { $dst.Dispose() }
    } finally { $src.Dispose() }
    Set-AgentSpoolOffset -Path $Path -Offset 0
    [System.IO.File]::Replace($tmp, $Path, [System.Management.Automation.Language.NullString]::Value)
}

function Limit-AgentSpool {
    # Over the cap, the oldest lines still to send go (with a log line) until the rest fits in
    # 90% of it.
    param([string]$Path, [long]$MaxBytes)
    $info = New-Object System.IO.FileInfo($Path)
    if (-not $info.Exists) { return }
    $offset = Get-AgentSpoolOffset -Path $Path
    if ($info.Length - $offset -gt $MaxBytes) {
        $cut = $info.Length - [long]($MaxBytes * 0.9)
        $reader = New-AgentSpoolReader -Path $Path -Offset $offset
        $dropped = 0
        $newOffset = $info.Length
        try {
            $found = $false
            while (-not $found -and (Read-AgentSpoolChunk -Reader $reader)) {
                for ($k = 0; $k -lt $reader.Lines.Count; $k++) {
                    if ($reader.Lines[$k].Trim()) { $dropped++ }
                    if ($reader.Ends[$k] -ge $cut) { $newOffset = $reader.Ends[$k]; $found = $true; break }
                }
            }
        } finally { $reader.Stream.Dispose() }
        Set-AgentSpoolOffset -Path $Path -Offset $newOffset
        $offset = $newOffset
        Write-AgentLog -Level ERROR -Message ("spool over its cap of {0} bytes: dropped the {1} oldest events" -f $MaxBytes, $dropped)
    }
    if ($offset -ge $MaxBytes) { Compress-AgentSpool -Path $Path -Offset $offset }
}

function New-AgentSpoolReader {
    # Reads a spool from a byte offset a buffer at a time (Read-AgentSpoolChunk), knowing where
    # each line ends.
    param([string]$Path, [long]$Offset)
    $fs = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
    [void]$fs.Seek($Offset, 'Begin')
    return (New-Object PSObject -Property @{
            Stream = $fs; Buffer = (New-Object byte[] 65536); Count = 0; Position = $Offset; Done = $false
            Lines = (New-Object 'System.Collections.Generic.List[string]')
            Ends = (New-Object 'System.Collections.Generic.List[long]')
        })
}

function Read-AgentSpoolChunk {
    # Replaces the reader's Lines and Ends (the byte offset past each line's newline) with the
    # lines the next read completes; $false at the end of the file. A last line without a
    # newline counts as a line. One call per buffer, not per line: that is what keeps a batch cheap.
    param($Reader)
    $Reader.Lines.Clear()
    $Reader.Ends.Clear()
    while ($Reader.Lines.Count -eq 0) {
        if ($Reader.Done) { return $false }
        $buf = $Reader.Buffer
        if ($Reader.Count -eq $buf.Length) {
            $bigger = New-Object byte[] ($buf.Length * 2)
            [Array]::Copy($buf, $bigger, $Reader.Count)
            $Reader.Buffer = $bigger
            $buf = $bigger
        }
        $n = $Reader.Stream.Read($buf, $Reader.Count, $buf.Length - $Reader.Count)
        if ($n -le 0) {
            $Reader.Done = $true
            if ($Reader.Count -gt 0) {
                $Reader.Lines.Add($script:Utf8NoBom.GetString($buf, 0, $Reader.Count))
                $Reader.Position += $Reader.Count
                $Reader.Ends.Add($Reader.Position)
                $Reader.Count = 0
            }
            continue
        }
        $count = $Reader.Count + $n
        $i = 0
        while ($true) {
            $nl = [Array]::IndexOf($buf, [byte]10, $i, $count - $i)
            if ($nl -lt 0) { break }
            $Reader.Lines.Add($script:Utf8NoBom.GetString($buf, $i, $nl - $i))
            $Reader.Position += ($nl + 1 - $i)
            $Reader.Ends.Add($Reader.Position)
            $i = $nl + 1
        }
        $rest = $count - $i
        if ($rest -gt 0 -and $i -gt 0) { [Array]::Copy($buf, $i, $buf, 0, $rest) }
        $Reader.Count = $rest
    }
    return $true
}

$script:AgentJsonDateKind = $null -ne (Get-Command ConvertFrom-Json).Parameters['DateKind']
# The line as this agent writes it, judged without ConvertFrom-Json (a tenth of the cost):
# names with no JSON escapes but \\, the agent's own ts format.
$script:AgentSpoolLineFast = New-Object System.Text.RegularExpressions.Regex('^\{"user":"((?:[^"\\\x00-\x1f]|\\\\)+)","state":"(?:working|stopped)","ts":"(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{7}Z","device":"((?:[^"\\\x00-\x1f]|\\\\)*)","agent":"([^"\\\x00-\x1f]{0,32})"\}$', [System.Text.RegularExpressions.RegexOptions]::Compiled)
$script:AgentNameSuspect = New-Object System.Text.RegularExpressions.Regex('[\u0000-\u001f\u007f-\u009f\u2028\u2029\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]', [System.Text.RegularExpressions.RegexOptions]::Compiled)
$script:AgentIsoTimestamp = '^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$'

function Test-AgentNameText {
    # The server's rules for a name (lib/users.ts): no control characters, nothing invisible or
    # direction-changing. A joiner between two pictographs (one emoji) is allowed, as there.
    param([string]$Text)
    if ($Text -match '[\u0000-\u001f\u007f-\u009f\u2028\u2029]') { return $false }
    $Text = [regex]::Replace($Text, '(?<=[\uD800-\uDFFF\p{So}\uFE0F])\u200d(?=[\uD800-\uDFFF\p{So}])', '')
    return ($Text -notmatch '[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]')
}

function Test-AgentNameField {
    # An optional name field (device, agent) as the server takes it: missing, or a string of at
    # most $Max characters once trimmed.
    param($Object, [string]$Name, [int]$Max)
    if (-not ($Object.PSObject.Properties.Name -contains $Name)) { return $true }
    $v = $Object.$Name
    if ($null -eq $v) { return $true }
    if (-not ($v -is [string])) { return $false }
    try { $v = $v.Trim().Normalize() } catch { return $false }
    return ($v.Length -le $Max -and (Test-AgentNameText -Text $v))
}

function Test-AgentSpoolLine {
    # $true when a spool line is an event the server would take (lib/ingest/schema.ts), bar the
    # limits that depend on the server's clock. Anything else would be refused on every try.
    param([string]$Line)
    $m = $script:AgentSpoolLineFast.Match($Line)
    if ($m.Success) {
        $year = [int]$m.Groups[2].Value
        $month = [int]$m.Groups[3].Value
        $day = [int]$m.Groups[4].Value
        if ($year -lt 2000 -or $month -lt 1 -or $month -gt 12 -or $day -lt 1 -or $day -gt [DateTime]::DaysInMonth($year, $month)) { return $false }
        try {
            $user = $m.Groups[1].Value.Replace('\\', '\').Trim().Normalize()
            $device = $m.Groups[5].Value.Replace('\\', '\').Trim().Normalize()
        } catch {
            return $false
        }
        if ($user.Length -lt 1 -or $user.Length -gt 256 -or $device.Length -gt 64) { return $false }
        $agent = $m.Groups[6].Value
        if (-not $script:AgentNameSuspect.IsMatch($user + $device + $agent)) { return $true }
        return ((Test-AgentNameText -Text $user) -and (Test-AgentNameText -Text $device) -and (Test-AgentNameText -Text $agent))
    }
    try {
        if ($script:AgentJsonDateKind) {
            $o = $Line | ConvertFrom-Json -DateKind String -ErrorAction Stop
        } else {
            $o = $Line | ConvertFrom-Json -ErrorAction Stop
        }
    } catch {
        return $false
    }
    if ($null -eq $o -or -not ($o -is [System.Management.Automation.PSCustomObject])) { return $false }
    $names = @($o.PSObject.Properties.Name)
    if (-not ($names -contains 'user' -and $names -contains 'state' -and $names -contains 'ts')) { return $false }
    if (-not ($o.user -is [string])) { return $false }
    try { $user = $o.user.Trim().Normalize() } catch { return $false }
    if ($user.Length -lt 1 -or $user.Length -gt 256 -or -not (Test-AgentNameText -Text $user)) { return $false }
    if (-not ($o.state -is [string]) -or ($o.state -cne 'working' -and $o.state -cne 'stopped')) { return $false }
    $ts = $o.ts
    if ($ts -is [DateTime]) {
        # PowerShell 7.0-7.4 turn date strings into DateTime: judge the text as written.
        $m = [regex]::Match($Line, '"ts"\s*:\s*"([^"\\]*)"')
        if (-not $m.Success) { return $false }
        $ts = $m.Groups[1].Value
    }
    if (-not ($ts -is [string])) { return $false }
    $m = [regex]::Match($ts.Trim(), $script:AgentIsoTimestamp)
    if (-not $m.Success) { return $false }
    $year = [int]$m.Groups[1].Value
    $month = [int]$m.Groups[2].Value
    $day = [int]$m.Groups[3].Value
    if ($year -lt 2000 -or $month -lt 1 -or $month -gt 12 -or $day -lt 1 -or $day -gt [DateTime]::DaysInMonth($year, $month)) { return $false }
    if ([int]$m.Groups[4].Value -gt 23 -or [int]$m.Groups[5].Value -gt 59) { return $false }
    if ($m.Groups[6].Success -and [int]$m.Groups[6].Value -gt 59) { return $false }
    if ($m.Groups[10].Success -and ([int]$m.Groups[10].Value -gt 18 -or ($m.Groups[11].Success -and [int]$m.Groups[11].Value -gt 59))) { return $false }
    return ((Test-AgentNameField -Object $o -Name 'device' -Max 64) -and (Test-AgentNameField -Object $o -Name 'agent' -Max 32))
}

function Move-AgentSpoolCorrupt {
    # A line that is no usable event is set aside in <spool>.corrupt (up to 1 MB of them, for a
    # look) with one log line, instead of being met again on every attempt.
    param([string]$Path, [string]$Line)
    $side = $Path + '.corrupt'
    $where = 'set aside in ' + $side
    try {
        $info = New-Object System.IO.FileInfo($side)
        if ($info.Exists -and $info.Length -ge 1MB) {
            $where = 'not kept: ' + $side + ' is full'
        } else {
            [System.IO.File]::AppendAllText($side, $Line + "`n", $script:Utf8NoBom)
        }
    } catch {
        $where = 'not kept: ' + $_.Exception.Message
    }
    $shown = $Line
    if ($shown.Length -gt 200) { $shown = $shown.Substring(0, 200) + '...' }
    Write-AgentLog -Level WARN -Message ("spool: a corrupt line, not sent ({0}): {1}" -f $where, $shown)
}

function Read-AgentSpoolBatch {
    # The oldest BatchSize usable lines after the offset, read from there and no further, with
    # where each starts and where the batch ends (Start, End: byte offsets). A corrupt line at
    # the head is set aside and the offset moved past it, so it is met once; further down it
    # ends the batch. $Skip: lines the server already judged invalid ("<start> <text>": the
    # text too, as an emptied or compacted spool puts other lines at the same starts).
    param([string]$Path, [int]$BatchSize, [hashtable]$Skip = @{})
    $result = New-Object PSObject -Property @{ Events = @(); Starts = @(); Start = 0L; End = 0L; Corrupt = 0 }
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $result }
    $offset = Get-AgentSpoolOffset -Path $Path
    $result.Start = $offset
    $result.End = $offset
    $events = New-Object System.Collections.ArrayList
    $starts = New-Object System.Collections.ArrayList
    $reader = New-AgentSpoolReader -Path $Path -Offset $offset
    $start = $offset
    $full = $false
    try {
        while (-not $full -and (Read-AgentSpoolChunk -Reader $reader)) {
            for ($k = 0; $k -lt $reader.Lines.Count; $k++) {
                $lineStart = $start
                $start = $reader.Ends[$k]
                $text = $reader.Lines[$k].Trim().TrimStart([char]0xFEFF)
                if ($text.Length -eq 0 -or ($Skip.Count -gt 0 -and $Skip.ContainsKey([string]$lineStart + ' ' + $text))) { $result.End = $start; continue }
                if (Test-AgentSpoolLine -Line $text) {
                    [void]$events.Add($text)
                    [void]$starts.Add($lineStart)
                    $result.End = $start
                    if ($events.Count -ge $BatchSize) { $full = $true; break }
                    continue
                }
                if ($events.Count -gt 0) { $full = $true; break }
                Move-AgentSpoolCorrupt -Path $Path -Line $text
                $result.Corrupt++
                $result.End = $start
                Set-AgentSpoolOffset -Path $Path -Offset $start
            }
        }
    } finally { $reader.Stream.Dispose() }
    $result.Events = $events.ToArray()
    $result.Starts = $starts.ToArray()
    return $result
}

function Complete-AgentSpoolBatch {
    # Moves the offset past what was delivered or dropped; a spool sent to its end is emptied.
    param([string]$Path, [long]$End)
    $info = New-Object System.IO.FileInfo($Path)
    if ($info.Exists -and $End -ge $info.Length) {
        Compress-AgentSpool -Path $Path -Offset $End
        return
    }
    Set-AgentSpoolOffset -Path $Path -Offset $End
}

function Copy-AgentSpoolTail {
    # Appends the lines still to send of spool $From to spool $To, line by line (flat memory).
    # Returns how many.
    param([string]$From, [string]$To)
    $count = 0
    $newline = Test-AgentSpoolCutShort -Path $To
    $reader = New-AgentSpoolReader -Path $From -Offset (Get-AgentSpoolOffset -Path $From)
    try {
        $out = New-Object System.IO.StreamWriter($To, $true, $script:Utf8NoBom)
        try {
            if ($newline) { $out.Write("`n") }
            while (Read-AgentSpoolChunk -Reader $reader) {
                foreach ($line in $reader.Lines) {
                    $text = $line.Trim().TrimStart([char]0xFEFF)
                    if ($text.Length -eq 0) { continue }
                    $out.Write($text + "`n")
                    $count++
                }
            }
        } finally { $out.Dispose() }
    } finally { $reader.Stream.Dispose() }
    return $count
}

# ------------------------------------------------------------------------------------------------
# Sending: replay the spool oldest first, in batches
# ------------------------------------------------------------------------------------------------

function New-AgentSender {
    return (New-Object PSObject -Property @{
            Failures       = 0
            NextAttemptAt  = [double]::MinValue     # Get-AgentElapsedSeconds
            Holding        = $false
            BatchSize      = 0
            SinceSplit     = 0
            Dropped        = @{}
        })
}

function Invoke-AgentFlush {
    # Sends what the spool holds, up to MaxBatches batches, unless a backoff is in force.
    # Never sleeps: a failure only sets the time of the next attempt.
    #   Elapsed: Get-AgentElapsedSeconds; without it, the wall clock stands in.
    param($Sender, [hashtable]$Settings, [DateTime]$NowUtc, [int]$MaxBatches = 5, $Elapsed = $null)
    $sent = 0
    $at = $Elapsed
    if ($null -eq $at) { $at = $NowUtc.Ticks / [double][TimeSpan]::TicksPerSecond }
    if ($at -lt $Sender.NextAttemptAt) { return $sent }
    if (-not $Settings['API_ENDPOINT']) { return $sent }
    if ($Sender.BatchSize -le 0) { $Sender.BatchSize = [int]$Settings['BATCH_SIZE'] }
    $path = $Settings['SPOOL_PATH']
    for ($b = 0; $b -lt $MaxBatches; $b++) {
        $batch = Read-AgentSpoolBatch -Path $path -BatchSize $Sender.BatchSize -Skip $Sender.Dropped
        if ($batch.Events.Count -eq 0) {
            if ($batch.End -gt $batch.Start -or $batch.Corrupt -gt 0) { Complete-AgentSpoolBatch -Path $path -End $batch.End }
            break
        }
        $json = '{"events":[' + (@($batch.Events | ForEach-Object { ConvertTo-AgentServerClock -Line $_ }) -join ',') + ']}'
        $bytes = $script:Utf8NoBom.GetBytes($json)
        $asked = Get-AgentUtcNow
        $resp = Invoke-AgentHttpPost -Uri $Settings['API_ENDPOINT'] -Body $bytes -Token $Settings['AGENT_TOKEN'] -TimeoutSec ([int]$Settings['REQUEST_TIMEOUT_SECONDS'])
        if ($resp.PSObject.Properties.Name -contains 'Date') { Update-AgentClockOffset -ServerDate $resp.Date -LocalNow (Get-AgentMidpoint -From $asked) }
        $class = Get-AgentRetryClass -StatusCode $resp.StatusCode -Body $resp.Body
        if ($class -eq 'split' -and $Sender.BatchSize -le 1) {
            # One event refused as too large: something between us and the server; keep it.
            $class = 'retry'
        }
        if ($class -eq 'ok') {
            Write-AgentRejections -Response $resp -Events $batch.Events
            Complete-AgentSpoolBatch -Path $path -End $batch.End
            $sent += $batch.Events.Count
            if ($Sender.Failures -gt 0 -or $Sender.Holding) {
                Write-AgentLog -Level INFO -Message 'server reachable again; sending the spool'
            }
            $Sender.Failures = 0
            $Sender.Holding = $false
            $Sender.NextAttemptAt = [double]::MinValue
            $full = [int]$Settings['BATCH_SIZE']
            if ($Sender.BatchSize -lt $full) {
                $Sender.SinceSplit++
                if ($Sender.SinceSplit -ge 5) {
                    $Sender.BatchSize = [int][Math]::Min($full, $Sender.BatchSize * 2)
                    $Sender.SinceSplit = 0
                }
            }
            Write-AgentLog -Level DEBUG -Message ("sent {0} events (HTTP {1})" -f $batch.Events.Count, $resp.StatusCode)
        } elseif ($class -eq 'reject') {
            $bad = @(Get-AgentInvalidIndexes -Body $resp.Body)
            # The spool is not rewritten: the offset stops at the first event kept, and those
            # dropped after it are skipped from now on.
            $end = $batch.End
            for ($i = $batch.Events.Count - 1; $i -ge 0; $i--) {
                if ($bad -contains $i) {
                    $Sender.Dropped[[string]$batch.Starts[$i] + ' ' + $batch.Events[$i]] = $true
                } else {
                    $end = $batch.Starts[$i]
                }
            }
            foreach ($i in @($bad | Sort-Object)) {
                if ($i -ge 0 -and $i -lt $batch.Events.Count) {
                    Write-AgentLog -Level ERROR -Message ("server judged event {0} invalid (HTTP 400); dropped: {1} {2}" -f $i, $batch.Events[$i], (Get-AgentShortBody $resp.Body))
                }
            }
            Complete-AgentSpoolBatch -Path $path -End $end
        } elseif ($class -eq 'split') {
            $Sender.BatchSize = [int][Math]::Max(1, [Math]::Floor($Sender.BatchSize / 2))
            $Sender.SinceSplit = 0
            Write-AgentLog -Level WARN -Message ("HTTP 413: batch too large; now sending {0} events per batch" -f $Sender.BatchSize)
        } elseif ($class -eq 'hold') {
            $Sender.Failures++
            $wait = 300
            $Sender.NextAttemptAt = $at + $wait
            if (-not $Sender.Holding) {
                $why = 'the token was refused: check AGENT_TOKEN (an ingest-scoped token)'
                if ($resp.StatusCode -eq 404 -or $resp.StatusCode -eq 405) { $why = 'the endpoint does not take reports: check API_ENDPOINT (it ends in /api/report)' }
                if ($resp.StatusCode -eq 407) { $why = 'a proxy wants credentials the agent does not have (it uses the system proxy with the signed-in user''s credentials): ask for the server to be allowed through the proxy' }
                Write-AgentLog -Level ERROR -Message ("HTTP {0}: {1}; events are kept in the spool and retried every {2} s" -f $resp.StatusCode, $why, $wait)
            }
            $Sender.Holding = $true
            return $sent
        } else {
            $Sender.Failures++
            $delay = Get-AgentBackoffSeconds -Failures $Sender.Failures -BaseSeconds 10 -MaxSeconds 900 -Random (Get-AgentRandom)
            if ($resp.RetryAfterSeconds -and $resp.RetryAfterSeconds -gt $delay) { $delay = [double]$resp.RetryAfterSeconds }
            $Sender.NextAttemptAt = $at + $delay
            $what = 'HTTP ' + $resp.StatusCode
            if ($resp.StatusCode -eq 0) { $what = 'no answer (' + $resp.Error + ')' }
            elseif ($null -eq (ConvertFrom-AgentServerJson -Body $resp.Body)) { $what += ' that is not the server''s answer (a captive portal or a proxy?): ' + (Get-AgentShortBody $resp.Body) }
            Write-AgentLog -Level WARN -Message ("send failed: {0}; attempt {1}, next in {2:N0} s; events stay in the spool" -f $what, $Sender.Failures, $delay)
            return $sent
        }
    }
    return $sent
}

function Get-AgentShortBody {
    param([string]$Body)
    if (-not $Body) { return '' }
    if ($Body.Length -gt 300) { return $Body.Substring(0, 300) + '...' }
    return $Body
}

function Write-AgentRejections {
    # A 201 may still name events the server refused one by one: log them (they are dropped).
    param($Response, [string[]]$Events)
    if (-not $Response.Body) { return }
    try {
        $o = $Response.Body | ConvertFrom-Json -ErrorAction Stop
    } catch {
        return
    }
    if ($null -eq $o -or -not ($o.PSObject.Properties.Name -contains 'rejected')) { return }
    foreach ($r in @($o.rejected)) {
        if ($null -eq $r) { continue }
        $idx = [int]$r.index
        $ev = ''
        if ($idx -ge 0 -and $idx -lt $Events.Count) { $ev = $Events[$idx] }
        $msg = ''
        if ($r.PSObject.Properties.Name -contains 'error') { $msg = ($r.error | ConvertTo-Json -Compress -Depth 5) }
        Write-AgentLog -Level ERROR -Message ("server rejected event {0}; dropped: {1} {2}" -f $idx, $ev, $msg)
    }
}

# ------------------------------------------------------------------------------------------------
# The state machine
# ------------------------------------------------------------------------------------------------

function New-AgentState {
    param([string]$User)
    return (New-Object PSObject -Property @{
            User                  = $User
            Mode                  = 'unknown'        # unknown | working | stopped
            LastInputUtc          = $null            # latest input seen
            LastPollUtc           = $null
            ExpectedNextPollUtc   = $null
            LastWorkingReportAt   = $null            # Get-AgentElapsedSeconds at the last working heartbeat
            LastReportedInputUtc  = $null            # ts of the last working heartbeat
            LastIdleReportAt      = $null
            IdleFailures          = 0
        })
}

function Step-AgentState {
    # One poll. Returns the events to report (possibly none) and updates $State in place.
    #   IdleMs: idle milliseconds, or $null when it could not be read.
    #   Elapsed: Get-AgentElapsedSeconds; without it, the wall clock stands in.
    param(
        $State,
        [DateTime]$NowUtc,
        $IdleMs,
        [hashtable]$Settings,
        $Elapsed = $null
    )
    $events = New-Object System.Collections.ArrayList
    $at = $Elapsed
    if ($null -eq $at) { $at = $NowUtc.Ticks / [double][TimeSpan]::TicksPerSecond }
    $thresholdMs = [double]$Settings['IDLE_THRESHOLD_MINUTES'] * 60000
    $pollSec = [double]$Settings['POLL_INTERVAL_SECONDS']
    $reportSec = [double]$Settings['REPORT_INTERVAL_MINUTES'] * 60
    $idleReportSec = [double]$Settings['IDLE_REPORT_MINUTES'] * 60
    $toleranceSec = [Math]::Max(30, $pollSec / 2)

    # 1. A wall-clock jump since the last poll (sleep, hibernation, a suspended process, a
    #    clock set back): whatever happened in between was not work.
    $jumped = $false
    $wentBack = $false
    if ($null -ne $State.LastPollUtc) {
        $expected = $State.ExpectedNextPollUtc
        if ($null -eq $expected) { $expected = $State.LastPollUtc.AddSeconds($pollSec) }
        $late = ($NowUtc - $expected).TotalSeconds
        $back = ($NowUtc - $State.LastPollUtc).TotalSeconds
        if ($late -gt $toleranceSec -or $back -lt -5) {
            $jumped = $true
            Write-AgentLog -Level INFO -Message ("clock jump of {0:N0} s since the last poll (sleep or clock change): treated as idle from the last input" -f ($NowUtc - $State.LastPollUtc).TotalSeconds)
            if ($State.Mode -eq 'working') {
                [void]$events.Add((New-AgentEvent -User $State.User -State 'stopped' -Time $State.LastInputUtc))
                $State.Mode = 'stopped'
                $State.LastIdleReportAt = $at
            }
            if ($back -lt -5) {
                # The clock was set back: earlier readings are on another time base.
                $wentBack = $true
                $State.LastInputUtc = $null
            }
        }
    }

    # 2. No idle reading: say nothing that might be wrong. A working run with no sign of input
    #    for longer than the threshold is closed at its last known input.
    if ($null -eq $IdleMs) {
        $State.IdleFailures++
        if ($State.IdleFailures -eq 1 -or ($State.IdleFailures % 60) -eq 0) {
            Write-AgentLog -Level ERROR -Message ("cannot read the idle time ({0}); not reporting activity" -f $script:AgentIdleError)
        }
        if ($State.Mode -eq 'working' -and ($NowUtc - $State.LastInputUtc).TotalMilliseconds -ge $thresholdMs) {
            [void]$events.Add((New-AgentEvent -User $State.User -State 'stopped' -Time $State.LastInputUtc))
            $State.Mode = 'stopped'
            $State.LastIdleReportAt = $at
        }
        $State.LastPollUtc = $NowUtc
        $State.ExpectedNextPollUtc = $NowUtc.AddSeconds($pollSec)
        return $events.ToArray()
    }
    if ($State.IdleFailures -gt 0) {
        Write-AgentLog -Level INFO -Message 'idle time readable again'
        $State.IdleFailures = 0
    }

    # 3. The time of the latest input, never in the future, never before one already seen.
    $idle = [Math]::Max(0, [double]$IdleMs)
    $lastInput = $NowUtc.AddMilliseconds(-$idle)
    if ($null -ne $State.LastInputUtc -and $lastInput -lt $State.LastInputUtc) { $lastInput = $State.LastInputUtc }
    $freshInput = $true
    if ($jumped -and -not $wentBack -and $lastInput -le $State.LastPollUtc) {
        # Nothing touched since before the jump: the tick count may not have counted the sleep.
        $freshInput = $false
    }
    $State.LastInputUtc = $lastInput

    if ($idle -lt $thresholdMs -and $freshInput) {
        if ($State.Mode -ne 'working') {
            [void]$events.Add((New-AgentEvent -User $State.User -State 'working' -Time $lastInput))
            $State.Mode = 'working'
            $State.LastWorkingReportAt = $at
            $State.LastReportedInputUtc = $lastInput
        } elseif (($at - $State.LastWorkingReportAt) -ge ($reportSec - 0.5) -and $lastInput -gt $State.LastReportedInputUtc) {
            [void]$events.Add((New-AgentEvent -User $State.User -State 'working' -Time $lastInput))
            $State.LastWorkingReportAt = $at
            $State.LastReportedInputUtc = $lastInput
        }
    } else {
        if ($State.Mode -eq 'working') {
            [void]$events.Add((New-AgentEvent -User $State.User -State 'stopped' -Time $lastInput))
            $State.Mode = 'stopped'
            $State.LastIdleReportAt = $at
        } elseif ($State.Mode -eq 'unknown') {
            [void]$events.Add((New-AgentEvent -User $State.User -State 'stopped' -Time $NowUtc))
            $State.Mode = 'stopped'
            $State.LastIdleReportAt = $at
        } elseif ($null -eq $State.LastIdleReportAt -or ($at - $State.LastIdleReportAt) -ge ($idleReportSec - 0.5)) {
            # Idle heartbeat: alive but not working (the hours rules ignore it).
            [void]$events.Add((New-AgentEvent -User $State.User -State 'stopped' -Time $NowUtc))
            $State.LastIdleReportAt = $at
        }
    }

    $State.LastPollUtc = $NowUtc
    $State.ExpectedNextPollUtc = $NowUtc.AddSeconds($pollSec)
    return $events.ToArray()
}

# ------------------------------------------------------------------------------------------------
# State file: lets the next start close a run that ended while working
# ------------------------------------------------------------------------------------------------

function Save-AgentStateFile {
    param([string]$Path, $State)
    $lastTicks = $null
    if ($null -ne $State.LastInputUtc) { $lastTicks = $State.LastInputUtc.Ticks }
    $o = New-Object PSObject -Property @{
        version          = 1
        user             = $State.User
        mode             = $State.Mode
        lastInputTicks   = $lastTicks
    }
    $json = $o | ConvertTo-Json -Compress
    if ($json -eq $script:AgentLastStateJson) { return }
    $dir = Split-Path -Parent $Path
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Path $dir -Force) }
    # Written beside and swapped in: a crash or a full disk mid-write leaves the previous state.
    $tmp = $Path + '.tmp'
    [System.IO.File]::WriteAllText($tmp, $json, $script:Utf8NoBom)
    if (Test-Path -LiteralPath $Path -PathType Leaf) {
        [System.IO.File]::Replace($tmp, $Path, [System.Management.Automation.Language.NullString]::Value)
    } else {
        [System.IO.File]::Move($tmp, $Path)
    }
    $script:AgentLastStateJson = $json
}

function Get-AgentRecoveryEvents {
    # On start: a previous run that ended while working (crash, power loss, logoff without a
    # final poll) is closed with a stopped at its last input.
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return @() }
    try {
        $o = [System.IO.File]::ReadAllText($Path, $script:Utf8NoBom) | ConvertFrom-Json -ErrorAction Stop
    } catch {
        Write-AgentLog -Level WARN -Message ("state file unreadable, ignored: " + $_.Exception.Message)
        return @()
    }
    if ($null -eq $o) { return @() }
    $names = @($o.PSObject.Properties.Name)
    if (-not ($names -contains 'mode' -and $names -contains 'lastInputTicks' -and $names -contains 'user')) { return @() }
    if ($o.mode -ne 'working' -or $null -eq $o.lastInputTicks -or -not $o.user) { return @() }
    $last = New-Object DateTime([long]$o.lastInputTicks, [DateTimeKind]::Utc)
    Write-AgentLog -Level INFO -Message ("previous run ended while working; closing it at its last input " + (Format-AgentTimestamp -Time $last))
    return @(New-AgentEvent -User ([string]$o.user) -State 'stopped' -Time $last)
}

# ------------------------------------------------------------------------------------------------
# Main loop
# ------------------------------------------------------------------------------------------------

$script:AgentClockOffsetSeconds = 0

function Get-AgentMidpoint {
    # The local instant halfway through an exchange begun at $From: when the server most likely
    # wrote its Date header, however long a busy server or network took each way.
    param([DateTime]$From)
    $to = Get-AgentUtcNow
    return $From.AddTicks([long](($to - $From).Ticks / 2))
}

function Update-AgentClockOffset {
    # Learns how far this PC's clock is from the server's (its Date header, read at $LocalNow).
    # The header has whole seconds, cut down: the server's time was half a second later on
    # average. Differences of a few seconds are still noise; they are ignored, which also keeps
    # a resent event's corrected ts unchanged (the server's duplicate check needs the same ts).
    param($ServerDate, [DateTime]$LocalNow)
    if ($null -eq $ServerDate) { return }
    $offset = [Math]::Round((([DateTime]$ServerDate).AddMilliseconds(500) - $LocalNow).TotalSeconds)
    if ([Math]::Abs($offset) -lt 5) { $offset = 0 }
    if ([Math]::Abs($offset - $script:AgentClockOffsetSeconds) -lt 5) { return }
    if ([Math]::Abs($offset) -gt 60) {
        $how = 'ahead of'
        if ($offset -gt 0) { $how = 'behind' }
        Write-AgentLog -Level WARN -Message ("this PC's clock is {0:N0} s {1} the server's; event times are corrected to the server's clock when sent (fix the PC's time sync)" -f [Math]::Abs($offset), $how)
    } elseif ($script:AgentClockOffsetSeconds -ne 0) {
        Write-AgentLog -Level INFO -Message ("clock offset to the server now {0} s" -f $offset)
    }
    $script:AgentClockOffsetSeconds = $offset
}

function ConvertTo-AgentServerClock {
    # A spool line with its ts moved onto the server's clock (the latest known offset).
    param([string]$Line)
    if ($script:AgentClockOffsetSeconds -eq 0) { return $Line }
    $m = [regex]::Match($Line, '"ts":"([^"]+)"')
    if (-not $m.Success) { return $Line }
    $t = [DateTime]::MinValue
    if (-not [DateTime]::TryParse($m.Groups[1].Value, $script:Invariant, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref]$t)) { return $Line }
    $fixed = Format-AgentTimestamp -Time ($t.ToUniversalTime().AddSeconds($script:AgentClockOffsetSeconds))
    return $Line.Substring(0, $m.Groups[1].Index) + $fixed + $Line.Substring($m.Groups[1].Index + $m.Groups[1].Length)
}

function Get-AgentHealthUri {
    param([string]$Endpoint)
    try { return (New-Object System.Uri((New-Object System.Uri($Endpoint)), 'health')).AbsoluteUri } catch { return $null }
}

function Get-AgentSessionPath {
    # spool.jsonl -> spool.<key>.jsonl; the empty key is the single-file layout of agents
    # before 2.1 (and of tests).
    param([string]$Path, [string]$Key)
    if (-not $Key) { return $Path }
    $dir = Split-Path -Parent $Path
    $name = [System.IO.Path]::GetFileNameWithoutExtension($Path) + '.' + $Key + [System.IO.Path]::GetExtension($Path)
    if ($dir) { return (Join-Path $dir $name) }
    return $name
}

function Get-AgentSessionKeys {
    # The session keys that have a file beside $Path (spool.<key>.jsonl), plus '' when the
    # single-file layout is there.
    param([string]$Path)
    $keys = New-Object System.Collections.ArrayList
    $dir = Split-Path -Parent $Path
    if (-not $dir -or -not (Test-Path -LiteralPath $dir -PathType Container)) { return @() }
    $stem = [System.IO.Path]::GetFileNameWithoutExtension($Path) + '.'
    $ext = [System.IO.Path]::GetExtension($Path)
    foreach ($f in [System.IO.Directory]::GetFiles($dir)) {
        $name = [System.IO.Path]::GetFileName($f)
        if ($name -eq [System.IO.Path]::GetFileName($Path)) { [void]$keys.Add(''); continue }
        if ($name.StartsWith($stem) -and $name.EndsWith($ext) -and $name.Length -gt $stem.Length + $ext.Length) {
            [void]$keys.Add($name.Substring($stem.Length, $name.Length - $stem.Length - $ext.Length))
        }
    }
    return $keys.ToArray()
}

function Lock-AgentSession {
    # Holds <spool>.lock for as long as the agent runs, so another session's agent can tell
    # this spool is in use. $null when another process holds it.
    param([string]$SpoolPath)
    $dir = Split-Path -Parent $SpoolPath
    if ($dir -and -not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Path $dir -Force) }
    try {
        return [System.IO.File]::Open($SpoolPath + '.lock', 'OpenOrCreate', 'ReadWrite', 'None')
    } catch {
        return $null
    }
}

function Receive-AgentOrphans {
    # Spools and state files of sessions whose agent no longer runs (a previous logon, an agent
    # before 2.1) are taken over: their events appended to this session's spool, a run they
    # left open closed. Returns the closing events.
    param([string]$SpoolBase, [string]$StateBase, [string]$Key, [string]$SpoolPath)
    $closing = New-Object System.Collections.ArrayList
    $keys = @(@(Get-AgentSessionKeys -Path $SpoolBase) + @(Get-AgentSessionKeys -Path $StateBase) | Sort-Object -Unique)
    foreach ($k in $keys) {
        if ($k -eq $Key) { continue }
        $otherSpool = Get-AgentSessionPath -Path $SpoolBase -Key $k
        $lock = Lock-AgentSession -SpoolPath $otherSpool
        if ($null -eq $lock) { continue }
        try {
            if (Test-Path -LiteralPath $otherSpool -PathType Leaf) {
                $count = Copy-AgentSpoolTail -From $otherSpool -To $SpoolPath
                if ($count -gt 0) {
                    Write-AgentLog -Level INFO -Message ("took over {0} events from the spool of a session that ended ({1})" -f $count, $otherSpool)
                }
                Remove-Item -LiteralPath $otherSpool -Force
                Remove-Item -LiteralPath ($otherSpool + '.offset') -Force -ErrorAction SilentlyContinue
            }
            $otherState = Get-AgentSessionPath -Path $StateBase -Key $k
            foreach ($ev in @(Get-AgentRecoveryEvents -Path $otherState)) { [void]$closing.Add($ev) }
            if (Test-Path -LiteralPath $otherState -PathType Leaf) { Remove-Item -LiteralPath $otherState -Force }
        } catch {
            Write-AgentLog -Level WARN -Message ("could not take over the files of session {0}: {1}" -f $k, $_.Exception.Message)
        } finally {
            $lock.Dispose()
            Remove-Item -LiteralPath ($otherSpool + '.lock') -Force -ErrorAction SilentlyContinue
        }
    }
    return $closing.ToArray()
}

function Save-AgentPending {
    # Writes the events kept in memory to the spool (the spool first: nothing is sent that is not
    # on disk), then the state file, which never gets ahead of the spool: a crash while events
    # are only in memory still closes the run from the older state file. $true when all is kept.
    param([System.Collections.ArrayList]$Pending, [hashtable]$Settings, $State, [long]$MaxBytes)
    if ($Pending.Count -gt 0) {
        try {
            Add-AgentSpoolEvent -Path $Settings['SPOOL_PATH'] -Events $Pending.ToArray() -MaxBytes $MaxBytes
            if ($script:AgentSpoolFailures -gt 0) {
                Write-AgentLog -Level INFO -Message ("spool writable again; {0} events kept in memory are now in it" -f $Pending.Count)
            }
            $script:AgentSpoolFailures = 0
            $Pending.Clear()
        } catch {
            $script:AgentSpoolFailures++
            if ($script:AgentSpoolFailures -eq 1 -or ($script:AgentSpoolFailures % 60) -eq 0) {
                Write-AgentLog -Level ERROR -Message ("cannot write the spool {0} ({1}); {2} events kept in memory and retried every poll" -f $Settings['SPOOL_PATH'], $_.Exception.Message, $Pending.Count)
            }
            return $false
        }
    }
    try {
        Save-AgentStateFile -Path $Settings['STATE_PATH'] -State $State
    } catch {
        Write-AgentLog -Level ERROR -Message ("cannot write the state file: " + $_.Exception.Message)
    }
    return $true
}

function Test-AgentStopRequested {
    # The tests replace this to end the loop; the real agent runs until logoff.
    return $false
}

function Start-WorkTracingAgent {
    param(
        [string]$ScriptDir,
        [string]$ConfigPath,
        [int]$MaxPolls = 0
    )
    $mode = Get-AgentLanguageMode
    if ($mode -ne 'FullLanguage') {
        # AppLocker/WDAC: Add-Type and most .NET calls are blocked, so the idle time cannot be
        # read. Only cmdlets work here, so the log goes to its default place without config.env.
        $msg = ("work-tracing agent cannot run: PowerShell is in {0} mode here (AppLocker or WDAC), which blocks reading the idle time. Allow report.ps1 in the policy (sign it with a trusted certificate, or add a rule for its folder)." -f $mode)
        try {
            $logDir = Join-Path ([string]$env:LOCALAPPDATA) 'WorkTracing'
            if (-not (Test-Path -LiteralPath $logDir)) { [void](New-Item -ItemType Directory -Path $logDir -Force -ErrorAction Stop) }
            Add-Content -LiteralPath (Join-Path $logDir 'agent.log') -Value ((Get-AgentUtcNow).ToString('o') + ' ERROR ' + $msg) -ErrorAction Stop
        } catch {
            Write-Verbose ('log write failed: ' + $_.Exception.Message)
        }
        [void](Write-AgentEventLog -EntryType Error -EventId 4 -Message $msg)
        return 3
    }
    $config = Read-AgentConfig -ScriptDir $ScriptDir -ConfigPath $ConfigPath
    $s = $config.Settings
    $placed = Select-AgentWritablePaths -Settings $s -FallbackDir $config.FallbackDir
    if ($placed.Lost -contains 'LOG_PATH') {
        $script:AgentLogPath = $null
    } else {
        Initialize-AgentLog -Path $s['LOG_PATH'] -MaxBytes ([int]$s['LOG_MAX_KB'] * 1024) -Secrets @($s['AGENT_TOKEN'])
    }
    foreach ($note in $placed.Notes) { Write-AgentLog -Level WARN -Message $note }
    if ($placed.Lost -contains 'SPOOL_PATH') {
        # Without a spool nothing is ever sent: better a loud exit than hours of silence.
        $msg = 'work-tracing agent cannot start: no folder it can write for its spool. ' + ($placed.Notes -join ' ')
        Write-AgentLog -Level ERROR -Message $msg
        [void](Write-AgentEventLog -EntryType Error -EventId 2 -Message $msg)
        return 2
    }
    if ($placed.Lost -contains 'LOG_PATH') {
        [void](Write-AgentEventLog -EntryType Warning -EventId 3 -Message ('work-tracing agent runs without a log. ' + ($placed.Notes -join ' ')))
    }

    if (-not (Enter-AgentSingleInstance)) {
        Write-AgentLog -Level INFO -Message 'another agent already runs in this session; exiting'
        return 0
    }
    try {
        $user = Get-AgentUserName
        Write-AgentLog -Level INFO -Message ("work-tracing agent {0} starting for {1} (PowerShell {2})" -f $script:AgentVersion, $user, $PSVersionTable.PSVersion)
        if ($config.ConfigFound) {
            Write-AgentLog -Level INFO -Message ("configuration file: " + $config.ConfigPath)
        } else {
            Write-AgentLog -Level INFO -Message ("no configuration file at {0}; using environment variables and defaults" -f $config.ConfigPath)
        }
        foreach ($spec in $script:ConfigSpec) {
            $n = $spec.Name
            $v = $s[$n]
            if ($spec.Kind -eq 'secret') { if ($v) { $v = '(set)' } else { $v = '(not set)' } }
            Write-AgentLog -Level INFO -Message ("  {0} = {1} [{2}]" -f $n, $v, $config.Sources[$n])
        }
        foreach ($w in $config.Warnings) { Write-AgentLog -Level WARN -Message $w }
        foreach ($e in $config.Errors) { Write-AgentLog -Level ERROR -Message $e }

        Enable-AgentTls
        Enable-AgentProxy
        [void](Initialize-AgentIdleSource)
        $spoolMax = [long]([double]$s['SPOOL_MAX_MB'] * 1MB)

        $script:AgentDevice = Get-AgentDeviceName
        $key = Get-AgentSessionKey
        $spoolBase = $s['SPOOL_PATH']
        $stateBase = $s['STATE_PATH']
        $s['SPOOL_PATH'] = Get-AgentSessionPath -Path $spoolBase -Key $key
        $s['STATE_PATH'] = Get-AgentSessionPath -Path $stateBase -Key $key
        Write-AgentLog -Level INFO -Message ("device {0}; this session's spool {1}" -f $script:AgentDevice, $s['SPOOL_PATH'])

        # Events not yet on disk, oldest first: a failed spool write keeps them here and the
        # next poll tries again, so no event is lost while the state machine moves on.
        $pending = New-Object System.Collections.ArrayList
        foreach ($ev in @(Get-AgentRecoveryEvents -Path $s['STATE_PATH'])) { [void]$pending.Add($ev) }
        try {
            $script:AgentSpoolLock = Lock-AgentSession -SpoolPath $s['SPOOL_PATH']
            foreach ($ev in @(Receive-AgentOrphans -SpoolBase $spoolBase -StateBase $stateBase -Key $key -SpoolPath $s['SPOOL_PATH'])) { [void]$pending.Add($ev) }
        } catch {
            Write-AgentLog -Level WARN -Message ("could not look for spools of ended sessions: " + $_.Exception.Message)
        }

        if ($s['API_ENDPOINT']) {
            # Before the first send, so that even events spooled offline arrive on the server's clock.
            $asked = Get-AgentUtcNow
            $health = Invoke-AgentHttpGet -Uri (Get-AgentHealthUri -Endpoint $s['API_ENDPOINT']) -TimeoutSec ([int]$s['REQUEST_TIMEOUT_SECONDS'])
            Update-AgentClockOffset -ServerDate $health.Date -LocalNow (Get-AgentMidpoint -From $asked)
        }

        $state = New-AgentState -User $user
        $sender = New-AgentSender
        $polls = 0
        while ($true) {
            $now = Get-AgentUtcNow
            $elapsed = Get-AgentElapsedSeconds
            try {
                $idle = Get-AgentIdleMilliseconds
                $events = @(Step-AgentState -State $state -NowUtc $now -IdleMs $idle -Settings $s -Elapsed $elapsed)
                foreach ($ev in $events) {
                    [void]$pending.Add($ev)
                    Write-AgentLog -Level INFO -Message ("event {0} at {1}" -f $ev.state, $ev.ts)
                }
            } catch {
                Write-AgentLog -Level ERROR -Message ("poll failed: " + $_.Exception.Message + ' ' + $_.ScriptStackTrace)
            }
            [void](Save-AgentPending -Pending $pending -Settings $s -State $state -MaxBytes $spoolMax)
            try {
                [void](Invoke-AgentFlush -Sender $sender -Settings $s -NowUtc $now -Elapsed $elapsed)
            } catch {
                Write-AgentLog -Level ERROR -Message ("sending failed unexpectedly: " + $_.Exception.Message)
            }
            $polls++
            if ($MaxPolls -gt 0 -and $polls -ge $MaxPolls) { break }
            if (Test-AgentStopRequested) { break }
            # Time spent sending is not a clock jump: measure from here.
            $state.ExpectedNextPollUtc = (Get-AgentUtcNow).AddSeconds([double]$s['POLL_INTERVAL_SECONDS'])
            Invoke-AgentSleep -Seconds ([double]$s['POLL_INTERVAL_SECONDS'])
        }
        return 0
    } catch {
        Write-AgentLog -Level ERROR -Message ("agent stopped by an error: " + $_.Exception.Message + ' ' + $_.ScriptStackTrace)
        return 1
    } finally {
        if ($null -ne $script:AgentSpoolLock) {
            $script:AgentSpoolLock.Dispose()
            $script:AgentSpoolLock = $null
        }
        Exit-AgentSingleInstance
    }
}

# Run only when invoked as a script, not when dot-sourced (the tests dot-source it).
if ($MyInvocation.InvocationName -ne '.') {
    $rc = Start-WorkTracingAgent -ScriptDir $PSScriptRoot -ConfigPath $ConfigPath
    exit $rc
}
