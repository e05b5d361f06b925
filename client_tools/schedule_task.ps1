<#
.SYNOPSIS
    Registers (or with -Uninstall removes) the scheduled task that starts the work-tracing agent
    at every user's logon, hidden, in that user's own session.

.DESCRIPTION
    The task runs for the Users group (SID S-1-5-32-545, so it works on any Windows language),
    with the limited run level, no execution time limit, on battery too, restarting on failure.
    It starts run_hidden.vbs, which starts report.ps1 with Windows PowerShell and no window.
    Must run elevated (as an administrator).

.PARAMETER ScriptPath
    Full path of report.ps1 (default: the one beside this script). run_hidden.vbs must be in
    the same folder.

.PARAMETER TaskName
    Name of the task (default WorkTracingAgent).

.PARAMETER Uninstall
    Remove the task instead of registering it.

.EXAMPLE
    .\schedule_task.ps1 -ScriptPath "C:\Program Files\WorkTracing\report.ps1"
.EXAMPLE
    .\schedule_task.ps1 -Uninstall
#>
[CmdletBinding()]
param(
    [string]$ScriptPath,
    [string]$TaskName = 'WorkTracingAgent',
    [switch]$Uninstall
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

function Test-Elevated {
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
}

if (-not (Test-Elevated)) {
    Write-Host 'schedule_task.ps1 must run elevated: open PowerShell with "Run as administrator" and run it again.' -ForegroundColor Red
    exit 1
}

if ($Uninstall) {
    $existing = Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
    if ($null -eq $existing) {
        Write-Host "No scheduled task named '$TaskName'; nothing to remove."
        exit 0
    }
    Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
    Write-Host "Removed the scheduled task '$TaskName'. Agents already running stop at the next logoff;"
    Write-Host 'each user''s spool and log stay in %LOCALAPPDATA%\WorkTracing until deleted.'
    exit 0
}

if (-not $ScriptPath) { $ScriptPath = Join-Path $PSScriptRoot 'report.ps1' }
$ScriptPath = [System.IO.Path]::GetFullPath($ScriptPath)
if (-not (Test-Path -LiteralPath $ScriptPath -PathType Leaf)) {
    Write-Host "report.ps1 not found at $ScriptPath" -ForegroundColor Red
    exit 1
}
$folder = Split-Path -Parent $ScriptPath
$vbs = Join-Path $folder 'run_hidden.vbs'
if (-not (Test-Path -LiteralPath $vbs -PathType Leaf)) {
    Write-Host "run_hidden.vbs not found beside report.ps1 (expected $vbs)" -ForegroundColor Red
    exit 1
}
if (-not (Test-Path -LiteralPath (Join-Path $folder 'config.env'))) {
    Write-Host "Note: no config.env in $folder; the agent will need API_ENDPOINT and AGENT_TOKEN as environment variables." -ForegroundColor Yellow
}

$wscript = Join-Path $env:SystemRoot 'System32\wscript.exe'
$action = New-ScheduledTaskAction -Execute $wscript -Argument ('//B //NoLogo "{0}" "{1}"' -f $vbs, $ScriptPath) -WorkingDirectory $folder
$trigger = New-ScheduledTaskTrigger -AtLogOn
# The Users group by SID: every user who logs on gets the agent in their own session.
$principal = New-ScheduledTaskPrincipal -GroupId 'S-1-5-32-545' -RunLevel Limited
$settings = New-ScheduledTaskSettingsSet `
    -ExecutionTimeLimit ([TimeSpan]::Zero) `
    -AllowStartIfOnBatteries `
    -DontStopIfGoingOnBatteries `
    -RestartCount 999 `
    -RestartInterval (New-TimeSpan -Minutes 1) `
    -StartWhenAvailable `
    -MultipleInstances Parallel

$task = New-ScheduledTask -Action $action -Trigger $trigger -Principal $principal -Settings $settings `
    -Description 'work-tracing agent: reports keyboard/mouse activity of the signed-in user (client_tools/README.md).'
Register-ScheduledTask -TaskName $TaskName -InputObject $task -Force | Out-Null

Write-Host "Registered the scheduled task '$TaskName': at every logon it runs"
Write-Host "  $wscript //B //NoLogo `"$vbs`" `"$ScriptPath`""
Write-Host 'It starts for users who log on from now on; sign out and in again (or run the task) to start it now.'
Write-Host 'Each user''s log: %LOCALAPPDATA%\WorkTracing\agent.log'
exit 0
