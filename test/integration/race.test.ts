import assert from 'node:assert/strict';
import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Redis } from 'ioredis';
import sinon from 'sinon';
import winston from 'winston';
import { CallCore } from '../../src/calls/core';
import { CallService } from '../../src/calls/queueing/callService';
import { AcdEvent, EventBus } from '../../src/events/bus';
import type { Registry } from '../../src/registry/registry';
import { AgentState, CallRecord, StateStore } from '../../src/state/store';
import { TimerService } from '../../src/timers/timerService';
import { TEST_ENV, uniquePrefix } from '../support/env';
import { FakeAri } from '../support/fakeAri';
import { RoundOrder, RoundResult, WorkerConfig, raceKeys } from './raceWorker';

/** Rounds per race; each round both controller processes reserve at once. */
const ROUNDS = Number(process.env.ACD_RACE_ROUNDS ?? 3000);

type Kind = RoundOrder['kind'];
interface Round {
  kind: Kind; round: number; results: RoundResult[];
  /** Redis right after both reserved, before the round is cleared. */
  agents: Record<string, AgentState>; calls: Record<string, CallRecord | undefined>;
}

/**
 * What is wrong with one round: both controllers must have tried, exactly one reservation won,
 * Redis must hold the winner's offer (and only it), and the stream must carry one call.offered.
 */
export function roundProblems(r: Round, offers: AcdEvent[]): string[] {
  const p: string[] = [];
  const at = `round ${r.round} (${r.kind})`;
  if (r.results.length !== 2 || new Set(r.results.map((x) => x.role)).size !== 2) p.push(`${at}: ${r.results.length} controllers reserved, not both`);
  const winners = r.results.filter((x) => x.ok);
  if (winners.length !== 1) p.push(`${at}: ${winners.length} reservations succeeded`);
  const lostWith = r.kind === 'agent' ? 'AGENT_NOT_READY' : 'CALL_NOT_WAITING';
  for (const l of r.results.filter((x) => !x.ok)) if (l.code !== lostWith) p.push(`${at}: the loser got ${l.code}, not ${lostWith}`);
  if (offers.length !== 1) p.push(`${at}: ${offers.length} call.offered events`);
  const w = winners[0];
  if (!w) return p;
  const agent = r.agents[w.agentId];
  if (agent?.state !== 'reserved' || agent.callId !== w.callId || agent.offerToken !== w.token) {
    p.push(`${at}: agent ${w.agentId} holds ${agent?.state}/${agent?.callId}/${agent?.offerToken}, not the winner's ${w.callId}/${w.token}`);
  }
  const call = r.calls[w.callId];
  if (call?.state !== 'offered' || call.agentId !== w.agentId || call.offerToken !== w.token || call.servedBy !== `node-${w.role}`) {
    p.push(`${at}: call ${w.callId} is ${call?.state}/${call?.agentId}/${call?.offerToken}, not offered to the winner`);
  }
  for (const l of r.results.filter((x) => x !== w)) {
    if (r.kind === 'agent' && (r.calls[l.callId]?.state !== 'waiting' || r.calls[l.callId]?.agentId)) p.push(`${at}: the loser's call ${l.callId} is not waiting`);
    if (r.kind === 'call' && (r.agents[l.agentId]?.state !== 'ready' || r.agents[l.agentId]?.callId)) p.push(`${at}: the loser's agent ${l.agentId} is not ready`);
  }
  for (const o of offers) if (o.callId !== w.callId || o.agentId !== w.agentId) p.push(`${at}: call.offered for ${o.callId}/${o.agentId}, not the winner's`);
  return p;
}

/** Both in flight at once: each controller sent its reserve before either heard back. */
const overlapped = (r: Round) =>
  r.results.length === 2 && BigInt(r.results[0].sentAt) < BigInt(r.results[1].repliedAt) && BigInt(r.results[1].sentAt) < BigInt(r.results[0].repliedAt);

const roundOf = (callId: string) => Number(callId.split('-')[1]);

