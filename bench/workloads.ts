// The measured workloads. Each one is system-agnostic: it picks the agents that take calls, runs sipp
// callers against the bench Asterisk, waits until every call is over, and derives its numbers from
// the sipp message traces of the callers and of the agent phones (microsecond timestamps, one clock).
import { SippProcess, startCaller } from '../test/e2e/harness/sipp';
import { ari, BENCH, channelCount, drained, sleep } from './environment';
import type { Params } from './params';
import type { PhonePool, Phones } from './phones';
import os from 'node:os';
import path from 'node:path';
import { busyCores, cpuSample, cpuSeconds, machineCpu, pidsWith, reapedChildrenCpuSeconds } from './procstat';
import { peakOverlap, summarize, Summary } from './stats';
import { BenchSystem, EXTENSION } from './system';
import { agentSideKey, callerSideKeys, earliestByKey, firstPerCall, lookup, newCalls, readTrace, SipMessage } from './traces';

export interface Ctx { p: Params; phones: Phones; sys: BenchSystem; log: (line: string) => void }

interface CallerRun {
  caller: SipMessage[]; // the callers' trace
  agent: SipMessage[]; // the pool's phone trace over the same time
  notes: string[]; // anything that went wrong outside the traces (stuck calls, sipp killed)
}

let processTag = 0;

/** Cores of someone else's work (other people's tests on a shared machine) above which we wait, or retry. */
const QUIET_CORES = 0.3;

/**
 * Before callers start, wait (at most 30 s) until the machine is nearly idle: between workloads
 * nothing of ours is busy, so whatever keeps the CPU busy is someone else's.
 */
async function quietMachine(ctx: Ctx): Promise<void> {
  if (!ctx.p.waitForIdleMachine) return;
  let cores = await busyCores(300);
  if (cores <= QUIET_CORES) return;
  ctx.log(`  the machine is busy with other work (${cores.toFixed(2)} cores): waiting up to 30 s`);
  const deadline = Date.now() + 30_000;
  while (cores > QUIET_CORES && Date.now() < deadline) cores = await busyCores(1000);
}

/** Calls per second of one call every periodMs, to one decimal. */
export const cps = (periodMs: number) => Math.round(10_000 / periodMs) / 10;

/**
 * `calls` callers, one every `rateMs`; each hangs up by itself `patienceMs` after Asterisk answered
 * it unless the far end (the agent, through Asterisk) ended the call first. Every caller has its own
 * number, +1555<process tag><n>, and its own Call-ID: what matches its INVITE to the agent's INVITE.
 */
async function runCallers(
  ctx: Ctx, pool: PhonePool, o: { calls: number; rateMs: number; patienceMs: number },
  hooks: { during?: (caller: SippProcess) => Promise<void>; callersDone?: () => void | Promise<void> } = {},
): Promise<CallerRun> {
  await quietMachine(ctx);
  const number = `+1555${String(++processTag).padStart(3, '0')}[call_number]`;
  pool.trace.mark();
  const caller = startCaller({
    extension: EXTENSION,
    callerNumber: ctx.sys.callerUser(number),
    callerName: number,
    asteriskPort: BENCH.sipPort,
    hangupAfterMs: o.patienceMs,
    calls: o.calls,
    rateMs: o.rateMs,
  });
  const notes: string[] = [];
  if (hooks.during) await hooks.during(caller);
  const limitMs = (o.calls - 1) * o.rateMs + o.patienceMs + 30_000;
  await finishCallers([caller], limitMs, notes, hooks.callersDone);
  return collect(pool, [caller], notes);
}

/**
 * Callers whose arrivals follow a schedule: one sipp process (one call) per caller, started
 * `gapsMs[i]` after the previous one (gaps measured from one clock, so spawn delays do not add up).
 * The traces give the INVITEs' real times; only the schedule, not the spawn, sets the gaps.
 */
async function runScheduledCallers(ctx: Ctx, pool: PhonePool, o: { gapsMs: number[]; patienceMs: number }): Promise<CallerRun> {
  await quietMachine(ctx);
  const tag = String(++processTag).padStart(3, '0');
  pool.trace.mark();
  const callers: SippProcess[] = [];
  const t0 = Date.now();
  let due = 0;
  for (const [i, gap] of o.gapsMs.entries()) {
    due += gap;
    await sleep(Math.max(0, t0 + due - Date.now()));
    const number = `+1555${tag}${String(i + 1).padStart(4, '0')}`;
    callers.push(startCaller({
      extension: EXTENSION, callerNumber: ctx.sys.callerUser(number), callerName: number,
      asteriskPort: BENCH.sipPort, hangupAfterMs: o.patienceMs, calls: 1,
    }));
  }
  const notes: string[] = [];
  await finishCallers(callers, o.patienceMs + 30_000, notes);
  return collect(pool, callers, notes);
}

