// The results as a Markdown table and JSON: bench/results/, and the README's Benchmark section.
import fs from 'node:fs';
import path from 'node:path';
import type { Machine } from './environment';
import type { Params } from './params';
import type { Summary } from './stats';
import { cps, HandoverResult, HoldResult, OverloadResult, RampResult, RoutingResult, STRICT_ROUTING_P99_MS } from './workloads';

export interface SystemResults { hold: HoldResult; routing: RoutingResult; handover: HandoverResult; overload: OverloadResult; ramp: RampResult }
export interface Results {
  mode: Params['mode'];
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  params: Params;
  config: { acd: object; app_queue: string; app_queue_dialplan: string };
  acd: SystemResults;
  app_queue: SystemResults;
}

const ms = (s: Summary | null, key: 'p50' | 'p99' | 'max' | 'mean') => (s ? s[key].toFixed(1) : '–');
const triple = (s: Summary | null) => (s ? `${ms(s, 'p50')} / ${ms(s, 'p99')} / ${ms(s, 'max')} ms (n=${s.n})` : 'no samples');
const kib = (b: number | undefined) => (b === undefined ? '–' : (b / 1024).toFixed(1));
const cpu = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');

export function targets(r: Results): { routing: boolean; handover: boolean; throughput: boolean } {
  const a = r.acd;
  const q = r.app_queue;
  return {
    routing: !!a.routing.latency && a.routing.latency.p99 < 20,
    handover: !!a.handover.latency && a.handover.latency.p99 < 20 && (!q.handover.latency || a.handover.latency.p99 <= q.handover.latency.p99),
    throughput: a.ramp.sustainedCps >= q.ramp.sustainedCps,
  };
}

/** The CPU issue's targets (issue #16 item 4), each with the figures it was judged on. */
export const CPU_TARGET_MS = 2;
export const P50_MARGIN_MS = 1;
export const LOAD_P99_MS = 20;
export const LOAD_UP_TO_CPS = 150;
export interface Target { met: boolean; figures: string }
export function cpuTargets(r: Results): { cpu: Target; p50: Target; loadP99: Target; rate: Target } {
  const a = r.acd;
  const q = r.app_queue;
  const c = (a.ramp.cpuMsPerCall.controller ?? NaN) + (a.ramp.cpuMsPerCall.redis ?? NaN);
  const ap50 = a.routing.latency?.p50;
  const qp50 = q.routing.latency?.p50;
  // every ramp step up to LOAD_UP_TO_CPS must have run, been sustained, and kept routing p99 under LOAD_P99_MS
  const wanted = r.params.ramp.periodsMs.map(cps).filter((x) => x <= LOAD_UP_TO_CPS);
  const steps = wanted.map((x) => ({ x, s: a.ramp.steps.find((s) => s.rateCps === x) }));
  const worst = steps.reduce((m, { s }) => Math.max(m, s?.routing?.p99 ?? Infinity), 0);
  const bad = steps.filter(({ s }) => !s || s.verdict !== 'sustained' || !s.routing || s.routing.p99 >= LOAD_P99_MS)
    .map(({ x, s }) => (s ? String(x) : `${x} (not run)`));
  const strict = (s: SystemResults) => s.ramp.strictSustainedCps ?? 0;
  return {
    cpu: { met: c <= CPU_TARGET_MS, figures: `${cpu(c)} ms` },
    p50: { met: ap50 !== undefined && qp50 !== undefined && ap50 - qp50 <= P50_MARGIN_MS, figures: `${ms(a.routing.latency, 'p50')} vs ${ms(q.routing.latency, 'p50')} ms` },
    loadP99: {
      met: steps.length > 0 && bad.length === 0,
      figures: `worst p99 ${Number.isFinite(worst) ? worst.toFixed(1) : '–'} ms over ${wanted[0] ?? '–'}–${wanted[wanted.length - 1] ?? '–'} cps${bad.length ? `; missed at ${bad.join(', ')} cps` : ''}`,
    },
    rate: {
      met: a.ramp.sustainedCps > q.ramp.sustainedCps,
      figures: `${a.ramp.sustainedCps} vs ${q.ramp.sustainedCps} cps (1 s bar); ${strict(a)} vs ${strict(q)} cps (${STRICT_ROUTING_P99_MS} ms bar)`,
    },
  };
}

