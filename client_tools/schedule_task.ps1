<#
.SYNOPSIS
    Installs the work-tracing agent for every user of this PC (or with -Uninstall removes it).

.DESCRIPTION
    Install: copies report.ps1, run_hidden.vbs, schedule_task.ps1 and config.env (or
    config.env.example) to %ProgramFiles%\work-tracing (the 64-bit folder, even from a 32-bit
    host such as the Intune management extension), registers the Event Log source
    "work-tracing", and registers the scheduled task for the Users group (SID S-1-5-32-545, so
    it works on any Windows language). The task starts the agent hidden at every logon, on
    session unlock and on console or Remote Desktop connect (so users already signed in when it
    is installed, and an agent that crashed, come back; the agent's mutex makes a second start
    in a session exit at once), with no execution time limit, on battery too, restarting on
    failure. Running it again upgrades in place and keeps an installed config.env unless one
    sits beside this script.

    Uninstall: stops running agents, removes the task, the installed folder and the Event Log
    source; with -RemoveUserData also each user's %LOCALAPPDATA%\WorkTracing (spool, state,
    log: events not yet delivered are lost).

    Must run elevated (as an administrator, or as SYSTEM).

.PARAMETER ScriptPath
    The report.ps1 to install (default: the one beside this script). run_hidden.vbs and
    config.env are taken from its folder.

.PARAMETER Launcher
    How the task starts PowerShell without a window: conhost (conhost.exe --headless, no
    VBScript; Windows 10 1809 / Server 2019 and later), vbs (wscript.exe run_hidden.vbs) or auto
    (default: conhost where the build supports it, otherwise vbs).

.PARAMETER TaskName
    Name of the task (default WorkTracingAgent).

.PARAMETER Uninstall
    Remove the agent instead of installing it.

.PARAMETER RemoveUserData
    With -Uninstall: also delete every user's %LOCALAPPDATA%\WorkTracing.

.EXAMPLE
    .\schedule_task.ps1
.EXAMPLE
    .\schedule_task.ps1 -Uninstall -RemoveUserData
#>
[CmdletBinding()]
param(
    [string]$ScriptPath,
    [ValidateSet('auto', 'conhost', 'vbs')][string]$Launcher = 'auto',
    [string]$TaskName = 'WorkTracingAgent',
    [switch]$Uninstall,
    [switch]$RemoveUserData
)

Set-StrictMode -Version 2.0

$script:EventSource = 'work-tracing'
$script:UsersSid = 'S-1-5-32-545'
# The task schema allows at most 255 restarts.
$script:RestartCount = 255
# Session state changes (MSFT_TaskSessionStateChangeTrigger.StateChange).
$script:ConsoleConnect = 1
$script:RemoteConnect = 3
$script:SessionUnlock = 8

# ------------------------------------------------------------------------------------------------
# Windows-only seams; the tests replace them (and the ScheduledTasks / EventLog cmdlets).
# ------------------------------------------------------------------------------------------------

