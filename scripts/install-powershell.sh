#!/usr/bin/env bash
# Installs the Windows agent's test toolchain: PowerShell 7 (a .NET global tool from NuGet) and
# Pester 5 (restored from NuGet through a throwaway project). Idempotent: a second run only
# checks what is there. Prints the path of pwsh as its last line; the Pester module folder is
# <cache>/modules (put it on PSModulePath, as scripts/test-agent.sh does).
#
#   WORK_TRACING_TOOLS_DIR  cache folder (default ~/.cache/work-tracing/pwsh)
set -euo pipefail

PWSH_VERSION="7.6.9"
PESTER_VERSION="5.7.1"
cache="${WORK_TRACING_TOOLS_DIR:-${HOME}/.cache/work-tracing/pwsh}"
tools="$cache/tool"
modules="$cache/modules"
pwsh="$tools/pwsh"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '%s\n' "$*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  log "install-powershell: dotnet SDK not found on PATH (needed to install PowerShell from NuGet)"
  exit 1
fi

mkdir -p "$cache" "$modules"

# --- PowerShell -------------------------------------------------------------------------------
have_version=""
if [ -x "$pwsh" ]; then
  have_version=$("$pwsh" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null || true)
fi
if [ "$have_version" != "$PWSH_VERSION" ]; then
  log "install-powershell: installing PowerShell $PWSH_VERSION into $tools"
  if [ -n "$have_version" ]; then
    dotnet tool uninstall PowerShell --tool-path "$tools" >&2 || true
  fi
  dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path "$tools" >&2
  have_version=$("$pwsh" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()')
  if [ "$have_version" != "$PWSH_VERSION" ]; then
    log "install-powershell: expected PowerShell $PWSH_VERSION, got '$have_version'"
    exit 1
  fi
fi

# --- Pester -----------------------------------------------------------------------------------
pester_dir="$modules/Pester/$PESTER_VERSION"
if [ ! -f "$pester_dir/Pester.psd1" ]; then
  log "install-powershell: restoring Pester $PESTER_VERSION from NuGet"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cat >"$work/restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$PESTER_VERSION]" />
  </ItemGroup>
</Project>
EOF
  dotnet restore "$work/restore.csproj" --nologo -v quiet >&2
  src="$work/packages/pester/$PESTER_VERSION"
  # The NuGet package keeps the module under tools/ (older layouts put it at the root).
  if [ -f "$src/tools/Pester.psd1" ]; then src="$src/tools"; fi
  if [ ! -f "$src/Pester.psd1" ]; then
    log "install-powershell: Pester.psd1 not found in the restored package ($src)"
    exit 1
  fi
  rm -rf "$pester_dir"
  mkdir -p "$pester_dir"
  cp -R "$src/." "$pester_dir/"
fi

printf '%s\n' "$pwsh"
