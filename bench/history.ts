// npm run bench -- --history [--quick]: the call history's reports on a generated history of
// 13 months at 50,000 calls a day (--quick: 1 month), on the local PostgreSQL (scripts/postgres.sh,
// ACD_BENCH_PG_PORT, default 6434). Results in bench/results/history-latest.{md,json}.
//
// The rows are generated inside PostgreSQL (INSERT ... SELECT over generate_series, one statement
// per day): the same bulk path as COPY, without pushing 20 million rows through Node.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'pg';
import { stringify } from 'csv-stringify';
import { Transform } from 'node:stream';
import { migrate } from '../src/history/migrations';
import { Partitions, addMonths, monthOf } from '../src/history/partitions';
import { Reports } from '../src/history/reports';
import { CALL_COLUMNS } from '../src/api/routes/reports';
import { csvCell } from '../src/history/csv';

const REPO = path.resolve(__dirname, '../..');
const RESULTS = path.join(REPO, 'bench/results');
const log = (line: string) => process.stdout.write(`[bench history] ${line}\n`);

const CALLS_PER_DAY = 50_000;
const QUEUES = 10;
const AGENTS = 200;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export async function historyBench(quick: boolean): Promise<void> {
  const port = process.env.ACD_BENCH_PG_PORT ?? '6434';
  execFileSync('bash', [path.join(REPO, 'scripts/postgres.sh'), 'start'], { env: { ...process.env, ACD_PG_PORT: port }, stdio: 'inherit' });
  const url = `postgres://postgres@127.0.0.1:${port}/acd`;
  const pool = new Pool({ connectionString: url, max: 4 });
  const schema = 'bench_history';
  const months = quick ? 1 : 13;
  // the last full months before this one
  const lastMonth = addMonths(monthOf(Date.now()), -1);
  const firstMonth = addMonths(lastMonth, -(months - 1));
  const first = Date.parse(`${firstMonth.slice(0, 4)}-${firstMonth.slice(4)}-01T00:00:00Z`);
  const end = Date.parse(`${addMonths(lastMonth, 1).slice(0, 4)}-${addMonths(lastMonth, 1).slice(4)}-01T00:00:00Z`);
  const days = Math.round((end - first) / 86_400_000);
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await migrate(pool, schema);
    const parts = new Partitions(schema);
    for (let m = 0; m < months; m++) await parts.ensure(pool, Date.parse(`${addMonths(firstMonth, m).slice(0, 4)}-${addMonths(firstMonth, m).slice(4)}-15T00:00:00Z`));
    log(`loading ${days} days × ${CALLS_PER_DAY} calls (${(days * CALLS_PER_DAY / 1e6).toFixed(1)} M) from ${firstMonth}`);
    const load = await timed(async () => {
      for (let d = 0; d < days; d++) {
        const dayStart = new Date(first + d * 86_400_000).toISOString();
        // a day's calls spread over 07:00-19:00 UTC; 85% answered, 8% abandoned waiting, 2% ringing, 3% timed out, 2% callbacks
        await pool.query(`INSERT INTO ${schema}.queue_calls (call_id, seq, entered_at, queue_id, entry, caller_number, caller_name, offers, offered_to,
            first_offered_at, answered_at, agent_id, ended_at, ended_by, wait_ms, ring_ms, talk_ms, hold_ms, wrapup_ms, outcome, sl_threshold_ms, sl_met, entry_position)
          SELECT 'b' || $2 || '-' || g, 1, t, 'q' || (g % ${QUEUES}), 'arrival', '+331' || lpad((g * 7919 % 100000000)::text, 8, '0'), '',
            CASE WHEN r < 0.85 OR r >= 0.98 THEN 1 ELSE 0 END, '{}', t + interval '1 second' * w,
            CASE WHEN r < 0.85 THEN t + interval '1 millisecond' * w END,
            CASE WHEN r < 0.85 THEN 'a' || (g % ${AGENTS}) END,
            t + interval '1 millisecond' * (w + CASE WHEN r < 0.85 THEN talk ELSE 0 END),
            'caller',
            w, 3000, CASE WHEN r < 0.85 THEN talk END, 0, CASE WHEN r < 0.85 THEN (g % 30) * 1000 END,
            CASE WHEN r < 0.85 THEN 'answered' WHEN r < 0.93 THEN 'abandoned_waiting' WHEN r < 0.95 THEN 'abandoned_ringing' WHEN r < 0.98 THEN 'timed_out' ELSE 'callback' END,
            20000, r < 0.85 AND w <= 20000, 1 + g % 5
          FROM (SELECT g, $1::timestamptz + interval '7 hours' + interval '1 millisecond' * ((g::bigint * 43200000) / $3) AS t,
                       ((g * 2654435761::bigint) % 1000) / 1000.0 AS r, ((g * 40503) % 60000)::bigint AS w, (60000 + (g * 69069) % 240000)::bigint AS talk
                  FROM generate_series(1::bigint, $3::bigint) AS g) x`, [dayStart, `${d}`, CALLS_PER_DAY]);
        if (d % 30 === 29) log(`  ${d + 1} days loaded`);
      }
      // the 15-minute queue figures the writer keeps as it folds each call (bulk-loaded rows bypass it)
      await pool.query(`INSERT INTO ${schema}.queue_slots (queue_id, slot, offered, answered, abandoned_waiting, abandoned_ringing, timed_out, overflowed,
          callback_requests, transferred, answered_within_sl, answered_wait_ms, handled, handle_ms, longest_wait_ms)
        SELECT queue_id, to_timestamp(floor(extract(epoch FROM entered_at) / 900) * 900), count(*), count(answered_at),
          count(*) FILTER (WHERE outcome = 'abandoned_waiting'), count(*) FILTER (WHERE outcome = 'abandoned_ringing'),
          count(*) FILTER (WHERE outcome = 'timed_out'), count(*) FILTER (WHERE outcome = 'overflowed'), count(*) FILTER (WHERE outcome = 'callback'),
          count(*) FILTER (WHERE outcome = 'transferred'), count(*) FILTER (WHERE answered_at IS NOT NULL AND sl_met),
          coalesce(sum(wait_ms) FILTER (WHERE answered_at IS NOT NULL), 0), count(talk_ms), coalesce(sum(talk_ms + coalesce(wrapup_ms, 0)), 0), max(wait_ms)
        FROM ${schema}.queue_calls GROUP BY 1, 2`);
      await pool.query(`ANALYZE ${schema}.queue_calls`);
      await pool.query(`ANALYZE ${schema}.queue_slots`);
    });
    const rows = Number((await pool.query(`SELECT count(*) AS n FROM ${schema}.queue_calls`)).rows[0].n);
    const size = (await pool.query(`SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, [schema])).rows[0].s;
    log(`loaded ${rows} rows (${size}) in ${(load.ms / 1000).toFixed(0)} s`);

    const reports = new Reports(pool, schema);
    const month = { from: new Date(Date.parse(`${lastMonth.slice(0, 4)}-${lastMonth.slice(4)}-01T00:00:00Z`)), to: new Date(end), timeZone: 'Europe/Paris' };
    const all = { from: new Date(first), to: new Date(end), timeZone: 'Europe/Paris' };
    const monthQueue = await timed(() => reports.queues(month, {}, 'day'));
    // the same month read from the calls themselves (what a filtered report does)
    const monthQueueCalls = await timed(() => reports.queues(month, {}, 'day', 'calls'));
    const yearQueue = await timed(() => reports.queues(all, {}, 'month'));
    const monthAgents = await timed(() => reports.agents(month, {}));
    // a month's call list as CSV, streamed to a sink, memory sampled meanwhile
    let peakRss = process.memoryUsage().rss;
    const rssAtStart = peakRss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
    let bytes = 0;
    const csv = await timed(async () => {
      const { stream, done } = await reports.streamCalls(month, {}, false);
      try {
        await pipeline(stream,
          new Transform({ objectMode: true, transform(row, _e, cb) { cb(null, CALL_COLUMNS.map((c) => csvCell((row as Record<string, unknown>)[c]))); } }),
          stringify({ header: true, columns: CALL_COLUMNS }),
          new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } }));
      } finally { done(); }
    });
    clearInterval(sampler);
    const result = {
      startedAt: new Date().toISOString(), mode: quick ? 'quick' : 'full', callsPerDay: CALLS_PER_DAY, days, rows, size, loadSeconds: Math.round(load.ms / 1000),
      monthQueueReportMs: Math.round(monthQueue.ms), monthQueueRows: monthQueue.value.rows.length, monthQueueFromCallsMs: Math.round(monthQueueCalls.ms),
      slotsEqualCalls: JSON.stringify(monthQueue.value) === JSON.stringify(monthQueueCalls.value),
      thirteenMonthQueueReportMs: Math.round(yearQueue.ms), thirteenMonthRows: yearQueue.value.rows.length,
      monthAgentReportMs: Math.round(monthAgents.ms), agents: monthAgents.value.length,
      monthCsvExportMs: Math.round(csv.ms), csvMegabytes: Math.round(bytes / 1e6), rssAtStartMb: Math.round(rssAtStart / 1e6), peakRssMb: Math.round(peakRss / 1e6),
    };
    const md = `# History benchmark (${result.mode}, ${result.startedAt})

${days} days × ${CALLS_PER_DAY} calls = ${rows} queue visits (${size} with indexes), generated in PostgreSQL in ${result.loadSeconds} s.

| what | time |
| --- | --- |
| a month's queue report, by day (${result.monthQueueRows} rows), from the 15-minute queue figures | ${result.monthQueueReportMs} ms |
| the same from the calls themselves (as a report filtered by agent, caller or outcome reads it; same figures: ${result.slotsEqualCalls}) | ${result.monthQueueFromCallsMs} ms |
| ${months === 13 ? '13 months\'' : `${months} month's`} queue report, by month (${result.thirteenMonthRows} rows) | ${result.thirteenMonthQueueReportMs} ms |
| a month's agent report (${result.agents} agents) | ${result.monthAgentReportMs} ms |
| a month's call list as CSV, streamed (${result.csvMegabytes} MB) | ${result.monthCsvExportMs} ms; memory ${result.rssAtStartMb} MB before, ${result.peakRssMb} MB at most |
`;
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, `history-${result.mode === 'full' ? 'latest' : 'quick'}.md`), md);
    fs.writeFileSync(path.join(RESULTS, `history-${result.mode === 'full' ? 'latest' : 'quick'}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n${md}\n`);
  } finally {
    if (!process.argv.includes('--keep')) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    execFileSync('bash', [path.join(REPO, 'scripts/postgres.sh'), 'stop'], { env: { ...process.env, ACD_PG_PORT: port }, stdio: 'inherit' });
  }
}
