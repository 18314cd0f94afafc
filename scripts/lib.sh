# Shared helpers for the local environment scripts. Sourced, never run.
# Every failure goes through `die` so a newcomer sees one clear line, not a trace.

ACD_ASTERISK_VERSION_KEY="${ACD_ASTERISK_VERSION_KEY:-22}"
ACD_CACHE_DIR="${ACD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/acd}"
ACD_ROOT="${ACD_ASTERISK_ROOT:-$ACD_CACHE_DIR/asterisk-$ACD_ASTERISK_VERSION_KEY-sid}"
ACD_ROOT_MARKER="$ACD_ROOT/.acd-root-complete"
ACD_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '[acd-env] %s\n' "$*" >&2; }
die() { printf '[acd-env] error: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and apt need it); try: sudo $0 $*"
}

# Free space in MiB on the filesystem holding $1 (or its nearest existing parent).
free_mib() {
  local p="$1"
  while [ ! -e "$p" ]; do p="$(dirname "$p")"; done
  df -Pm "$p" | awk 'NR==2 {print $4}'
}

require_free_mib() {
  local need="$1" where="$2" have
  have="$(free_mib "$where")"
  [ "$have" -ge "$need" ] || die "not enough disk: $where has ${have} MiB free, need ${need} MiB"
}

port_in_use() {
  local port="$1" proto="${2:-tcp}"
  if [ "$proto" = udp ]; then ss -Hlun "sport = :$port" | grep -q . ; else ss -Hltn "sport = :$port" | grep -q . ; fi
}