describe('several controllers on one Redis (separate processes, real Redis)', function () {
  this.timeout(60_000);
  let redis: Redis;
  let blocking: Redis;
  let state: StateStore;
  let now: number;
  let children: ChildProcess[] = [];

  const spawn = (cfg: WorkerConfig) => {
    const child = fork(path.join(__dirname, 'raceWorker.js'), [JSON.stringify(cfg)], { stdio: 'inherit' });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve([child.exitCode, child.signalCode])
      : once(child, 'exit');
  const enqueue = (callId: string) =>
    state.enqueue({ callId, queueId: 'q1', node: 'n1', callerNumber: `+1555${callId}`, callerName: '', channelId: `ch-${callId}` });
  const events = async (type: string) =>
    (await redis.xrange(state.keys.events(), '-', '+')).map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);

  before(() => {
    redis = new Redis(TEST_ENV.redisUrl);
    blocking = new Redis(TEST_ENV.redisUrl);
  });
  after(() => Promise.all([redis.quit(), blocking.quit()]));
  beforeEach(function () {
    now = 1_000_000;
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'race'), () => now);
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children = [];
  });

  /** Two controller processes; each round the parent sets the stage, releases both at once, then clears the round through real transitions. */
  async function race(kind: Kind): Promise<Round[]> {
    const keys = raceKeys(state.keys.prefix);
    const workers = (['A', 'B'] as const).map((role) => spawn({ mode: 'race', prefix: state.keys.prefix, role }));
    for (let i = 0; i < 2; i++) assert.ok(await blocking.blpop(keys.ready, 10), 'a controller process did not start');
    const agentIds = kind === 'agent' ? ['a1'] : ['a1', 'a2'];
    for (const a of agentIds) assert.equal((await state.agentLogin(a, ['q1'])).ok, true);
    const rounds: Round[] = [];
    let seen = '0-0';   // the last event id read: each round reads what came after it
    for (let round = 0; round < ROUNDS; round++) {
      now += 10;
      const callIds = kind === 'agent' ? [`c-${round}-A`, `c-${round}-B`] : [`c-${round}`];
      for (const r of await Promise.all(callIds.map(enqueue))) assert.equal(r.ok, true);
      const order = JSON.stringify({ round, kind, now } satisfies RoundOrder);
      // one write carries both releases: neither controller gets a head start from the parent
      await redis.pipeline().rpush(keys.go('A'), order).rpush(keys.go('B'), order).exec();
      const results: RoundResult[] = [];
      for (let i = 0; i < 2; i++) {
        const popped = await blocking.blpop(keys.done, 10);
        assert.ok(popped, `round ${round}: a controller did not answer`);
        results.push(JSON.parse(popped[1]) as RoundResult);
      }
      const [agents, calls, fresh] = await Promise.all([
        Promise.all(agentIds.map((a) => state.agentState(a))),
        Promise.all(callIds.map((c) => state.call(c))),
        redis.xrange(state.keys.events(), `(${seen}`, '+'),
      ]);
      const done: Round = {
        kind, round, results,
        agents: Object.fromEntries(agents.map((a) => [a.agentId, a])),
        calls: Object.fromEntries(callIds.map((c, i) => [c, calls[i]])),
      };
      rounds.push(done);
      if (fresh.length) seen = fresh[fresh.length - 1][0];
      // stop at the first bad round: what follows it would only repeat the damage
      const offers = fresh.map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === 'call.offered');
      assert.deepEqual(roundProblems(done, offers), []);
      // clear the round: every other round the offer fails, else it is answered and hung up; then no caller waits
      const w = results.find((x) => x.ok);
      if (w && round % 2 === 0) {
        assert.equal((await state.failOffer(w.callId, w.token, 'no-answer', null)).ok, true, `round ${round}: fail`);
      } else if (w) {
        assert.equal((await state.accept(w.callId, w.token, `b-${round}`)).ok, true, `round ${round}: accept`);
        assert.equal((await state.release(w.callId, 'caller')).ok, true, `round ${round}: release`);
      }
      const hungUp = round % 2 === 1 ? w?.callId : undefined;
      const abandon = callIds.filter((c) => c !== hungUp);
      for (const r of await Promise.all(abandon.map((c) => state.abandon(c)))) assert.equal(r.ok, true, `round ${round}: abandon`);
      for (const a of await Promise.all(agentIds.map((id) => state.agentState(id)))) assert.equal(a.state, 'ready', `round ${round}: ${a.agentId} is not ready again`);
    }
    await redis.pipeline().rpush(keys.go('A'), 'stop').rpush(keys.go('B'), 'stop').exec();
    for (const w of workers) assert.deepEqual(await exited(w), [0, null]);
    return rounds;
  }

  /** Every round once more, against the stream as a whole (nothing may have been trimmed from it). */
  async function check(rounds: Round[]): Promise<void> {
    const info = (await redis.xinfo('STREAM', state.keys.events())) as unknown[];
    const field = (name: string) => Number(info[info.indexOf(name) + 1]);
    assert.equal(field('length'), field('entries-added'), 'the event stream was trimmed: fewer rounds');
    const offers = new Map<number, AcdEvent[]>();
    for (const e of await events('call.offered')) {
      const r = roundOf(String(e.callId));
      offers.set(r, [...(offers.get(r) ?? []), e]);
    }
    const problems = rounds.flatMap((r) => roundProblems(r, offers.get(r.round) ?? []));
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
    assert.equal(rounds.length, ROUNDS);
    assert.equal([...offers.values()].flat().length, ROUNDS, 'one call.offered per round, and none elsewhere');
    assert.equal(await redis.zcard(state.keys.timers()), 0, 'no offer timer left behind');
    assert.deepEqual(await state.waiting('q1'), []);
    // the race is real only if both reserves were in flight together in a good share of the rounds
    const both = rounds.filter(overlapped).length;
    const wins = { A: rounds.filter((r) => r.results.find((x) => x.ok)?.role === 'A').length };
    console.log(`      ${rounds.length} rounds: both reserves in flight at once in ${both}; controller A won ${wins.A}, B ${rounds.length - wins.A}`);
    if (rounds.length >= 100) {   // ACD_RACE_ROUNDS may make a quick run too short for shares to mean anything
      assert.ok(both >= rounds.length / 10, `only ${both} of ${rounds.length} rounds really raced`);
      assert.ok(wins.A > 0 && wins.A < rounds.length, 'each controller won some rounds');
    }
  }

  it(`given two controller processes racing to offer one agent two calls, ${ROUNDS} times, exactly one offer wins each time`, async () => {
    await check(await race('agent'));
  });

  it(`given two controller processes racing to offer one call to two agents, ${ROUNDS} times, exactly one offer wins each time`, async () => {
    await check(await race('call'));
  });

  it('the round check flags a double offer (two reservations, two offered events) and a wrong holder', () => {
    const res = (role: 'A' | 'B', ok: boolean): RoundResult =>
      ({ round: 7, role, callId: `c-7-${role}`, agentId: 'a1', token: `t-7-${role}`, ok, sentAt: '0', repliedAt: '1' });
    const agent = { agentId: 'a1', state: 'reserved', callId: 'c-7-B', offerToken: 't-7-B' } as AgentState;
    const call = (id: string, token: string, role: string) =>
      ({ id, state: 'offered', agentId: 'a1', offerToken: token, servedBy: `node-${role}` }) as CallRecord;
    const double: Round = {
      kind: 'agent', round: 7, results: [res('A', true), res('B', true)],
      agents: { a1: agent }, calls: { 'c-7-A': call('c-7-A', 't-7-A', 'A'), 'c-7-B': call('c-7-B', 't-7-B', 'B') },
    };
    const offered = (callId: string) => ({ id: '1-0', type: 'call.offered', at: 0, callId, agentId: 'a1' });
    const problems = roundProblems(double, [offered('c-7-A'), offered('c-7-B')]);
    assert.ok(problems.includes('round 7 (agent): 2 reservations succeeded'), problems.join('; '));
    assert.ok(problems.includes('round 7 (agent): 2 call.offered events'), problems.join('; '));
    assert.ok(problems.some((p) => p.includes('agent a1 holds reserved/c-7-B/t-7-B')), problems.join('; '));
    const fine: Round = { ...double, results: [res('A', false), res('B', true)], calls: { ...double.calls, 'c-7-A': { ...double.calls['c-7-A']!, state: 'waiting', agentId: undefined } } };
    fine.results[0].code = 'AGENT_NOT_READY';
    assert.deepEqual(roundProblems(fine, [offered('c-7-B')]), []);
  });

  it('given a controller that dies while its offer rings, the offer\'s Redis deadline frees the agent through another controller\'s timers, the call waits at its place again, and is offered again', async () => {
    await state.agentLogin('a1', ['q1']);
    await enqueue('c1');
    now += 100;
    await enqueue('c2');
    const deadline = now + 20_000;
    const token = 'tok-dying';
    const dying = spawn({ mode: 'die', prefix: state.keys.prefix, now, callId: 'c1', agentId: 'a1', token, expiresAt: deadline });
    const [msg] = (await once(dying, 'message')) as [{ reserved: { ok: boolean } }];
    assert.equal(msg.reserved.ok, true, 'the dying controller reserved the agent');
    assert.ok(dying.kill('SIGKILL'));
    assert.deepEqual(await exited(dying), [null, 'SIGKILL']);

    // what the dead controller left: a reserved agent, an offered call, and the offer's deadline
    const left = await state.agentState('a1');
    assert.deepEqual([left.state, left.callId, left.offerToken], ['reserved', 'c1', token]);
    assert.equal((await state.call('c1'))?.state, 'offered');
    assert.deepEqual((await state.waiting('q1')).map((w) => w.callId), ['c2']);
    assert.equal(Number(await redis.zscore(state.keys.timers(), `offer|c1|${token}`)), deadline);

    // the surviving controller: its timers and call service wired as main.ts wires them
    const log = winston.createLogger({ silent: true });
    const ari = new FakeAri().asAri();
    const calls = new CallService(new CallCore(ari, log), ari, state, {} as Registry, 'n2', 5000, log);
    const fired: string[][] = [];
    const timers = new TimerService(state, { offer: async (parts) => { fired.push(parts); await calls.offerExpired(parts[0], parts[1]); } }, log);
    const checks = sinon.spy(state, 'dueTimers');
    const waitFor = async (what: string, cond: () => Promise<boolean>) => {
      for (const until = Date.now() + 5000; !(await cond());) {
        assert.ok(Date.now() < until, `timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    timers.start();
    try {
      now = deadline - 1;
      await waitFor('timer checks', async () => checks.callCount >= 5);
      assert.deepEqual(fired, [], 'not before the deadline');
      assert.deepEqual(await state.failOffer('c1', token, 'expired', null, true), { ok: false, code: 'STALE_OFFER' },
        'a controller whose clock runs ahead cannot fire it early either');
      assert.equal((await state.agentState('a1')).state, 'reserved');

      now = deadline;
      await waitFor('the offer to expire', async () => (await state.agentState('a1')).state !== 'reserved');
      assert.deepEqual(fired, [['c1', token]]);
      const a = await state.agentState('a1');
      assert.deepEqual([a.state, a.callId, a.offerToken], ['ready', null, null]);
      const c = await state.call('c1');
      assert.deepEqual([c?.state, c?.agentId, c?.offerToken, c?.vtime], ['waiting', undefined, undefined, 1_000_000]);
      assert.deepEqual(await state.waiting('q1'), [{ callId: 'c1', vtime: 1_000_000 }, { callId: 'c2', vtime: 1_000_100 }], 'c1 back ahead of c2');
      assert.equal(await redis.zscore(state.keys.timers(), `offer|c1|${token}`), null);
      const failed = await events('call.offer_failed');
      assert.deepEqual(failed.map((e) => [e.callId, e.agentId, e.outcome]), [['c1', 'a1', 'expired']]);

      // offered again, by the controller that is alive
      assert.deepEqual(await state.reserve('c1', 'a1', 'tok-again', now + 20_000, 'offer-tok-again', 'n2'), { ok: true, value: undefined });
      const again = await state.agentState('a1');
      assert.deepEqual([again.state, again.callId, again.offerToken], ['reserved', 'c1', 'tok-again']);
      assert.deepEqual((await events('call.offered')).map((e) => [e.callId, e.agentId]), [['c1', 'a1'], ['c1', 'a1']]);
      const ticks = checks.callCount;
      await waitFor('more timer checks', async () => checks.callCount >= ticks + 3);
      assert.deepEqual(fired, [['c1', token]], 'the expired timer fired once; the new offer\'s is not due');
      assert.equal((await state.agentState('a1')).offerToken, 'tok-again');
    } finally {
      timers.stop();
      checks.restore();
    }
  });
});
