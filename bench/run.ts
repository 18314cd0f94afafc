// npm run bench [-- --quick] [-- --only <workload> [--no-wait] [--acd-only]] [-- --history] [-- --web] [-- --scale [--quick] [--out <name>] [--steps a:w:q,...] [--rewrite]]: the ACD and Asterisk's app_queue on the same local Asterisk, under the
// same sipp callers and the same sipp agent phones, one after the other; results in bench/results/
// and (full runs) in the README's Benchmark section.
//
// Order: Asterisk + Redis up → agent phones up → ACD controller up (it provisions the agents'
// PJSIP endpoints, which stay in Asterisk's astdb) → ACD workloads → controller down → Asterisk
// restarted → app_queue with those endpoints as members → app_queue workloads → everything down.
import fs from 'node:fs';
import path from 'node:path';
import { ACD_QUEUE, AcdSystem } from './acdSystem';
import { AppQueueSystem } from './appQueueSystem';
import { machine, REPO, restartAsterisk, startEnvironment, stopEnvironment } from './environment';
import { Params, paramsFor } from './params';
import { Phones, startPhones, stopPhones } from './phones';
import { Results, SystemResults, summaryTable, writeResults } from './report';
import { BenchSystem } from './system';
import * as w from './workloads';
import { historyBench } from './history';
import { runWebBench } from './web';
import { rewriteScale, scaleBench, stopScale } from './sim/scale';

const RESULTS = path.join(REPO, 'bench/results');
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

let current: BenchSystem | undefined;

const WORKLOADS = ['hold', 'routing', 'hand-over', 'overload', 'ramp'] as const;
type Workload = typeof WORKLOADS[number];

/** `--only <workload>`: warm-up and that one workload on both systems, printed, no result files (an experiment). */
function onlyArg(): Workload | undefined {
  const i = process.argv.indexOf('--only');
  if (i < 0) return undefined;
  const name = process.argv[i + 1] as Workload;
  if (!WORKLOADS.includes(name)) throw new Error(`--only takes one of ${WORKLOADS.join(', ')}`);
  return name;
}

async function only(sys: BenchSystem, p: Params, phones: Phones, workload: Workload): Promise<unknown> {
  current = sys;
  const ctx: w.Ctx = { p, phones, sys, log };
  await w.warmup(ctx);
  const fn = { hold: w.hold, routing: w.routing, 'hand-over': w.handover, overload: w.overload, ramp: w.ramp }[workload];
  const r = await fn(ctx);
  await sys.stop();
  current = undefined;
  return r;
}

async function phase(sys: BenchSystem, p: Params, phones: Phones): Promise<SystemResults> {
  current = sys;
  const ctx: w.Ctx = { p, phones, sys, log };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await fn();
    log(`${sys.name} ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  await step('warm-up', () => w.warmup(ctx));
  const hold = await step('hold (memory)', () => w.hold(ctx));
  const routing = await step('routing', () => w.routing(ctx));
  const handover = await step('hand-over', () => w.handover(ctx));
  const overload = await step('overload', () => w.overload(ctx));
  const ramp = await step('ramp', () => w.ramp(ctx));
  await sys.stop();
  current = undefined;
  return { hold, routing, handover, overload, ramp };
}

async function main(): Promise<void> {
  // the call history's reports on generated months: a benchmark of its own (PostgreSQL only)
  if (process.argv.includes('--history')) return historyBench(process.argv.includes('--quick'));
  // the web app's budgets alone: no app_queue comparison, no SIP (see bench/web.ts)
  if (process.argv.includes('--web')) { await runWebBench(); return; }
  // the controller and Redis at 10 … 10,000 agents against a simulated Asterisk (bench/sim/)
  if (process.argv.includes('--scale')) {
    const out = process.argv.indexOf('--out');
    if (process.argv.includes('--rewrite')) { rewriteScale(out > 0 ? process.argv[out + 1] : undefined); return; }
    const steps = process.argv.indexOf('--steps');
    return scaleBench(process.argv.includes('--quick'), out > 0 ? process.argv[out + 1] : undefined, steps > 0 ? process.argv[steps + 1] : undefined);
  }
  const p = paramsFor(process.argv.includes('--quick') ? 'quick' : 'full');
  // an experiment on a shared machine (with --only): no waiting for other work to calm down, no re-runs
  if (process.argv.includes('--no-wait')) p.waitForIdleMachine = false;
  const onlyWorkload = onlyArg();
  const startedAt = new Date().toISOString();
  const workDir = path.join(RESULTS, 'tmp'); // git-ignored: generated controller config and its log
  fs.mkdirSync(workDir, { recursive: true });
  // sipp's folders (scenarios, traces) too: the harness keeps them when the run fails (or ACD_SIPP_KEEP=1)
  process.env.TMPDIR = workDir;
  log(`${p.mode} run: starting the bench Asterisk and Redis`);
  startEnvironment();
  const phones = startPhones(p);
  try {
    if (onlyWorkload) {
      log(`${p.mode} parameters, ${onlyWorkload} only (no result files)`);
      const acd = await only(await AcdSystem.start(phones, workDir), p, phones, onlyWorkload);
      // --acd-only: the ACD's figures alone (a before/after of a change to the controller)
      const appQueue = process.argv.includes('--acd-only') ? undefined
        : (restartAsterisk(), await only(await AppQueueSystem.start(), p, phones, onlyWorkload));
      process.stdout.write(`\n${JSON.stringify({ acd, app_queue: appQueue }, null, 2)}\n`);
      return;
    }
    const m = await machine();
    log('ACD: starting the controller (it provisions the agent endpoints)');
    const acd = await phase(await AcdSystem.start(phones, workDir), p, phones);
    log('app_queue: Asterisk restarted, the same endpoints as queue members');
    restartAsterisk();
    const appQueue = await phase(await AppQueueSystem.start(), p, phones);
    const r: Results = {
      mode: p.mode, startedAt, finishedAt: new Date().toISOString(), machine: m, params: p,
      config: { acd: ACD_QUEUE, app_queue: section('asterisk-config/queues.conf', 'bench'), app_queue_dialplan: section('dialplan/extensions.conf', 'acd-bench-app-queue') },
      acd, app_queue: appQueue,
    };
    const files = writeResults(r, RESULTS, path.join(REPO, 'README.md'));
    process.stdout.write(`\n${summaryTable(r)}\n\nwritten: ${files.map((f) => path.relative(REPO, f)).join(', ')}\n`);
  } finally {
    await current?.stop().catch(() => undefined);
    await stopPhones(phones);
    stopEnvironment();
  }
}

/** A [section] of one of the repo's Asterisk config files, as the results document it. */
function section(file: string, name: string): string {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  return new RegExp(`^\\[${name}\\][^[]*`, 'm').exec(text)?.[0] ?? `(no [${name}] in ${file})`;
}

// An interrupted run still stops what it started (the harness kills its sipp processes at exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void (current?.stop() ?? Promise.resolve()).catch(() => undefined).finally(() => {
      // the scale bench runs none of the SIP environment: it stops only what it started
      if (process.argv.includes('--scale')) stopScale(); else stopEnvironment();
      process.exit(130);
    });
  });
}

// Exit explicitly: a client of a stopped Redis or Asterisk must not keep the process alive.
main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`[bench] failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