/**
 * Waits for the callers' sipp processes (killed after limitMs), calls `callersDone`, then waits
 * until Asterisk has no channel left.
 */
async function finishCallers(callers: SippProcess[], limitMs: number, notes: string[], callersDone?: () => void | Promise<void>): Promise<void> {
  const results = await Promise.all(callers.map((c) => c.wait(limitMs).catch(async (err: Error) => { notes.push(err.message.split('\n')[0]); return c.stop(); })));
  await callersDone?.();
  // sipp's stderr also tells of expected things (a caller whose patience ran out jumps to its
  // hang-up); failed calls are counted from the traces, so only other complaints are kept
  const complaints = results.flatMap((r) => r.stderr.split('\n')).filter((l) => l.trim() && !/^Resolving remote host|jumping to label|There were more errors/.test(l));
  if (complaints.length) notes.push(`caller sipp: ${complaints[0]}`);
  await drained(30_000).catch(async (err: Error) => {
    notes.push(err.message);
    const left = await ari<{ id: string }[]>('GET', '/channels');
    await Promise.all(left.map((c) => ari('DELETE', `/channels/${c.id}`).catch(() => undefined)));
    await drained(10_000);
  });
}

function collect(pool: PhonePool, callers: SippProcess[], notes: string[]): CallerRun {
  const caller = callers.flatMap((c) => readTrace(c.file('messages.log'))).sort((a, b) => a.at - b.at);
  return { caller, agent: pool.trace.read(), notes };
}

/** Caller INVITE sent → that caller's first INVITE at an agent phone (ms), and how many callers never reached one. */
function routingLatencies(run: CallerRun): { samples: number[]; unrouted: number } {
  const atAgent = earliestByKey(newCalls(run.agent, 'received'));
  const samples: number[] = [];
  let unrouted = 0;
  for (const inv of newCalls(run.caller, 'sent')) {
    const t = lookup(atAgent, inv);
    if (t === undefined) unrouted++;
    else samples.push(t - inv.at);
  }
  return { samples, unrouted };
}

/**
 * Calls that did not go as a served call goes: the caller must get the far end's BYE (the agent
 * hung up after talking), and every agent dialog must end with the agent's BYE answered.
 */
function failures(run: CallerRun): { started: number; callerFailed: number; agentFailed: number } {
  const started = newCalls(run.caller, 'sent');
  const servedCalls = firstPerCall(run.caller, (m) => m.dir === 'received' && m.method === 'BYE');
  const agentCalls = newCalls(run.agent, 'received');
  const agentDone = firstPerCall(run.agent, (m) => (m.dir === 'received' && m.status === 200 && m.cseqMethod === 'BYE') || (m.dir === 'received' && m.method === 'BYE'));
  return {
    started: started.length,
    callerFailed: started.filter((m) => !servedCalls.has(m.callId)).length,
    agentFailed: agentCalls.filter((m) => !agentDone.has(m.callId)).length,
  };
}

// --- workloads -------------------------------------------------------------------------------

export async function warmup(ctx: Ctx): Promise<void> {
  await ctx.sys.useAgents(ctx.phones.routing.agentIds);
  await runCallers(ctx, ctx.phones.routing, { calls: ctx.p.warmup.calls, rateMs: ctx.p.warmup.rateMs, patienceMs: 30_000 });
}

export interface HoldResult { waiting: number; bytesPerCaller: Record<string, number>; notes: string[] }

/** No agent takes calls: N callers wait (answered, music on hold); memory before and with them. */
export async function hold(ctx: Ctx): Promise<HoldResult> {
  const { callers, rateMs, settleMs } = ctx.p.hold;
  await ctx.sys.useAgents([]);
  await sleep(500);
  const before = await ctx.sys.memory();
  let after: Record<string, number> = {};
  let waiting = 0;
  const arrivalMs = (callers - 1) * rateMs;
  const run = await runCallers(ctx, ctx.phones.routing, { calls: callers, rateMs, patienceMs: arrivalMs + settleMs + 1500 }, { during: async () => {
    const deadline = Date.now() + arrivalMs + 10_000;
    while ((waiting = await channelCount()) < callers && Date.now() < deadline) await sleep(100);
    await sleep(settleMs); // every caller queued, answered and hearing music
    waiting = await channelCount();
    after = await ctx.sys.memory();
  } });
  const bytesPerCaller = Object.fromEntries(Object.keys(before).map((k) => [k, Math.round((after[k] - before[k]) / waiting)]));
  return { waiting, bytesPerCaller, notes: run.notes };
}

