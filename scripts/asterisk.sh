#!/usr/bin/env bash
# Local Asterisk 22: start | stop | status | cli "<command>"
#
#   ACD_ASTERISK_INSTANCE  name of the instance (default: default); one folder and pid each
#   ACD_SIP_PORT           SIP/UDP port on 127.0.0.1          (default 5060)
#   ACD_ARI_PORT           ARI HTTP port on 127.0.0.1         (default 8088)
#   ACD_RTP_START/END      RTP port range                     (default 10000-20000)
#   ARI_USER/ARI_PASSWORD  ARI credentials (user is always acd). Without ARI_PASSWORD the instance
#                          generates one on its first start and keeps it (`secret ari` prints it):
#                          no password is a constant of the repository.
#   ACD_AMI_PORT           AMI port on 127.0.0.1              (default: the ARI port + 1); AMI_PASSWORD (default: the ARI password)
#   ACD_SYSTEM_NAME        Asterisk's systemname (default: none): prefixes its channel ids, which must be
#                          unique across the Asterisks of controllers sharing one Redis (a caller's
#                          channel id is its call id); letters, digits, '_' and '-'
#
# The repo's asterisk-config/ and dialplan/ are copied unchanged into the instance's etc folder;
# only the ports and the secrets are written beside them (acd-local/, acd-secrets/).
#
# The local environment also gets a SIP account standing in for the public network, `pstn`
# (password generated like the ARI one, `secret pstn`): the embedded default dials callback
# customers as PJSIP/<number>@pstn, so a softphone registered as pstn answers them. Never in docker/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

instance="${ACD_ASTERISK_INSTANCE:-default}"
sip_port="${ACD_SIP_PORT:-5060}"
ari_port="${ACD_ARI_PORT:-8088}"
rtp_start="${ACD_RTP_START:-10000}"
rtp_end="${ACD_RTP_END:-20000}"
ami_port="${ACD_AMI_PORT:-$((ari_port + 1))}"

inner="/var/lib/acd-instances/$instance"        # path as Asterisk sees it, inside the root
dir="$ACD_ROOT$inner"
pidfile="$dir/run/asterisk.pid"
secrets="$dir/secrets"                           # outside etc/, which every start renders afresh

