#!/usr/bin/env bash
# npm test: unit, integration (real Redis, PostgreSQL) and e2e (real Asterisk + Redis + SIPp) tests.
#
#   npm test                  every test file, in ACD_TEST_SHARDS (default 2) shards side by side
#   npm test -- <files...>    only those compiled files (and mocha options), in one mocha process
#
# Each shard is one mocha process with its own Asterisk, Redis and PostgreSQL: the e2e suites mostly
# wait on real timers (ring timeouts, wrap-up, announcements), not on the CPU, and only one controller
# may hold the Stasis application `acd` on one Asterisk. The files are split by the durations in
# test/durations.tsv (test/support/shardPlan.ts; a new file goes to the lighter shard). Every shard's
# output goes to test-output/shards/shard-<k>.log and, line by line prefixed [k], to this output;
# the summary of each shard (and a failing shard's failures) comes at the end. The run fails if any
# shard fails; everything started here is stopped at the end.
#
# Ports: shard 1 (and a run of named files) uses the ACD_TEST_* ports below and the instance
# ACD_TEST_INSTANCE; shard k adds (k-1) x 5 to the SIP, ARI and AMI ports, (k-1) to the Redis and
# PostgreSQL ports and (k-1) x 2000 to the RTP range (1000 ports for its Asterisk, the next 1000 for
# the second Asterisk of the two-controller tests, test/e2e/harness/secondAsterisk.ts), with the instance <instance>-k. Several
# checkouts can test side by side when each sets its own instance, ports and RTP range.
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
export ACD_TEST_INSTANCE="${ACD_TEST_INSTANCE:-test}"
export ACD_TEST_RTP_START="${ACD_TEST_RTP_START:-30000}"

