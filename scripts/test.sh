#!/usr/bin/env bash
# npm test: unit, then integration (real Redis), then e2e (real Asterisk + Redis + SIPp).
# One Asterisk and one Redis for the whole run, on their own ports so a running `npm start`
# is left alone; both are stopped at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ACD_REPO"
# no import circles in the controller, its tests and the benchmark (a new one fails the run)
bash scripts/check-circles.sh

export ACD_TEST_REDIS_PORT="${ACD_TEST_REDIS_PORT:-6391}"
export ACD_TEST_SIP_PORT="${ACD_TEST_SIP_PORT:-15060}"
export ACD_TEST_ARI_PORT="${ACD_TEST_ARI_PORT:-18088}"
export ACD_TEST_PG_PORT="${ACD_TEST_PG_PORT:-6433}"
# AMI beside ARI: each checkout's own ARI port gives it its own AMI port
export ACD_TEST_AMI_PORT="${ACD_TEST_AMI_PORT:-$((ACD_TEST_ARI_PORT + 1))}"
# a fresh ARI password per run: no password is a constant of the repository
export ACD_TEST_ARI_PASSWORD="${ACD_TEST_ARI_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
# Several checkouts can test side by side when each sets its own instance, ports and RTP range.
test_instance="${ACD_TEST_INSTANCE:-test}"
rtp_start="${ACD_TEST_RTP_START:-30000}"
asterisk_env=(ACD_ASTERISK_INSTANCE="$test_instance" ACD_SIP_PORT="$ACD_TEST_SIP_PORT" ACD_ARI_PORT="$ACD_TEST_ARI_PORT" ACD_AMI_PORT="$ACD_TEST_AMI_PORT"
  ACD_RTP_START="$rtp_start" ACD_RTP_END="$((rtp_start + 1000))" ARI_PASSWORD="$ACD_TEST_ARI_PASSWORD")

cleanup() {
  env "${asterisk_env[@]}" bash scripts/asterisk.sh stop >/dev/null 2>&1 || true
  ACD_REDIS_PORT="$ACD_TEST_REDIS_PORT" bash scripts/redis.sh stop >/dev/null 2>&1 || true
  ACD_PG_PORT="$ACD_TEST_PG_PORT" bash scripts/postgres.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

ACD_REDIS_PORT="$ACD_TEST_REDIS_PORT" bash scripts/redis.sh start
ACD_PG_PORT="$ACD_TEST_PG_PORT" bash scripts/postgres.sh start
# the history tests get their own schema each in this database
export DATABASE_URL="$(ACD_PG_PORT="$ACD_TEST_PG_PORT" bash scripts/postgres.sh url)"
env "${asterisk_env[@]}" bash scripts/asterisk.sh start
export ACD_TEST_ASTERISK_LOG="$(env "${asterisk_env[@]}" bash scripts/asterisk.sh instance-dir)/log/messages.log"

# `npm test -- dist/test/e2e/x.test.js ...` runs only those files (same environment)
if [ $# -gt 0 ]; then
  npx --no-install mocha --exit "$@"
else
  npx --no-install mocha --exit 'dist/test/unit/**/*.test.js' 'dist/test/integration/**/*.test.js' 'dist/test/e2e/**/*.test.js'
fi