export interface RoutingResult { calls: number; unrouted: number; latency: Summary | null; notes: string[] }

/** Idle agents, modest rate: caller INVITE sent → agent INVITE received. */
export async function routing(ctx: Ctx): Promise<RoutingResult> {
  const { calls, rateMs } = ctx.p.routing;
  await ctx.sys.useAgents(ctx.phones.routing.agentIds);
  const run = await runCallers(ctx, ctx.phones.routing, { calls, rateMs, patienceMs: 30_000 });
  const { samples, unrouted } = routingLatencies(run);
  return { calls: newCalls(run.caller, 'sent').length, unrouted, latency: summarize(samples), notes: run.notes };
}

export interface HandoverResult { callers: number; latency: Summary | null; notWaiting: number; notes: string[] }

/**
 * Uniform numbers in [0, 1) from a fixed seed (mulberry32): both systems get the same sequence,
 * so the same arrival times.
 */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One agent, callers waiting: the agent's BYE sent → the next INVITE received by the same phone.
 * Only hand-overs to a caller who was already waiting at the BYE count (`notWaiting` the others).
 *
 * Arrivals are random, one caller every U(0, 1 s): app_queue does not react to the agent becoming
 * free; each waiting caller looks for a free member once a second, counted from when it joined the
 * queue (app_queue.c: wait_our_turn() polls every RECHECK = 1 s; the head caller's retry loop waits
 * `retry` whole seconds). Its hand-over latency is therefore (arrival gap − call length) mod 1 s:
 * with callers arriving at a fixed rate every hand-over took the same time (250 ms calls: ~750 ms;
 * 550 ms calls: ~450 ms), an artefact of the timing. Gaps spread uniformly over one second give
 * app_queue a uniformly random phase. The agent talks longer than the longest gap (talkMs ≥ 1 s),
 * so the next caller is already waiting at each hang-up, with either system.
 *
 * The callers come in rounds of `perRound` (one sipp process per caller, as the gaps are random,
 * and sipp processes share a limited range of RTP ports); each round starts with the agent free.
 */
export async function handover(ctx: Ctx): Promise<HandoverResult> {
  const { callers, perRound, talkMs, seed } = ctx.p.handover;
  const pool = ctx.phones.handover;
  await ctx.sys.useAgents(pool.agentIds);
  const random = seededRandom(seed);
  const samples: number[] = [];
  const notes: string[] = [];
  let notWaiting = 0;
  for (let first = 0; first < callers; first += perRound) {
    const n = Math.min(perRound, callers - first);
    const patienceMs = n * (talkMs + ctx.p.answerAfterMs + 1500) + 10_000;
    const gapsMs = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : Math.floor(random() * 1000)));
    const run = await runScheduledCallers(ctx, pool, { gapsMs, patienceMs });
    const r = handovers(run);
    samples.push(...r.samples);
    notWaiting += r.notWaiting;
    notes.push(...run.notes);
  }
  return { callers, latency: summarize(samples), notWaiting, notes };
}

/** Each agent BYE → the phone's next INVITE, if that caller was waiting at the BYE. */
function handovers(run: CallerRun): { samples: number[]; notWaiting: number } {
  const arrived = new Map<string, number>();
  for (const m of newCalls(run.caller, 'sent')) for (const k of callerSideKeys(m)) arrived.set(k, m.at);
  const byes = [...firstPerCall(run.agent, (m) => m.dir === 'sent' && m.method === 'BYE').values()].map((m) => m.at).sort((a, b) => a - b);
  const invites = newCalls(run.agent, 'received').sort((a, b) => a.at - b.at);
  const samples: number[] = [];
  let notWaiting = 0;
  for (const bye of byes) {
    const next = invites.find((m) => m.at > bye);
    if (!next) continue; // the last call
    const since = arrived.get(agentSideKey(next.from) ?? '');
    if (since !== undefined && since < bye) samples.push(next.at - bye);
    else notWaiting++;
  }
  return { samples, notWaiting };
}

export interface OverloadResult { agents: number; rateCps: number; calls: number; served: number; wait: Summary | null; servedPerSec: number; notes: string[] }

