#!/usr/bin/env bash
# Runs before `npm start` and `npm test`: installs what is missing (host packages, npm packages,
# the Asterisk root) and compiles. Each step is skipped when already done, so it is quick the
# second time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ACD_REPO"

embedded=1
[ -n "${ARI_URL:-}" ] && [ -n "${REDIS_URL:-}" ] && embedded=0

if [ "$embedded" = 1 ] || [ "${npm_lifecycle_event:-}" = pretest ]; then
  require_root
  bash scripts/install-host.sh
  bash scripts/asterisk-root.sh >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed (is the npm registry reachable?)"
fi

say "compiling TypeScript"
npx --no-install tsc -p . || die "TypeScript compile failed"

# the browser app (web/), served by the controller at /: rebuilt when its sources or packages changed
if [ ! -f dist/web/index.html ] || [ package-lock.json -nt dist/web/index.html ] || [ -n "$(find web -newer dist/web/index.html -print -quit)" ]; then
  say "building the web app"
  npm run --silent build:web || die "web app build failed"
fi