# A secret of this instance: made once (random), then the same on every start, so that a
# controller restarted against a still-running Asterisk, or a registered softphone, keeps working.
instance_secret() {
  local name="$1" file="$secrets/$1"
  if [ ! -s "$file" ]; then
    mkdir -p "$secrets"; chmod 700 "$secrets"
    ( umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$file" )
  fi
  cat "$file"
}
# lazily: the root (and so the instance folder) may not exist yet when `root` is asked for
ari_password() { if [ -n "${ARI_PASSWORD:-}" ]; then echo "$ARI_PASSWORD"; else instance_secret ari; fi; }

ast() { chroot "$ACD_ROOT" asterisk -C "$inner/etc/asterisk.conf" "$@"; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q asterisk "/proc/$pid/comm" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

ari_ready() {
  curl -fsS -m 2 -u "acd:$(ari_password)" "http://127.0.0.1:$ari_port/ari/asterisk/info" >/dev/null 2>&1
}

render_instance() {
  mkdir -p "$dir"/{etc,run,spool/recording,log,db,cache}   # ARI records into spool/recording
  rm -rf "$dir/etc"; mkdir -p "$dir/etc/acd-local" "$dir/etc/acd-secrets"
  cp "$ACD_REPO"/asterisk-config/*.conf "$ACD_REPO"/dialplan/*.conf "$dir/etc/"
  if [ -n "${ACD_SYSTEM_NAME:-}" ]; then
    [[ "$ACD_SYSTEM_NAME" =~ ^[A-Za-z0-9_-]+$ ]] || die "ACD_SYSTEM_NAME: letters, digits, '_' and '-' only"
    sed -i "s/^\[options\]\$/[options]\nsystemname = $ACD_SYSTEM_NAME/" "$dir/etc/asterisk.conf"
  fi
  cat >>"$dir/etc/asterisk.conf" <<CONF

[directories]
astetcdir => $inner/etc
astrundir => $inner/run
astspooldir => $inner/spool
astlogdir => $inner/log
astdbdir => $inner/db
astcachedir => $inner/cache
astvarlibdir => /var/lib/asterisk
astdatadir => /usr/share/asterisk
astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules
CONF
  printf 'bindaddr = 127.0.0.1\nbindport = %s\n' "$ari_port" >"$dir/etc/acd-local/http.conf"
  printf 'rtpstart = %s\nrtpend = %s\n' "$rtp_start" "$rtp_end" >"$dir/etc/acd-local/rtp.conf"
  printf '[transport-udp](+)\nbind = 127.0.0.1:%s\n' "$sip_port" >"$dir/etc/acd-local/pjsip.conf"
  printf 'password = %s\n' "$(ari_password)" >"$dir/etc/acd-secrets/ari-password.conf"
  chmod 600 "$dir/etc/acd-secrets/ari-password.conf"
  # the public network's stand-in: one registering SIP account; calls to PJSIP/<number>@pstn ring it
  cat >>"$dir/etc/acd-local/pjsip.conf" <<CONF

[pstn](acd-media)
type = endpoint
context = acd-inbound
allow_transfer = no
aors = pstn
auth = pstn
callerid = "Public network" <pstn>

[pstn]
type = aor
max_contacts = 1
remove_existing = yes

[pstn]
type = auth
auth_type = digest
username = pstn
password = $(instance_secret pstn)
CONF
  chmod 600 "$dir/etc/acd-local/pjsip.conf"
  printf 'port = %s\n' "$ami_port" >"$dir/etc/acd-local/manager.conf"
  printf 'secret = %s\n' "${AMI_PASSWORD:-$(ari_password)}" >"$dir/etc/acd-secrets/ami-password.conf"
  chmod 600 "$dir/etc/acd-secrets/ami-password.conf"
}

start() {
  require_root
  [ -f "$ACD_ROOT_MARKER" ] || bash "$(dirname "$0")/asterisk-root.sh" >/dev/null
  if pid="$(running_pid)"; then
    if ari_ready; then say "Asterisk ($instance) already running, pid $pid, ARI on :$ari_port"; return 0; fi
    say "Asterisk ($instance) pid $pid runs but ARI does not answer on :$ari_port: restarting it"
    stop
  fi
  rm -f "$pidfile" "$dir/run/asterisk.ctl"           # stale after a crash
  port_in_use "$ari_port" tcp && die "port $ari_port/tcp (ARI) is taken by another program: set ACD_ARI_PORT"
  port_in_use "$ami_port" tcp && die "port $ami_port/tcp (AMI) is taken by another program: set ACD_AMI_PORT"
  port_in_use "$sip_port" udp && die "port $sip_port/udp (SIP) is taken by another program: set ACD_SIP_PORT"
  require_free_mib 100 "$ACD_ROOT"
  render_instance
  # Foreground under nohup (-f) so the pid we record is Asterisk's own; no -U/-G: with
  # -U root Asterisk drops capabilities and cannot create its astdb.
  nohup chroot "$ACD_ROOT" asterisk -f -C "$inner/etc/asterisk.conf" >"$dir/log/console.log" 2>&1 &
  echo $! >"$dir/run/launcher.pid"
  for _ in $(seq 1 150); do
    if ari_ready; then say "Asterisk ($instance) up: SIP 127.0.0.1:$sip_port/udp, ARI http://127.0.0.1:$ari_port"; return 0; fi
    kill -0 "$(cat "$dir/run/launcher.pid")" 2>/dev/null || { tail -n 20 "$dir/log/console.log" >&2; die "Asterisk ($instance) exited during start; log: $dir/log/console.log"; }
    sleep 0.2
  done
  die "Asterisk ($instance) did not answer on ARI :$ari_port within 30 s; log: $dir/log/console.log"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    pid="$(cat "$dir/run/launcher.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "Asterisk ($instance) is not running"; return 0; }
  fi
  # bounded: a wedged Asterisk may never answer its console
  timeout 10 chroot "$ACD_ROOT" asterisk -C "$inner/etc/asterisk.conf" -rx 'core stop now' >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -9 "$pid" 2>/dev/null || true; }
  rm -f "$pidfile" "$dir/run/asterisk.ctl"
  say "Asterisk ($instance) stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if pid="$(running_pid)" && ari_ready; then echo "running pid $pid ari :$ari_port"; else echo "stopped"; exit 3; fi ;;
  cli) shift; ast -rx "$*" ;;
  root) echo "$ACD_ROOT" ;;
  instance-dir) echo "$dir" ;;
  secret) case "${2:-}" in ari) ari_password ;; pstn) instance_secret pstn ;; *) die "usage: $0 secret ari|pstn" ;; esac ;;
  *) echo "usage: $0 start|stop|restart|status|cli <command>|root|instance-dir|secret ari|pstn" >&2; exit 2 ;;
esac