/** More callers than the agents can take: caller INVITE sent → agent's 200 OK sent (the wait a caller feels). */
export async function overload(ctx: Ctx): Promise<OverloadResult> {
  const { agents, rateCps, seconds } = ctx.p.overload;
  const pool = ctx.phones.ramp;
  await ctx.sys.useAgents(pool.agentIds.slice(0, agents));
  const run = await runCallers(ctx, pool, { calls: rateCps * seconds, rateMs: 1000 / rateCps, patienceMs: 180_000 });
  const answered = earliestByKey([...firstPerCall(run.agent, (m) => m.dir === 'sent' && m.status === 200 && m.cseqMethod === 'INVITE').values()]);
  const invites = newCalls(run.caller, 'sent');
  const waits = invites.flatMap((m) => { const t = lookup(answered, m); return t === undefined ? [] : [t - m.at]; });
  const first = Math.min(...invites.map((m) => m.at));
  const last = Math.max(...answered.values());
  return {
    agents, rateCps, calls: invites.length, served: waits.length, wait: summarize(waits),
    servedPerSec: Math.round((waits.length / ((last - first) / 1000)) * 10) / 10, notes: run.notes,
  };
}

export interface RampStep {
  /** 'sustained', or why not */
  verdict: string;
  /** Runs of this step: a step that was not sustained while other work shared the machine is run again (up to 3 times). */
  attempts: number;
  rateCps: number; calls: number; callerFailed: number; agentFailed: number;
  routing: Summary | null; peakConcurrent: number; notes: string[];
  /** CPU seconds per process while the step's callers ran. */
  cpuSeconds: Record<string, number>;
  /** Commands the system's Redis ran while the step's callers ran, by command (systems with a Redis). */
  redisCommands?: Record<string, number>;
  /**
   * Cores in use while the step's callers ran: the system's processes, the load generators (sipp,
   * this benchmark), anything else on the machine (`other`), and the whole machine.
   */
  cores: Record<string, number>;
}
export interface RampResult {
  steps: RampStep[]; sustainedCps: number; peakConcurrentAtSustained: number; routingAtSustained: Summary | null;
  /** CPU ms per call over the sustained steps. */
  cpuMsPerCall: Record<string, number>;
  /**
   * The highest rate of the ramp had its bar been routing p99 < STRICT_ROUTING_P99_MS: every step up
   * to it sustained with that p99 (0 when the first step missed it); routing at that rate.
   */
  strictSustainedCps?: number;
  routingAtStrict?: Summary | null;
  /** Redis commands per call over the sustained steps: all of them, and the most frequent by command. */
  redisCommandsPerCall?: { total: number; byCommand: Record<string, number> };
}

/** The stricter bar the ramp is also read against (routing p99 in ms), beside its own maxRoutingP99Ms. */
export const STRICT_ROUTING_P99_MS = 50;

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * CPU seconds so far of the system's processes, of the load generators (our sipp processes, alive
 * or exited, and this benchmark process) and of the whole machine (busy time of all cores).
 */
function cpuNow(pids: Record<string, number>): Record<string, number> {
  const sipp = pidsWith(path.join(os.tmpdir(), 'acd-sipp-')).reduce((t, pid) => { try { return t + cpuSeconds(pid); } catch { return t; } }, 0);
  return { ...cpuSample(pids), generators: sipp + reapedChildrenCpuSeconds() + cpuSeconds(process.pid), machine: machineCpu().busy };
}

/**
 * Rising rates with plenty of agents, each step `stepSeconds` long, until a step is not sustained:
 * a failed call (a caller not connected to an agent within the patience, or a call that did not
 * end normally), or routing p99 over the limit.
 */
