#!/usr/bin/env bash
# Fails when a module imports itself through others (type-only imports count: they couple too).
# web/ is not checked yet: its pages import useSession from App.tsx, which imports the pages.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install madge --circular --no-spinner --extensions ts,tsx --ts-config tsconfig.json src test bench
