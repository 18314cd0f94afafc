#!/usr/bin/env bash
# Prepares (once) a Debian sid root holding Asterisk 22, cached outside the clone.
# Debian 12 has no asterisk package and installing sid's into the host would pull a new libc,
# so Asterisk lives in its own root and runs under chroot. Prints the root's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root

if [ -f "$ACD_ROOT_MARKER" ]; then echo "$ACD_ROOT"; exit 0; fi

command -v debootstrap >/dev/null || bash "$(dirname "$0")/install-host.sh"

# The mirror is whatever this machine's apt already uses: never a host name written in code.
mirror="$(grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)"
if [ -z "$mirror" ]; then
  mirror="$(grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)"
fi
[ -n "$mirror" ] || die "found no Debian mirror in /etc/apt/sources.list{,.d}; set one up for apt first"

if [ -e "$ACD_ROOT" ]; then
  say "found an incomplete Asterisk root at $ACD_ROOT (no completion marker): rebuilding it"
  rm -rf --one-file-system "$ACD_ROOT"
fi
mkdir -p "$(dirname "$ACD_ROOT")"
require_free_mib 1200 "$ACD_ROOT"

tmp="$ACD_ROOT.partial"
rm -rf --one-file-system "$tmp"
say "building a Debian sid root with Asterisk 22 in $ACD_ROOT from $mirror (about a minute, once)"
if ! debootstrap --variant=minbase \
      --include=asterisk,asterisk-modules,asterisk-moh-opsound-wav,asterisk-core-sounds-en-gsm \
      sid "$tmp" "$mirror" >"$ACD_CACHE_DIR/debootstrap.log" 2>&1; then
  tail -n 5 "$ACD_CACHE_DIR/debootstrap.log" >&2 || true
  rm -rf --one-file-system "$tmp"
  die "debootstrap failed (mirror unreachable or disk full?); full log: $ACD_CACHE_DIR/debootstrap.log"
fi

# Without /etc/hosts every new call leg blocks a PJSIP thread on DNS look-ups for seconds.
printf '127.0.0.1 localhost %s\n::1 localhost ip6-localhost\n' "$(hostname)" >"$tmp/etc/hosts"
chroot "$tmp" asterisk -V >/dev/null || die "the built root cannot run asterisk -V"
rm -rf "$tmp/var/cache/apt/archives/"*.deb
mv "$tmp" "$ACD_ROOT"
chroot "$ACD_ROOT" asterisk -V >"$ACD_ROOT_MARKER"
say "Asterisk root ready: $(cat "$ACD_ROOT_MARKER")"
echo "$ACD_ROOT"