export async function ramp(ctx: Ctx): Promise<RampResult> {
  await ctx.sys.useAgents(ctx.phones.ramp.agentIds.slice(0, ctx.p.ramp.agents));
  const steps: RampStep[] = [];
  for (const periodMs of ctx.p.ramp.periodsMs) {
    let step: RampStep;
    for (let attempt = 1; ; attempt++) {
      step = { ...(await rampStep(ctx, periodMs)), attempts: attempt };
      ctx.log(`  ${step.rateCps} cps: ${step.verdict}, ${step.calls} calls, failed ${step.callerFailed} (caller side) + ${step.agentFailed} (agent side), `
        + `routing p99 ${step.routing?.p99 ?? '-'} ms, peak ${step.peakConcurrent} concurrent, cores ${JSON.stringify(step.cores)}`);
      if (step.verdict === 'sustained' || step.cores.other <= QUIET_CORES || attempt === 3 || !ctx.p.waitForIdleMachine) break;
      ctx.log('  other work shared the machine during that step: running it again');
    }
    steps.push(step);
    if (step.verdict !== 'sustained') break;
  }
  const ok = steps.filter((s) => s.verdict === 'sustained');
  const best = ok[ok.length - 1];
  const calls = ok.reduce((n, s) => n + s.calls, 0);
  // as if the ramp had stopped at the first step over the stricter bar
  const firstOver = ok.findIndex((s) => !s.routing || s.routing.p99 >= STRICT_ROUTING_P99_MS);
  const strict = firstOver < 0 ? best : ok[firstOver - 1];
  return {
    steps,
    sustainedCps: best?.rateCps ?? 0,
    peakConcurrentAtSustained: best?.peakConcurrent ?? 0,
    routingAtSustained: best?.routing ?? null,
    strictSustainedCps: strict?.rateCps ?? 0,
    routingAtStrict: strict?.routing ?? null,
    cpuMsPerCall: Object.fromEntries(Object.keys(ctx.sys.cpuPids()).map((k) => [k, round2((ok.reduce((t, s) => t + s.cpuSeconds[k], 0) * 1000) / calls)])),
    ...(ctx.sys.redisCommands ? { redisCommandsPerCall: perCall(ok.map((s) => s.redisCommands ?? {}), calls) } : {}),
  };
}

/** Commands per call summed over steps: the total, and the ten most frequent by command. */
function perCall(counts: Record<string, number>[], calls: number): { total: number; byCommand: Record<string, number> } {
  const sum: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  const total = Object.values(sum).reduce((a, b) => a + b, 0);
  const top = Object.entries(sum).sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { total: calls ? round2(total / calls) : 0, byCommand: Object.fromEntries(top.map(([k, v]) => [k, calls ? round2(v / calls) : 0])) };
}

/** What changed between two samples of a counter map (a key new in `after` counts from 0). */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
}

/** One ramp step; CPU is sampled around its callers (not the drain after them). */
async function rampStep(ctx: Ctx, periodMs: number): Promise<Omit<RampStep, 'attempts'>> {
  const { stepSeconds, patienceMs, maxRoutingP99Ms } = ctx.p.ramp;
  const pids = ctx.sys.cpuPids();
  let t0 = 0;
  let cpu0: Record<string, number> = {};
  let cpuSeconds: Record<string, number> = {};
  let cores: Record<string, number> = {};
  let commands0: Record<string, number> | undefined;
  let redisCommands: Record<string, number> | undefined;
  const run = await runCallers(ctx, ctx.phones.ramp, { calls: Math.round((stepSeconds * 1000) / periodMs), rateMs: periodMs, patienceMs }, {
    during: async () => { commands0 = await ctx.sys.redisCommands?.(); t0 = Date.now(); cpu0 = cpuNow(pids); },
    callersDone: async () => {
      const wall = (Date.now() - t0) / 1000;
      const cpu1 = cpuNow(pids);
      cpuSeconds = Object.fromEntries(Object.keys(cpu0).map((k) => [k, cpu1[k] - cpu0[k]]));
      const known = Object.entries(cpuSeconds).filter(([k]) => k !== 'machine').reduce((t, [, v]) => t + v, 0);
      cores = Object.fromEntries(Object.entries({ ...cpuSeconds, other: Math.max(0, cpuSeconds.machine - known) }).map(([k, v]) => [k, round2(v / wall)]));
      const commands1 = commands0 && await ctx.sys.redisCommands?.();
      if (commands0 && commands1) redisCommands = delta(commands0, commands1);
    },
  });
  const f = failures(run);
  const spans = new Map<string, [number, number]>();
  for (const m of run.caller) {
    const s = spans.get(m.callId);
    spans.set(m.callId, s ? [Math.min(s[0], m.at), Math.max(s[1], m.at)] : [m.at, m.at]);
  }
  const routing = summarize(routingLatencies(run).samples);
  const verdict = f.callerFailed + f.agentFailed > 0 ? 'failed calls'
    : run.notes.length ? 'incomplete'
      : !routing || routing.p99 > maxRoutingP99Ms ? `routing p99 over ${maxRoutingP99Ms} ms` : 'sustained';
  return {
    verdict, rateCps: cps(periodMs), calls: f.started, callerFailed: f.callerFailed, agentFailed: f.agentFailed,
    routing, peakConcurrent: peakOverlap([...spans.values()]), notes: run.notes, cpuSeconds, cores, ...(redisCommands ? { redisCommands } : {}),
  };
}
