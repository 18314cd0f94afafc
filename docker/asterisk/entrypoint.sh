#!/usr/bin/env bash
# Writes the same two generated pieces as scripts/asterisk.sh (acd-local/, acd-secrets/) from the
# container's environment, then runs Asterisk in the foreground as PID 1.
#
#   ARI_PASSWORD          required: password of ARI user "acd" (the controller uses the same one)
#   SIP_PORT              optional: SIP/UDP port (default 5060 from pjsip.conf)
#   RTP_START/RTP_END     optional: RTP range; must equal the UDP range published in compose.yaml
#   SIP_EXTERNAL_ADDRESS  optional: the host's address as phones reach it. Behind Docker's NAT
#                         Asterisk otherwise puts its container IP into Contact and SDP (no audio).
#
# `entrypoint.sh --check` only validates the environment (exit 0, or 1 with the reason).
set -euo pipefail

die() { printf 'acd-asterisk: %s\n' "$*" >&2; exit 1; }
port() { [[ "$2" =~ ^[0-9]+$ ]] && (( $2 > 0 && $2 < 65536 )) || die "$1 must be a port number, got '$2'"; }

[ -n "${ARI_PASSWORD:-}" ] || die "ARI_PASSWORD is not set: put it in docker/.env (see docker/.env.example)"
# ';' starts a comment in Asterisk config files and a newline would end the line: either would
# silently truncate the password.
[[ "$ARI_PASSWORD" != *[$';\n\r']* ]] || die "ARI_PASSWORD must not contain ';' or line breaks"
# never a password that ships with the repository (local environment, tests, benchmark, examples)
case "${ARI_PASSWORD,,}" in
  acd-local|acd-test|acd-bench|changeme|password|secret|*sample*|*change-me*|*example*)
    die "ARI_PASSWORD is a sample value: choose your own (docker/.env)" ;;
esac
(( ${#ARI_PASSWORD} >= 12 )) || die "ARI_PASSWORD is too short: 12 characters at least"
[ "${1:-}" != "--check" ] || exit 0

etc=/etc/asterisk
rm -rf "$etc/acd-local" "$etc/acd-secrets"     # a restarted container must not keep old overrides
mkdir -p "$etc/acd-local" "$etc/acd-secrets"

( umask 077; printf 'password = %s\n' "$ARI_PASSWORD" >"$etc/acd-secrets/ari-password.conf" )
# AMI (read-only: the controller counts the agents' non-queue calls) with AMI_PASSWORD, else ARI's
ami_password="${AMI_PASSWORD:-$ARI_PASSWORD}"
[[ "$ami_password" != *[$';\n\r']* ]] || die "AMI_PASSWORD must not contain ';' or line breaks"
( umask 077; printf 'secret = %s\n' "$ami_password" >"$etc/acd-secrets/ami-password.conf" )
printf 'bindaddr = 0.0.0.0\n' >"$etc/acd-local/manager.conf"
# the compose network (RFC 1918); 5038 is not published
printf 'permit = 10.0.0.0/255.0.0.0\npermit = 172.16.0.0/255.240.0.0\npermit = 192.168.0.0/255.255.0.0\n' >"$etc/acd-local/manager-acl.conf"

# The controller is another container: ARI must listen beyond loopback. 8088 is not published,
# so it stays on the compose network.
printf 'bindaddr = 0.0.0.0\n' >"$etc/acd-local/http.conf"

if [ -n "${RTP_START:-}${RTP_END:-}" ]; then
  [ -n "${RTP_START:-}" ] && [ -n "${RTP_END:-}" ] || die "set both RTP_START and RTP_END, or neither"
  port RTP_START "$RTP_START"; port RTP_END "$RTP_END"
  (( RTP_START < RTP_END )) || die "RTP_START ($RTP_START) must be below RTP_END ($RTP_END)"
  printf 'rtpstart = %s\nrtpend = %s\n' "$RTP_START" "$RTP_END" >"$etc/acd-local/rtp.conf"
fi

pjsip=""
if [ -n "${SIP_PORT:-}" ]; then port SIP_PORT "$SIP_PORT"; pjsip+="bind = 0.0.0.0:$SIP_PORT"$'\n'; fi
if [ -n "${SIP_EXTERNAL_ADDRESS:-}" ]; then
  pjsip+="external_signaling_address = $SIP_EXTERNAL_ADDRESS"$'\n'
  pjsip+="external_media_address = $SIP_EXTERNAL_ADDRESS"$'\n'
fi
[ -z "$pjsip" ] || printf '[transport-udp](+)\n%s' "$pjsip" >"$etc/acd-local/pjsip.conf"

# Left behind by a previous run of this same container (docker restart keeps the filesystem).
mkdir -p /var/run/asterisk
rm -f /var/run/asterisk/asterisk.ctl /var/run/asterisk/asterisk.pid

# No -U/-G: with -U Asterisk drops its capabilities and then cannot create astdb.sqlite3 in
# folders owned by the package's asterisk user (ASTERISK-NOTES.md). -n: no ANSI colours in logs.
exec asterisk -f -n
