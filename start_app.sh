#!/usr/bin/env bash
# The original entry point, kept: ./start_app.sh [dev|prod|test]. A thin wrapper over npm.
set -euo pipefail
cd "$(dirname "$0")"
# Native modules build against the system's Node headers where Debian's nodejs-dev put them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

# Install when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

case "${1:-dev}" in
  dev|development) exec npm run dev ;;
  prod|production) npm run build && exec npm start ;;
  test) exec npm test ;;
  *) echo "usage: ./start_app.sh [dev|prod|test]" >&2; exit 2 ;;
esac
