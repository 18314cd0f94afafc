// npm run bench -- --scale [--quick] [--out <name>]: the real controller (dist/src/main.js) and a real
// Redis against the simulated Asterisk (bench/sim/ariSim.ts), from 10 agents and 10 waiting callers
// to 10,000 agents and 50,000 waiting callers. Results: bench/results/<name>.{json,md,svg}
// (name: scale, or scale-quick for --quick).
//
// Each step: a fresh Redis database and controller; the agents (each in up to 3 queues, half of them
// with the skill french:3) log in; callers arrive (one in ten needs french:2) until every agent is
// talking and `waiting` callers wait. Then, for `seconds`, agents hang up at `rate` per second, each
// replaced at once by a new caller of the same queue (the queues stay as full): every hang-up is a
// hand-over — that agent's next offer. Measured over that window only:
// - CPU of the controller and of Redis per offer (/proc), Redis commands per offer (INFO commandstats
//   deltas; commands run inside Lua scripts count, as Redis counts them) — everything the cycle
//   costs: the call's end, the new caller queued, the offer, its answer and bridge;
// - hand-over: the simulated phone's hang-up (its StasisEnd sent) → that agent's next originate
//   reaching the simulator;
// - the controller's resident memory and Redis's used_memory at the end of the window;
// - the event stream's lag: the age of the oldest event the metrics consumer group has not read yet,
//   sampled every 100 ms (0 when it has read everything).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import YAML from 'yaml';
import { cpuSeconds, rssBytes } from '../procstat';
import { summarize } from '../stats';
import { AriSim, SimChannel } from './ariSim';
import { scaleChart } from './chart';
import type { ScaleResults, Step, StepResult } from './results';