if [ $# -gt 0 ]; then shards=1; else shards="${ACD_TEST_SHARDS:-2}"; fi
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "ACD_TEST_SHARDS must be a positive number, not '$shards'"

# The environment of shard k: `senv` for its mocha process, `aenv` for scripts/asterisk.sh.
shard_env() {
  local k="$1" d=$(($1 - 1))
  local instance="$ACD_TEST_INSTANCE"; [ "$k" = 1 ] || instance="$ACD_TEST_INSTANCE-$k"
  local rtp=$((ACD_TEST_RTP_START + 2000 * d))
  senv=(ACD_TEST_INSTANCE="$instance" ACD_TEST_SIP_PORT=$((ACD_TEST_SIP_PORT + 5 * d)) ACD_TEST_ARI_PORT=$((ACD_TEST_ARI_PORT + 5 * d))
    ACD_TEST_AMI_PORT=$((ACD_TEST_AMI_PORT + 5 * d)) ACD_TEST_REDIS_PORT=$((ACD_TEST_REDIS_PORT + d)) ACD_TEST_PG_PORT=$((ACD_TEST_PG_PORT + d))
    ACD_TEST_RTP_START="$rtp")
  aenv=(ACD_ASTERISK_INSTANCE="$instance" ACD_SIP_PORT=$((ACD_TEST_SIP_PORT + 5 * d)) ACD_ARI_PORT=$((ACD_TEST_ARI_PORT + 5 * d))
    ACD_AMI_PORT=$((ACD_TEST_AMI_PORT + 5 * d)) ACD_RTP_START="$rtp" ACD_RTP_END=$((rtp + 1000)) ARI_PASSWORD="$ACD_TEST_ARI_PASSWORD")
  redis_port=$((ACD_TEST_REDIS_PORT + d))
  pg_port=$((ACD_TEST_PG_PORT + d))
}

# every Asterisk's RTP range: the test ports (test/e2e/harness/ports.ts) stay out of all of them
rtp_ranges=""
for k in $(seq 1 "$shards"); do
  s=$((ACD_TEST_RTP_START + 2000 * (k - 1)))
  rtp_ranges="${rtp_ranges:+$rtp_ranges,}$s-$((s + 2000))"
done
export ACD_TEST_RTP_RANGES="$rtp_ranges"

out="test-output/shards"
shard_pids=()
cleanup() {
  local pid k
  for pid in "${shard_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for k in $(seq 1 "$shards"); do
    shard_env "$k"
    env "${aenv[@]}" bash scripts/asterisk.sh stop >/dev/null 2>&1 || true
    ACD_REDIS_PORT="$redis_port" bash scripts/redis.sh stop >/dev/null 2>&1 || true
    ACD_PG_PORT="$pg_port" bash scripts/postgres.sh stop >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for k in $(seq 1 "$shards"); do
  shard_env "$k"
  ACD_REDIS_PORT="$redis_port" bash scripts/redis.sh start
  # the history tests get their own schema each in the shard's database (one of them stops it midway)
  ACD_PG_PORT="$pg_port" bash scripts/postgres.sh start
  env "${aenv[@]}" bash scripts/asterisk.sh start
done

# `npm test -- dist/test/e2e/x.test.js ...` runs only those files (same environment as shard 1)
if [ $# -gt 0 ]; then
  shard_env 1
  export DATABASE_URL="$(ACD_PG_PORT="$pg_port" bash scripts/postgres.sh url)"
  export ACD_TEST_ASTERISK_LOG="$(env "${aenv[@]}" bash scripts/asterisk.sh instance-dir)/log/messages.log"
  # ACD_TEST_RTP_RANGES stays unset: the one Asterisk's range comes from ACD_TEST_RTP_START
  unset ACD_TEST_RTP_RANGES
  npx --no-install mocha --exit "$@"
  exit 0
fi

mapfile -t files < <(for d in unit integration e2e; do find "dist/test/$d" -name '*.test.js' | sort; done)
[ "${#files[@]}" -gt 0 ] || die "no compiled test files under dist/test (did the compile run?)"
rm -rf "$out"; mkdir -p "$out"
plan_text="$(node dist/test/support/shardPlan.js "$shards" test/durations.tsv "${files[@]}")" || die "cannot split the test files into shards"
mapfile -t plan <<<"$plan_text"

started=$(date +%s)
pipes=()
for line in "${plan[@]}"; do
  IFS=$'\t' read -r k planned list <<<"$line"
  read -ra shard_files <<<"$list"
  shard_env "$k"
  # more shards than files: nothing to run here
  if [ "${#shard_files[@]}" = 0 ]; then echo "0 $(date +%s)" >"$out/shard-$k.rc"; : >"$out/shard-$k.log"; continue; fi
  say "shard $k: ${#shard_files[@]} files, about ${planned} s (Asterisk ${senv[0]#*=}, Redis :$redis_port, PostgreSQL :$pg_port)"
  echo "${shard_files[*]}" | tr ' ' '\n' >"$out/shard-$k.files"
  # the log keeps mocha's own lines; the live output gets them prefixed with the shard
  (
    env "${senv[@]}" ACD_TEST_PORT_SLICE="$k/$shards" ACD_TEST_SHARD="$k" \
      DATABASE_URL="$(ACD_PG_PORT="$pg_port" bash scripts/postgres.sh url)" \
      ACD_TEST_ASTERISK_LOG="$(env "${aenv[@]}" bash scripts/asterisk.sh instance-dir)/log/messages.log" \
      ACD_TEST_DURATIONS_OUT="$out/durations-$k.tsv" \
      node_modules/.bin/mocha --exit --reporter dist/test/support/durationsReporter.js "${shard_files[@]}" </dev/null 2>&1 &
    echo $! >"$out/shard-$k.pid"
    rc=0; wait $! || rc=$?
    echo "$rc $(date +%s)" >"$out/shard-$k.rc"
  ) | tee "$out/shard-$k.log" | sed -u "s/^/[$k] /" &
  pipes+=($!)
  # the pid file is written at once; wait for it so a signal now stops this shard too
  for _ in $(seq 1 50); do [ -s "$out/shard-$k.pid" ] && break; sleep 0.1; done
  shard_pids+=("$(cat "$out/shard-$k.pid" 2>/dev/null || true)")
done
for p in "${pipes[@]}"; do wait "$p" || true; done
shard_pids=()

failed=0
echo
for line in "${plan[@]}"; do
  IFS=$'\t' read -r k planned _ <<<"$line"
  read -r rc ended <"$out/shard-$k.rc" 2>/dev/null || { rc=1; ended=$(date +%s); }
  summary="$(grep -E '^ +[0-9]+ (passing|failing|pending)' "$out/shard-$k.log" | tr -s ' ' | paste -sd, - || true)"
  say "shard $k: exit $rc after $((ended - started)) s (planned ${planned} s):${summary:- no mocha summary}"
  if [ "$rc" != 0 ]; then
    failed=1
    echo "---- shard $k failed; its failures (whole output: $out/shard-$k.log) ----"
    # mocha's summary and failure list start at the "N passing" line; a crash has none: its tail then
    if grep -qE '^ +[0-9]+ passing' "$out/shard-$k.log"; then
      sed -n "$(grep -nE '^ +[0-9]+ passing' "$out/shard-$k.log" | tail -n1 | cut -d: -f1),\$p" "$out/shard-$k.log"
    else
      tail -n 60 "$out/shard-$k.log"
    fi
  fi
done
{ grep '^#' test/durations.tsv; cat "$out"/durations-*.tsv 2>/dev/null | sort -rn; } >"test-output/durations.tsv" || true
say "measured file durations: test-output/durations.tsv (copy it over test/durations.tsv to rebalance the shards)"
exit "$failed"