function Test-WorkTracingElevated {
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Get-WorkTracingOsBuild {
    return [System.Environment]::OSVersion.Version.Build
}

function Test-WorkTracingEventSource {
    return [System.Diagnostics.EventLog]::SourceExists($script:EventSource)
}

function New-WorkTracingSessionTrigger {
    # New-ScheduledTaskTrigger has no session-state triggers; the CIM class behind it does.
    param([int]$StateChange)
    $class = Get-CimClass -ClassName MSFT_TaskSessionStateChangeTrigger -Namespace 'Root/Microsoft/Windows/TaskScheduler'
    $trigger = New-CimInstance -CimClass $class -ClientOnly
    $trigger.StateChange = $StateChange
    $trigger.Enabled = $true
    return $trigger
}

function Get-WorkTracingAgentProcesses {
    # Running agents started from $InstallDir, in any session.
    param([string]$InstallDir)
    $needle = (Join-Path $InstallDir 'report.ps1').ToLowerInvariant()
    return @(Get-CimInstance -ClassName Win32_Process -Filter "Name = 'powershell.exe' OR Name = 'pwsh.exe'" |
            Where-Object { $_.CommandLine -and $_.CommandLine.ToLowerInvariant().Contains($needle) } |
            ForEach-Object { $_.ProcessId })
}

function Get-WorkTracingProfileFolders {
    # Every local user profile's folder (not the system accounts').
    return @(Get-CimInstance -ClassName Win32_UserProfile | Where-Object { -not $_.Special -and $_.LocalPath } |
            ForEach-Object { $_.LocalPath })
}

# ------------------------------------------------------------------------------------------------

function Get-WorkTracingInstallDir {
    # A 32-bit host sees Program Files (x86) as $env:ProgramFiles; ProgramW6432 is the real one.
    $root = $env:ProgramW6432
    if (-not $root) { $root = $env:ProgramFiles }
    return (Join-Path $root 'work-tracing')
}

function Get-WorkTracingAction {
    # Execute and Argument of the task's action.
    param([string]$InstallDir, [string]$Launcher)
    $report = Join-Path $InstallDir 'report.ps1'
    $system32 = [string]$env:SystemRoot + '\System32'
    if ($Launcher -eq 'vbs') {
        return @{
            Execute  = $system32 + '\wscript.exe'
            Argument = ('//B //NoLogo "{0}" "{1}"' -f (Join-Path $InstallDir 'run_hidden.vbs'), $report)
        }
    }
    $powershell = $system32 + '\WindowsPowerShell\v1.0\powershell.exe'
    return @{
        Execute  = $system32 + '\conhost.exe'
        Argument = ('--headless "{0}" -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File "{1}"' -f $powershell, $report)
    }
}

function Install-WorkTracing {
    param([string]$ScriptPath, [string]$Launcher, [string]$TaskName)
    if (-not $ScriptPath) { $ScriptPath = Join-Path $PSScriptRoot 'report.ps1' }
    $ScriptPath = [System.IO.Path]::GetFullPath($ScriptPath)
    if (-not (Test-Path -LiteralPath $ScriptPath -PathType Leaf)) {
        Write-Host "report.ps1 not found at $ScriptPath" -ForegroundColor Red
        return 1
    }
    $source = Split-Path -Parent $ScriptPath
    $installDir = Get-WorkTracingInstallDir
    if ($Launcher -eq 'auto') {
        $Launcher = 'vbs'
        if ((Get-WorkTracingOsBuild) -ge 17763) { $Launcher = 'conhost' }
    }

    if (-not (Test-Path -LiteralPath $installDir)) { [void](New-Item -ItemType Directory -Path $installDir -Force) }
    $sameFolder = [string]::Equals([System.IO.Path]::GetFullPath($source).TrimEnd('\', '/'), [System.IO.Path]::GetFullPath($installDir).TrimEnd('\', '/'), [System.StringComparison]::OrdinalIgnoreCase)
    if (-not $sameFolder) {
        Copy-Item -LiteralPath $ScriptPath -Destination (Join-Path $installDir 'report.ps1') -Force
        foreach ($name in 'run_hidden.vbs', 'schedule_task.ps1', 'config.env.example', 'README.md') {
            $file = Join-Path $source $name
            if (Test-Path -LiteralPath $file -PathType Leaf) { Copy-Item -LiteralPath $file -Destination (Join-Path $installDir $name) -Force }
        }
        # An upgrade without a config.env keeps the installed one.
        $config = Join-Path $source 'config.env'
        if (Test-Path -LiteralPath $config -PathType Leaf) { Copy-Item -LiteralPath $config -Destination (Join-Path $installDir 'config.env') -Force }
    }
    if ($Launcher -eq 'vbs' -and -not (Test-Path -LiteralPath (Join-Path $installDir 'run_hidden.vbs') -PathType Leaf)) {
        Write-Host "run_hidden.vbs not found beside $ScriptPath" -ForegroundColor Red
        return 1
    }
    if (-not (Test-Path -LiteralPath (Join-Path $installDir 'config.env'))) {
        Write-Host "Note: no config.env in $installDir; the agent will need API_ENDPOINT and AGENT_TOKEN as environment variables." -ForegroundColor Yellow
    }

    if (-not (Test-WorkTracingEventSource)) {
        New-EventLog -LogName Application -Source $script:EventSource
    }

    $a = Get-WorkTracingAction -InstallDir $installDir -Launcher $Launcher
    $action = New-ScheduledTaskAction -Execute $a.Execute -Argument $a.Argument -WorkingDirectory $installDir
    $triggers = @(
        (New-ScheduledTaskTrigger -AtLogOn)
        (New-WorkTracingSessionTrigger -StateChange $script:SessionUnlock)
        (New-WorkTracingSessionTrigger -StateChange $script:ConsoleConnect)
        (New-WorkTracingSessionTrigger -StateChange $script:RemoteConnect)
    )
    $principal = New-ScheduledTaskPrincipal -GroupId $script:UsersSid -RunLevel Limited
    # Parallel: the instances are per user; a second start in one session exits on the mutex.
    $settings = New-ScheduledTaskSettingsSet `
        -ExecutionTimeLimit ([TimeSpan]::Zero) `
        -AllowStartIfOnBatteries `
        -DontStopIfGoingOnBatteries `
        -RestartCount $script:RestartCount `
        -RestartInterval (New-TimeSpan -Minutes 1) `
        -StartWhenAvailable `
        -MultipleInstances Parallel
    $task = New-ScheduledTask -Action $action -Trigger $triggers -Principal $principal -Settings $settings `
        -Description 'work-tracing agent: reports keyboard/mouse activity of the signed-in user (README.md in this folder).'
    Register-ScheduledTask -TaskName $TaskName -InputObject $task -Force | Out-Null

    Write-Host "Installed the agent in $installDir and registered the task '$TaskName'. It runs"
    Write-Host ('  {0} {1}' -f $a.Execute, $a.Argument)
    Write-Host 'at every logon, unlock and connect of any user; signed-in users get it at their next unlock or sign-in.'
    Write-Host 'Each user''s log: %LOCALAPPDATA%\WorkTracing\agent.log'
    return 0
}

function Uninstall-WorkTracing {
    param([string]$TaskName, [switch]$RemoveUserData)
    $installDir = Get-WorkTracingInstallDir
    $existing = Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
    if ($null -ne $existing) {
        Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
        Write-Host "Removed the scheduled task '$TaskName'."
    } else {
        Write-Host "No scheduled task named '$TaskName'."
    }
    # Stopping the task does not reach agents it started in other sessions.
    foreach ($id in @(Get-WorkTracingAgentProcesses -InstallDir $installDir)) {
        Stop-Process -Id $id -Force -ErrorAction SilentlyContinue
    }
    if (Test-Path -LiteralPath $installDir) {
        Remove-Item -LiteralPath $installDir -Recurse -Force
        Write-Host "Removed $installDir."
    }
    if (Test-WorkTracingEventSource) {
        Remove-EventLog -Source $script:EventSource
    }
    if ($RemoveUserData) {
        foreach ($profileDir in @(Get-WorkTracingProfileFolders)) {
            $data = Join-Path (Join-Path (Join-Path $profileDir 'AppData') 'Local') 'WorkTracing'
            if (Test-Path -LiteralPath $data) {
                Remove-Item -LiteralPath $data -Recurse -Force -ErrorAction Continue
                Write-Host "Removed $data."
            }
        }
    } else {
        Write-Host 'Each user''s spool and log stay in %LOCALAPPDATA%\WorkTracing (-RemoveUserData deletes them).'
    }
    return 0
}

function Invoke-WorkTracingSetup {
    param([string]$ScriptPath, [string]$Launcher = 'auto', [string]$TaskName = 'WorkTracingAgent', [switch]$Uninstall, [switch]$RemoveUserData)
    $ErrorActionPreference = 'Stop'
    if (-not (Test-WorkTracingElevated)) {
        Write-Host 'schedule_task.ps1 must run elevated: open PowerShell with "Run as administrator" and run it again.' -ForegroundColor Red
        return 1
    }
    if ($Uninstall) { return (Uninstall-WorkTracing -TaskName $TaskName -RemoveUserData:$RemoveUserData) }
    return (Install-WorkTracing -ScriptPath $ScriptPath -Launcher $Launcher -TaskName $TaskName)
}

# Run only when invoked as a script, not when dot-sourced (the tests dot-source it).
if ($MyInvocation.InvocationName -ne '.') {
    $rc = @(Invoke-WorkTracingSetup -ScriptPath $ScriptPath -Launcher $Launcher -TaskName $TaskName -Uninstall:$Uninstall -RemoveUserData:$RemoveUserData)
    exit ([int]$rc[-1])
}