const REPO = path.resolve(__dirname, '../../..');
const RESULTS = path.join(REPO, 'bench/results');
const ADMIN_TOKEN = 'scale-bench-admin-token-0001';
const log = (line: string) => process.stdout.write(`[scale] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let current: ChildProcess | undefined;
let currentRedisPort: number | undefined;

/** An interrupted run (SIGINT/SIGTERM) stops the controller and the Redis it started. */
export function stopScale(): void {
  if (current && current.exitCode === null) current.kill('SIGKILL');
  if (currentRedisPort !== undefined) { try { redisScript('stop', currentRedisPort); } catch { /* at exit */ } }
}

export type { ScaleResults, Step, StepResult } from './results';

const FULL: Step[] = [
  { agents: 10, waiting: 10, queues: 1 },
  { agents: 100, waiting: 1000, queues: 10 },
  { agents: 1000, waiting: 10000, queues: 50 },
  { agents: 1000, waiting: 50000, queues: 5 },
  { agents: 10000, waiting: 50000, queues: 500 },
];
const QUICK: Step[] = [
  { agents: 10, waiting: 10, queues: 1 },
  { agents: 200, waiting: 2000, queues: 5 },
];

const queueId = (i: number) => `q${i}`;
const extensionOf = (i: number) => `7${String(i).padStart(4, '0')}`;
const agentId = (i: number) => `a${i}`;
/** Every tenth caller needs french at level 2; half the agents have it at 3. */
const callerSkills = (n: number) => (n % 10 === 0 ? 'french:2' : '');

function queuesOf(i: number, queues: number): number[] {
  const k = Math.min(3, queues);
  const stride = Math.max(1, Math.floor(queues / k));
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add((i + j * stride) % queues);
  return [...out];
}

/** `--scale --rewrite [--out name]`: the table, chart (and for `scale`, the README) again from the kept JSON. */
export function rewriteScale(name = 'scale'): void {
  const read = (n: string) => JSON.parse(fs.readFileSync(path.join(RESULTS, `${n}.json`), 'utf8')) as ScaleResults;
  const out = read(name);
  const before = name === 'scale' && fs.existsSync(path.join(RESULTS, 'scale-before.json')) ? read('scale-before') : undefined;
  fs.writeFileSync(path.join(RESULTS, `${name}.md`), `${scaleTable(out)}\n`);
  fs.writeFileSync(path.join(RESULTS, `${name}.svg`), scaleChart(out, before));
  if (name === 'scale') updateReadme(out, before);
}

/** `steps`: "agents:waiting:queues,..." instead of the mode's steps (an experiment). */
export async function scaleBench(quick: boolean, outName?: string, stepsArg?: string): Promise<void> {
  const steps = stepsArg
    ? stepsArg.split(',').map((x) => { const [agents, waiting, queues] = x.split(':').map(Number); return { agents, waiting, queues }; })
    : quick ? QUICK : FULL;
  const rate = quick ? 30 : 40;
  const seconds = quick ? 8 : 12;
  const name = outName ?? (quick ? 'scale-quick' : 'scale');
  const redisPort = Number(process.env.BENCH_SCALE_REDIS_PORT ?? 6397);
  const workDir = path.join(RESULTS, 'tmp');
  fs.mkdirSync(workDir, { recursive: true });
  const startedAt = new Date().toISOString();
  redisScript('start', redisPort);
  currentRedisPort = redisPort;
  const redis = new Redis(`redis://127.0.0.1:${redisPort}`);
  const results: StepResult[] = [];
  try {
    for (const step of steps) {
      log(`step: ${step.agents} agents, ${step.waiting} waiting, ${step.queues} queues (load average ${os.loadavg()[0].toFixed(2)})`);
      const r = await runStep(step, redis, workDir, rate, seconds);
      results.push(r);
      log(`  ${r.offers} offers; hand-over p50/p99 ${r.handovers?.p50}/${r.handovers?.p99} ms; controller ${r.controllerCpuMsPerOffer.toFixed(2)} ms + Redis ${r.redisCpuMsPerOffer.toFixed(2)} ms CPU and ${r.redisCommandsPerOffer.toFixed(1)} Redis commands per offer`);
      log(`  per offer: Redis ${JSON.stringify(r.redisTopCommands)}; ARI requests ${r.ariRequestsPerOffer} ${JSON.stringify(r.ariRequestsByRoute)}; ARI events ${JSON.stringify(r.ariEventsPerOffer)}`);
    }
  } finally {
    redis.disconnect();
    redisScript('stop', redisPort);
  }
  const out: ScaleResults = {
    mode: quick ? 'quick' : 'full', label: name, commit: gitCommit(), startedAt, finishedAt: new Date().toISOString(),
    machine: { nproc: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', node: process.version },
    params: { rate, seconds }, steps: results,
  };
  fs.writeFileSync(path.join(RESULTS, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS, `${name}.md`), `${scaleTable(out)}\n`);
  const before = name === 'scale' && fs.existsSync(path.join(RESULTS, 'scale-before.json'))
    ? JSON.parse(fs.readFileSync(path.join(RESULTS, 'scale-before.json'), 'utf8')) as ScaleResults : undefined;
  fs.writeFileSync(path.join(RESULTS, `${name}.svg`), scaleChart(out, before));
  if (name === 'scale') updateReadme(out, before);
  process.stdout.write(`\n${scaleTable(out)}\n\nwritten: bench/results/${name}.{json,md,svg}\n`);
}

async function runStep(step: Step, redis: Redis, workDir: string, rate: number, seconds: number): Promise<StepResult> {
  const loadBefore = os.loadavg()[0];
  await redis.flushall();
  const sim = new AriSim();
  const simPort = await sim.start();
  const configFile = path.join(workDir, 'scale.yaml');
  const agents = Array.from({ length: step.agents }, (_, i) => ({
    id: agentId(i), name: agentId(i), queues: queuesOf(i, step.queues).map(queueId),
    skills: i % 2 === 0 ? { french: 3 } : {},
    phone: { mode: 'static', contact: `sip:${agentId(i)}@127.0.0.1:5999` },
  }));
  const queues = Array.from({ length: step.queues }, (_, i) => ({
    id: queueId(i), name: `Queue ${i}`, extension: extensionOf(i), strategy: 'longest-idle', ringTimeoutSec: 20,
    wrapUp: { sec: 0 }, callbacks: { enabled: false }, recording: { policy: 'none' },
  }));
  fs.writeFileSync(configFile, YAML.stringify({ queues, agents }));
  const port = await freeTcpPort();
  const api = `http://127.0.0.1:${port}/api/v1`;
  const controllerLog = fs.openSync(path.join(workDir, 'scale-controller.log'), 'w');
  const t0 = Date.now();
  const nodeArgs = (process.env.BENCH_CONTROLLER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = current = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'dist/src/main.js')], {
    env: {
      PATH: process.env.PATH, ARI_URL: `http://127.0.0.1:${simPort}`, ARI_PASSWORD: 'scale-sim',
      REDIS_URL: `redis://127.0.0.1:${(redis.options.port ?? 6397)}`, ACD_CONFIG: configFile, ACD_KEY_PREFIX: 'scale:',
      ACD_HTTP_PORT: String(port), ACD_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: process.env.BENCH_CONTROLLER_LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json',
    },
    stdio: ['ignore', controllerLog, controllerLog],
  });
  fs.closeSync(controllerLog);
  try {
    await until(async () => {
      if (proc.exitCode !== null) throw new Error(`the controller exited with ${proc.exitCode}; see bench/results/tmp/scale-controller.log`);
      return (await fetch(`${api}/health`).then((r) => r.status, () => 0)) === 200 && sim.clients > 0;
    }, 120_000, 'the controller was not healthy and connected');
    // provisioned: every agent's endpoint pushed, and the reconcile's requests over
    await until(async () => sim.endpoints >= step.agents, 600_000, 'agents provisioned');
    await quiet(() => sim.requests, 1000);
    const tStarted = Date.now();

    // the phones: every originate is answered at once; a leg is "talking" once bridged
    const talking = new Map<string, SimChannel>();    // agentId → its channel
    const hungUpAt = new Map<string, number>();        // agentId → when its phone hung up
    const samples: number[] = [];
    let offers = 0;
    sim.on('originate', (ch: SimChannel, at: number) => {
      offers++;
      const since = hungUpAt.get(ch.agentId!);
      if (since !== undefined) { samples.push(at - since); hungUpAt.delete(ch.agentId!); }
      setImmediate(() => sim.answer(ch.id));
    });
    sim.on('bridged', (ch: SimChannel) => { if (ch.agentId) talking.set(ch.agentId, ch); else waitingHere.delete(ch.id); });
    // the callers waiting, as the simulator sees them: answered with music, not bridged, not gone
    const waitingHere = new Set<string>();
    sim.on('moh', (ch: SimChannel) => { if (!ch.agentId && !ch.bridgeId) waitingHere.add(ch.id); });
    sim.on('gone', (ch: SimChannel) => { waitingHere.delete(ch.id); if (ch.agentId && talking.get(ch.agentId)?.id === ch.id) talking.delete(ch.agentId); });

    await inBatches(agents.map((a) => a.id), async (id) => {
      const res = await fetch(`${api}/agents/${id}/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
      if (!res.ok) throw new Error(`login ${id}: ${res.status} ${await res.text()}`);
    }, 16);
    const tLoggedIn = Date.now();

    // fill: agents + waiting callers, at most 200 not yet queued at a time; a caller the controller
    // fails to take (it shows in its log) would hold a place for ever: the fill ends when nothing
    // has moved for 15 s, and the step goes on with what there is
    const waitingKeys = queues.map((q) => `scale:queue:${q.id}:waiting`);
    const waitingInRedis = async () => {
      const p = redis.pipeline();
      for (const k of waitingKeys) p.zcard(k);
      return ((await p.exec()) ?? []).reduce((s, [, v]) => s + Number(v), 0);
    };
    const total = step.agents + step.waiting;
    let made = 0;
    let lastProgress = Date.now();
    let lastIn = 0;
    while (made < total || talking.size + waitingHere.size < total) {
      const inQueue = waitingHere.size + talking.size;
      if (inQueue !== lastIn) { lastIn = inQueue; lastProgress = Date.now(); }
      if (Date.now() - lastProgress > 15_000) { log(`  fill stalled at ${inQueue} of ${total} callers in place: going on with what there is`); break; }
      const room = Math.min(total - made, 200 - (made - inQueue));
      for (let i = 0; i < room; i++, made++) sim.newCaller(extensionOf(made % step.queues), callerSkills(made));
      await sleep(10);
    }
    await quiet(() => sim.requests, 1000);
    const tFilled = Date.now();
    const actual = { talking: talking.size, waiting: await waitingInRedis() };
    log(`  set up: started ${((tStarted - t0) / 1000).toFixed(1)} s, logged in ${((tLoggedIn - tStarted) / 1000).toFixed(1)} s, filled ${((tFilled - tLoggedIn) / 1000).toFixed(1)} s (${actual.talking} talking, ${actual.waiting} waiting)`);

    // the measured window
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    const stats0 = commandStats(await redis.info('commandstats'));
    const routes0 = new Map(sim.requestsByRoute);
    const events0 = new Map(sim.eventsByType);
    const cpu0 = { c: cpuSeconds(proc.pid!), r: cpuSeconds(redisPid) };
    offers = 0;
    samples.length = 0;
    hungUpAt.clear();
    const lags: number[] = [];
    // the simulator runs in this process: a delay of its own event loop would count in the hand-over
    const simLoop = monitorEventLoopDelay({ resolution: 5 });
    simLoop.enable();
    const lagTimer = setInterval(() => void eventLag(redis, 'scale:events').then((l) => { if (l !== undefined) lags.push(l); }), 100);
    const ticks = Math.round(rate * seconds);
    const tick = 1000 / rate;
    const w0 = performance.now();
    for (let i = 0; i < ticks; i++) {
      const due = w0 + i * tick;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const ids = [...talking.keys()].filter((a) => !hungUpAt.has(a));
      if (!ids.length) continue;
      const a = ids[Math.floor(Math.random() * ids.length)];
      const ch = talking.get(a)!;
      talking.delete(a);
      const callerId = ch.args[1];
      const extension = sim.channels.get(callerId)?.args[1] ?? extensionOf(0);
      hungUpAt.set(a, performance.now());
      sim.hangupFromPhone(ch.id);
      sim.newCaller(extension, callerSkills(i));
    }
    await sleep(1000);
    clearInterval(lagTimer);
    simLoop.disable();
    const cpu1 = { c: cpuSeconds(proc.pid!), r: cpuSeconds(redisPid) };
    const stats1 = commandStats(await redis.info('commandstats'));
    const n = Math.max(1, offers);
    const delta: Record<string, number> = {};
    for (const [cmd, calls] of Object.entries(stats1)) delta[cmd] = calls - (stats0[cmd] ?? 0);
    delete delta.info;   // our own sampling
    delete delta.zcard;
    delete delta.xinfo;
    delete delta.xrange;
    const commands = Object.values(delta).reduce((a, b) => a + b, 0);
    const top = Object.fromEntries(Object.entries(delta).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, Math.round((v / n) * 10) / 10]));
    const redisUsed = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const perOffer = (now: Map<string, number>, before: Map<string, number>) => Object.fromEntries([...now]
      .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round((v / n) * 100) / 100]));
    const ariRequestsByRoute = perOffer(sim.requestsByRoute, routes0);
    return {
      ...step, queuesPerAgent: Math.min(3, step.queues), offers,
      handovers: summarize(samples), handoversMissing: hungUpAt.size,
      controllerCpuMsPerOffer: ((cpu1.c - cpu0.c) * 1000) / n,
      redisCpuMsPerOffer: ((cpu1.r - cpu0.r) * 1000) / n,
      redisCommandsPerOffer: commands / n,
      redisTopCommands: top,
      ariRequestsPerOffer: Math.round(Object.values(ariRequestsByRoute).reduce((a, b) => a + b, 0) * 100) / 100,
      ariRequestsByRoute,
      ariEventsPerOffer: perOffer(sim.eventsByType, events0),
      controllerRssMiB: rssBytes(proc.pid!) / 2 ** 20,
      redisUsedMiB: redisUsed / 2 ** 20,
      eventLagMs: summarize(lags),
      simLoopDelayMs: { p50: simLoop.percentile(50) / 1e6, p99: simLoop.percentile(99) / 1e6, max: simLoop.max / 1e6 },
      setupSec: { start: (tStarted - t0) / 1000, login: (tLoggedIn - tStarted) / 1000, fill: (tFilled - tLoggedIn) / 1000 },
      actual,
      loadAvg: { before: loadBefore, after: os.loadavg()[0] },
      unsupported: Object.fromEntries(sim.unsupported),
    };
  } finally {
    await stopProcess(proc);
    await sim.stop();
  }
}

/** The age of the oldest event the metrics consumer group has not read, 0 when it has read all. */
async function eventLag(redis: Redis, key: string): Promise<number | undefined> {
  try {
    const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
    let oldest: number | undefined;
    for (const g of groups) {
      const f: Record<string, unknown> = {};
      for (let i = 0; i < g.length; i += 2) f[String(g[i])] = g[i + 1];
      const next = await redis.xrange(key, `(${String(f['last-delivered-id'])}`, '+', 'COUNT', 1);
      if (next.length) {
        const at = Number(next[0][0].split('-')[0]);
        oldest = oldest === undefined ? at : Math.min(oldest, at);
      }
    }
    return oldest === undefined ? 0 : Math.max(0, Date.now() - oldest);
  } catch {
    return undefined;
  }
}

function commandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

export function scaleTable(r: ScaleResults): string {
  const f = (v: number | undefined, d = 1) => (v === undefined ? '–' : v.toFixed(d));
  const int = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `Scale benchmark (${r.mode}, ${r.label}, commit ${r.commit}): ${r.machine.nproc} × ${r.machine.cpuModel}, Node ${r.machine.node}; `
      + `${r.params.rate} hand-overs/s for ${r.params.seconds} s per step; ${r.startedAt}`,
    '',
    '| agents | waiting | queues | offers | hand-over p50 / p99 ms | controller CPU ms / offer | Redis CPU ms / offer | Redis commands / offer | controller RSS MiB | Redis used MiB | event lag p99 ms | load avg |',
    '| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.steps.map((s) => {
      // no offer in the window: per-offer figures would divide by nothing
      const per = (v: number, d: number) => (s.offers ? f(v, d) : '–');
      return `| ${int(s.agents)} | ${int(s.actual.waiting)} | ${s.queues} | ${s.offers} | ${f(s.handovers?.p50)} / ${f(s.handovers?.p99)}`
        + `${s.handoversMissing ? ` (${s.handoversMissing} of ${s.offers + s.handoversMissing} hang-ups not re-offered)` : ''} | ${per(s.controllerCpuMsPerOffer, 2)} | ${per(s.redisCpuMsPerOffer, 2)} | ${per(s.redisCommandsPerOffer, 1)} `
        + `| ${f(s.controllerRssMiB, 0)} | ${f(s.redisUsedMiB, 0)} | ${f(s.eventLagMs?.p99)} | ${f(s.loadAvg.before, 2)} |`;
    }),
    '',
    'Hand-over: the phone hangs up → that agent\'s next originate reaches the simulator. "Not re-offered": the agent got no offer before the window closed (+1 s). '
      + 'Per offer: all the controller\'s and Redis\'s CPU and Redis\'s commands in the window, over the offers made in it. Load avg: the machine\'s 1-minute load average as the step began (2 cores, shared).',
  ];
  return lines.join('\n');
}

/** The README's scale table (between its markers): the full run's, with the earlier run's beside it. */
function updateReadme(r: ScaleResults, before?: ScaleResults): void {
  const file = path.join(REPO, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const start = '<!-- scale:start -->';
  const end = '<!-- scale:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const body = [scaleTable(r), '', ...(before ? ['Before bounded offers (the dispatcher read every waiting entry, its facts and every ready agent per run):', '', scaleTable(before), ''] : []),
    '![Cost per offer against size](bench/results/scale.svg)'].join('\n');
  fs.writeFileSync(file, `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`);
}

function redisScript(cmd: 'start' | 'stop', port: number): void {
  execFileSync('bash', [path.join(REPO, 'scripts/redis.sh'), cmd], { env: { ...process.env, ACD_REDIS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
}

function gitCommit(): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim(); } catch { return '?'; }
}

async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/** Until a counter has not moved for `ms`. */
async function quiet(counter: () => number, ms: number): Promise<void> {
  let last = counter();
  let since = Date.now();
  while (Date.now() - since < ms) {
    await sleep(100);
    const now = counter();
    if (now !== last) { last = now; since = Date.now(); }
  }
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>, size: number): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
