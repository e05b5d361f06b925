#!/usr/bin/env bash
# Runs the Windows agent's tests (tests/agent/*.Tests.ps1) with Pester 5 under PowerShell 7,
# installing both first (scripts/install-powershell.sh). Exits non-zero when a test fails and
# ends with a line "N passed, N failed".
#   scripts/test-agent.sh [path-or-filter ...]   (default: tests/agent)
set -euo pipefail
cd "$(dirname "$0")/.."

pwsh=$(bash scripts/install-powershell.sh | tail -n 1)
cache="${WORK_TRACING_TOOLS_DIR:-${HOME}/.cache/work-tracing/pwsh}"
export PSModulePath="$cache/modules"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off

paths=("$@")
if [ ${#paths[@]} -eq 0 ]; then paths=(tests/agent); fi
list=$(printf "'%s'," "${paths[@]}"); list="${list%,}"

exec "$pwsh" -NoLogo -NoProfile -NonInteractive -Command "
\$ErrorActionPreference = 'Stop'
Import-Module Pester -RequiredVersion 5.7.1
\$c = New-PesterConfiguration
\$c.Run.Path = @($list)
\$c.Run.PassThru = \$true
\$c.Output.Verbosity = if (\$env:CI) { 'Normal' } else { 'Detailed' }
\$c.Output.RenderMode = if (\$env:CI) { 'Plaintext' } else { 'Auto' }
\$r = Invoke-Pester -Configuration \$c
\$failed = \$r.FailedCount + \$r.FailedBlocksCount + \$r.FailedContainersCount
Write-Host ('{0} passed, {1} failed' -f \$r.PassedCount, \$failed)
if (\$failed -gt 0 -or \$r.Result -ne 'Passed') { exit 1 }
exit 0
"