export function machineLine(r: Results): string {
  const m = r.machine;
  return `${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel} (load average at start ${m.loadAvgAtStart}); Asterisk ${m.asterisk}; Node ${m.node}; ${m.sipp}`;
}

/** The summary table (README and results). */
export function summaryTable(r: Results): string {
  const a = r.acd;
  const q = r.app_queue;
  const t = targets(r);
  const c = cpuTargets(r);
  const p = r.params;
  const steps = `${p.ramp.periodsMs.map(cps).join(', ')} cps × ${p.ramp.stepSeconds} s, ${p.ramp.agents} agents`;
  const rows: string[][] = [
    ['Routing latency, idle agents (caller INVITE sent → agent INVITE received), p50 / p99 / max', triple(a.routing.latency), triple(q.routing.latency),
      `p99 < 20 ms: ${mark(t.routing)}; p50 within ${P50_MARGIN_MS} ms of app_queue: ${mark(c.p50.met)} (${c.p50.figures})`],
    ['Hand-over (agent BYE sent → same agent\'s next INVITE received), p50 / p99 / max', triple(a.handover.latency), triple(q.handover.latency), `p99 < 20 ms and ≤ app_queue: ${mark(t.handover)}`],
    [`Highest sustained rate: 0 failed calls and routing p99 ≤ ${p.ramp.maxRoutingP99Ms} ms (${steps}); routing p99 at that rate`,
      `${a.ramp.sustainedCps} cps; ${ms(a.ramp.routingAtSustained, 'p99')} ms`, `${q.ramp.sustainedCps} cps; ${ms(q.ramp.routingAtSustained, 'p99')} ms`, `≥ app_queue: ${mark(t.throughput)}`],
    [`Highest sustained rate with routing p99 < ${STRICT_ROUTING_P99_MS} ms (the same ramp, as if it stopped at the first step over that); routing p99 at that rate`,
      `${a.ramp.strictSustainedCps ?? '–'} cps; ${ms(a.ramp.routingAtStrict ?? null, 'p99')} ms`, `${q.ramp.strictSustainedCps ?? '–'} cps; ${ms(q.ramp.routingAtStrict ?? null, 'p99')} ms`,
      `highest sustained rate > app_queue (1 s bar): ${mark(c.rate.met)} (${c.rate.figures})`],
    ['Peak concurrent calls at that rate', String(a.ramp.peakConcurrentAtSustained), String(q.ramp.peakConcurrentAtSustained), ''],
    [`Caller wait under overload (${p.overload.agents} agents, ${p.overload.rateCps} cps × ${p.overload.seconds} s; INVITE → agent 200 OK), mean / p99 / max`,
      `${ms(a.overload.wait, 'mean')} / ${ms(a.overload.wait, 'p99')} / ${ms(a.overload.wait, 'max')} ms`, `${ms(q.overload.wait, 'mean')} / ${ms(q.overload.wait, 'p99')} / ${ms(q.overload.wait, 'max')} ms`, ''],
    ['Calls answered per second under that overload', String(a.overload.servedPerSec), String(q.overload.servedPerSec), ''],
    ['CPU per call over the sustained ramp steps (ms): controller / Redis / Asterisk', `${cpu(a.ramp.cpuMsPerCall.controller)} / ${cpu(a.ramp.cpuMsPerCall.redis)} / ${cpu(a.ramp.cpuMsPerCall.asterisk)}`, `– / – / ${cpu(q.ramp.cpuMsPerCall.asterisk)}`,
      `controller + Redis ≤ ${CPU_TARGET_MS} ms: ${mark(c.cpu.met)} (${c.cpu.figures})`],
    ['Redis commands per call over the sustained ramp steps (INFO commandstats; inside Lua scripts included): all / most frequent',
      a.ramp.redisCommandsPerCall ? `${a.ramp.redisCommandsPerCall.total} / ${Object.entries(a.ramp.redisCommandsPerCall.byCommand).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ')}` : '–', '–', ''],
    [`Routing p99 under load, every ramp step up to ${LOAD_UP_TO_CPS} cps`, `${a.ramp.steps.filter((s) => s.rateCps <= LOAD_UP_TO_CPS).map((s) => ms(s.routing, 'p99')).join(' / ')} ms`,
      `${q.ramp.steps.filter((s) => s.rateCps <= LOAD_UP_TO_CPS).map((s) => ms(s.routing, 'p99')).join(' / ')} ms`, `< ${LOAD_P99_MS} ms: ${mark(c.loadP99.met)} (${c.loadP99.figures})`],
    [`Memory per waiting caller (${a.hold.waiting} / ${q.hold.waiting} waiting, KiB): controller RSS / Redis used_memory / Asterisk RSS`,
      `${kib(a.hold.bytesPerCaller.controller)} / ${kib(a.hold.bytesPerCaller.redis)} / ${kib(a.hold.bytesPerCaller.asterisk)}`, `– / – / ${kib(q.hold.bytesPerCaller.asterisk)}`, ''],
  ];
  return ['| | ACD | app_queue | target |', '| --- | --- | --- | --- |', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function rampTable(sys: SystemResults, acd: boolean): string {
  const cores = (c: Record<string, number>) => `${acd ? `${c.controller} / ${c.redis} / ` : ''}${c.asterisk} / ${c.generators} / ${c.other} / ${c.machine}`;
  return [
    `| rate | verdict | calls | failed (caller + agent side) | routing p50 / p99 / max (ms) | peak concurrent | cores in use: ${acd ? 'controller / Redis / ' : ''}Asterisk / sipp + bench / other / whole machine |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...sys.ramp.steps.map((s) => `| ${s.rateCps} cps | ${s.verdict}${s.attempts > 1 ? ` (run ${s.attempts}×)` : ''} | ${s.calls} | ${s.callerFailed} + ${s.agentFailed}${s.notes.length ? ` (${s.notes.join('; ')})` : ''} | `
      + `${s.routing ? `${ms(s.routing, 'p50')} / ${ms(s.routing, 'p99')} / ${ms(s.routing, 'max')}` : '–'} | ${s.peakConcurrent} | ${cores(s.cores)} |`),
  ].join('\n');
}

const METHOD = `How each number is taken (bench/workloads.ts): every latency is the difference of two sipp
-trace_msg timestamps (microseconds, one machine clock), from the callers' and the agent phones'
traces. A caller's INVITE is matched to the agent's INVITE by the caller's number (+1555<process><n>,
which the ACD shows as the From user) or by the caller's Call-ID (which app_queue's bench dialplan
puts into the display name). Routing: idle agents, caller INVITE sent → first INVITE for that
caller received at an agent phone. Hand-over: one agent, all callers already waiting; the agent's
BYE sent → the next INVITE that phone receives, for a caller who was already waiting. Ramp: one sipp caller process per step at a
constant rate; a call fails when the caller is not connected to an agent within the patience (the
caller then hangs up itself), or when a call does not end normally (agent BYE answered); a step is
sustained with no failed call and routing p99 within the limit (agents to spare: a longer wait
means the system falls behind), and the ramp stops at the first step that is not; peak concurrent
= most caller dialogs open at once. Overload: wait
= caller INVITE sent → agent 200 OK sent. CPU: utime+stime from /proc/<pid>/stat around each step's
callers, per call over the sustained steps; "cores in use" is that CPU over the step's time
(sipp + bench: the load generators; whole machine: busy time from /proc/stat; other: the rest,
i.e. whatever else ran on the machine meanwhile). On a shared machine every workload of a full run
first waits (up to 30 s) for other work to calm down, and a ramp step that is not sustained while
other work used more than 0.3 cores is run again (at most 3 runs; the table shows the last). Memory: no agent, N callers waiting (answered, music on hold); RSS
(/proc/<pid>/status) or Redis used_memory with them minus before them, divided by N (RSS of a
garbage-collected process is coarse: read it as an order of magnitude). Both systems run the same
sipp scenarios, rates, agent endpoints and agent phone processes, one after the other, each on a
freshly started Asterisk, after the same warm-up calls.`;

export function fullReport(r: Results): string {
  const p = r.params;
  return `# ACD vs app_queue (${r.mode} run, ${r.startedAt})

Machine: ${machineLine(r)}

${summaryTable(r)}

## Ramp steps

ACD:

${rampTable(r.acd, true)}

app_queue:

${rampTable(r.app_queue, false)}

## Configuration

- ACD queue: \`${JSON.stringify(r.config.acd)}\`; ${p.ramp.agents} static-contact agents in the ramp, controller with \`LOG_LEVEL=warn\`, Redis with appendonly (as \`scripts/redis.sh\` runs it).
- app_queue: callers identified as endpoint \`bench-aq\` land in context \`acd-bench-app-queue\`; members \`PJSIP/<agent id>\` (the ACD's agent endpoints) added with \`queue add member\`:

\`\`\`ini
${r.config.app_queue_dialplan.trim()}

${r.config.app_queue.trim()}
\`\`\`

- Agent phones: sipp UAS, 180 then 200 OK after ${p.answerAfterMs} ms; the agent hangs up after ${p.routing.talkMs} ms (routing), ${p.handover.talkMs} ms (hand-over), ${p.ramp.talkMs} ms (ramp, overload).
- Workloads: warm-up ${p.warmup.calls} calls; hold ${p.hold.callers} callers; routing ${p.routing.calls} calls at ${1000 / p.routing.rateMs} cps to ${p.routing.agents} agents; hand-over ${p.handover.callers} callers to 1 agent in rounds of ${p.handover.perRound}, arriving one every U(0, 1 s) (seed ${p.handover.seed}); overload ${p.overload.rateCps} cps × ${p.overload.seconds} s to ${p.overload.agents} agents; ramp patience ${p.ramp.patienceMs} ms.

${METHOD}

Notes: ${[...noteLines('ACD', r.acd), ...noteLines('app_queue', r.app_queue)].join('; ') || 'none'}.
`;
}

function noteLines(name: string, s: SystemResults): string[] {
  const out: string[] = [];
  if (s.handover.notWaiting) out.push(`${name} hand-over: ${s.handover.notWaiting} hang-ups with nobody waiting (not counted)`);
  if (s.routing.unrouted) out.push(`${name} routing: ${s.routing.unrouted} callers never reached an agent`);
  for (const [w, n] of [['hold', s.hold.notes], ['routing', s.routing.notes], ['hand-over', s.handover.notes], ['overload', s.overload.notes]] as const) {
    for (const note of n) out.push(`${name} ${w}: ${note}`);
  }
  return out;
}

/** latest.* for a full run, quick.* for a quick one (a quick run never replaces the README's numbers); plus a dated copy. */
export function writeResults(r: Results, dir: string, readme: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const md = fullReport(r);
  const json = JSON.stringify(r, null, 2) + '\n';
  const base = r.mode === 'full' ? 'latest' : 'quick';
  const stamp = `${r.startedAt.replace(/[:.]/g, '-')}-${r.mode}`;
  const files = [`${base}.md`, `${base}.json`, `${stamp}.md`, `${stamp}.json`].map((f) => path.join(dir, f));
  fs.writeFileSync(files[0], md);
  fs.writeFileSync(files[1], json);
  fs.writeFileSync(files[2], md);
  fs.writeFileSync(files[3], json);
  if (r.mode === 'full') {
    updateReadme(readme, `Latest full run (${r.startedAt}) on ${machineLine(r)}:\n\n${summaryTable(r)}\n\n`
      + 'Ramp steps, configuration of both systems and how each number is measured: [bench/results/latest.md](bench/results/latest.md).');
    files.push(readme);
  }
  return files;
}

function updateReadme(file: string, body: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file} has no ${start} … ${end} section`);
  fs.writeFileSync(file, `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`);
}
