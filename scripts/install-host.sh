#!/usr/bin/env bash
# Installs what the local environment needs on the host, and nothing already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v sipp >/dev/null || missing+=(sip-tester)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v ss >/dev/null || missing+=(iproute2)
command -v sox >/dev/null || missing+=(sox)
command -v curl >/dev/null || missing+=(curl)
command -v redis-cli >/dev/null || missing+=(redis-tools)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
# the browser tests drive Debian's Chromium (never a downloaded browser); only `npm test` needs it
if [ "${npm_lifecycle_event:-}" = pretest ]; then [ -x /usr/bin/chromium ] || missing+=(chromium); fi
[ ${#missing[@]} -eq 0 ] && exit 0

say "installing host packages with apt: ${missing[*]}"
require_free_mib 200 /var/cache/apt
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/tmp/acd-apt-update.log 2>&1 \
  || die "apt-get update failed (is the Debian mirror reachable?); see /tmp/acd-apt-update.log"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/acd-apt-install.log 2>&1 \
  || die "apt-get install ${missing[*]} failed; see /tmp/acd-apt-install.log"
say "installed: ${missing[*]}"
