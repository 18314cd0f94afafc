import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { QueueSchema } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { METRICS_GROUP, MetricsConsumer } from '../../src/metrics/consumer';
import { MetricsService } from '../../src/metrics/metricsService';
import { Registry } from '../../src/registry/registry';
import { NO_WRAPUP, StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

const log = createLogger('error', 'json');
// Redis expires day figures by its own clock: the steered days are real ones (today; for New York the next days)
const DAY = new Date().toISOString().slice(0, 10);
const T0 = Date.parse(`${DAY}T09:00:00Z`);
const wrap10s = { ms: 10_000, maxMs: 60_000, stepMs: 10_000 };

/**
 * The scripted day every test plays through the real transitions (time steered), and what it must
 * add up to: q1 has a 10 s service level.
 *   c1 waits 5 s (within), talks 60 s, then 10 s wrap-up ended early at 7 s
 *   c2 waits 15 s (over), talks 30 s, no wrap-up
 *   c3 abandons after 4 s (within), c4 after 30 s (over)
 *   the agent pauses 120 s; c5 is answered, transferred to a2 (a1 handled it), and answered again
 *   by a2 (not a second answer), talks 20 s with a2
 */
async function playDay(state: StateStore, clock: { now: number }, afterLogin: () => Promise<unknown> = async () => undefined): Promise<void> {
  const enqueue = (callId: string) => state.enqueue({ callId, queueId: 'q1', node: 'n', callerNumber: callId, callerName: '', channelId: callId });
  const answer = async (callId: string, agentId: string, waitMs: number) => {
    clock.now += waitMs;
    assert.equal((await state.reserve(callId, agentId, `tok-${callId}-${agentId}`, clock.now + 20_000, 'o')).ok, true);
    assert.equal((await state.accept(callId, `tok-${callId}-${agentId}`, 'b')).ok, true);
  };
  clock.now = T0;
  await state.agentLogin('a1', ['q1']);
  await state.agentLogin('a2', ['q1']);
  await state.agentPause('a2', 'meeting');
  await afterLogin();
  await enqueue('c1');
  await answer('c1', 'a1', 5000);
  clock.now += 60_000;
  await state.release('c1', 'caller', wrap10s);
  clock.now += 7000;
  await state.wrapupEnd('a1');
  await enqueue('c2');
  await answer('c2', 'a1', 15_000);
  clock.now += 30_000;
  await state.release('c2', 'agent');
  await state.agentPause('a1', 'lunch');
  await enqueue('c3');
  clock.now += 4000;
  await state.abandon('c3');
  await enqueue('c4');
  clock.now += 30_000;
  await state.abandon('c4');
  clock.now += 86_000;              // paused 120 s in all
  await state.agentReady('a1');
  await state.agentReady('a2');
  await enqueue('c5');
  await answer('c5', 'a1', 1000);
  clock.now += 2000;
  assert.equal((await state.callTransfer('c5', { kind: 'agent', target: 'a2', token: 'tok-c5-a2', expiresAt: clock.now + 20_000, agentChannelId: 'o2' }, NO_WRAPUP, 'a1')).ok, true);
  assert.equal((await state.accept('c5', 'tok-c5-a2', 'b2')).ok, true);
  clock.now += 20_000;
  await state.release('c5', 'caller');
}

const EXPECTED_QUEUE = {
  answered: 3, answeredWithinSl: 2, answerWaitMs: 5000 + 15_000 + 1000,
  abandoned: 2, abandonedWithinSl: 1, abandonWaitMs: 4000 + 30_000,
  handled: 3, talkMs: 60_000 + 30_000 + 20_000,
  handleCompleted: 3, handleMs: 60_000 + 7000 + 30_000 + 20_000, wrapUpMs: 7000,
};
const EXPECTED_A1 = { handled: 3, talkMs: 60_000 + 30_000 + 2000, pauseMs: 120_000, wrapUpMs: 7000 };
const EXPECTED_A2 = { handled: 1, talkMs: 20_000, pauseMs: 0 };

describe('metrics_apply: the event stream folded into day figures exactly once (Lua, real Redis)', () => {
  let redis: Redis;
  let state: StateStore;
  let registry: Registry;
  let metrics: MetricsService;
  const clock = { now: T0 };
  const extra: Redis[] = [];
  const connection = () => { const r = new Redis(TEST_ENV.redisUrl); extra.push(r); return r; };
  const queueDay = () => state.metricsDay('queue', 'q1', DAY);
  const pending = async () => Number((await redis.xpending(state.keys.events(), METRICS_GROUP) as [number])[0]);
  const lastId = async () => (await redis.xrevrange(state.keys.events(), '+', '-', 'COUNT', 1))[0][0];

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(async () => { await redis.quit(); });
  afterEach(() => { for (const r of extra.splice(0)) r.disconnect(); });
  beforeEach(async function () {
    clock.now = T0 - 3_600_000;
    state = new StateStore(redis, uniquePrefix(`metrics-${this.currentTest?.title.slice(0, 16)}`), () => clock.now);
    await state.registryPut('queues', 'q1', QueueSchema.parse({ id: 'q1', name: 'Q1', extension: '801', serviceLevelSec: 10 }), 'create');
    for (const id of ['a1', 'a2']) {
      await state.registryPut('agents', id, { id, name: id, queues: ['q1'], callbackQueues: [], protected: false, phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:5999` } }, 'create');
    }
    registry = new Registry(state, log);
    await registry.reload();
    metrics = new MetricsService(state, registry, 'UTC', log, () => clock.now);
  });

  it('given a scripted day, the figures are exactly those of its events: SL, SL2, ASA, AHT with wrap-up, per agent talk and pause', async () => {
    await playDay(state, clock);
    const s = await metrics.queueStats('q1');
    assert.equal(s.day, DAY);
    assert.deepEqual(await queueDay(), EXPECTED_QUEUE);
    assert.equal(s.today.averageSpeedOfAnswerMs, 21_000 / 3);
    assert.equal(s.today.averageHandleMs, 117_000 / 3);
    assert.equal(s.today.serviceLevel, (100 * 2) / 3);
    assert.equal(s.today.serviceLevel2, (100 * (2 + 1)) / (3 + 2));
    assert.deepEqual(await state.metricsDay('agent', 'a1', DAY), EXPECTED_A1);
    const a2 = await metrics.agentStats('a2');
    assert.deepEqual([a2.today.handled, a2.today.talkMs, a2.state], [EXPECTED_A2.handled, EXPECTED_A2.talkMs, 'ready']);
    assert.equal((await state.metricsDay('agent', 'a2', DAY)).pauseMs, 237_000, 'a2 paused from its login until a1 was back from lunch');
  });

  it('given every entry delivered again, out of order, and catch-ups racing, nothing counts twice', async () => {
    await playDay(state, clock);
    const ids = (await redis.xrange(state.keys.events(), '-', '+')).map(([id]) => id);
    await Promise.all(ids.map((id) => metrics.catchUp(id, [id])));              // 40-odd racing calls
    const once = await queueDay();
    assert.deepEqual(once, EXPECTED_QUEUE);
    for (const id of [...ids].reverse()) await metrics.catchUp(id, [id]);       // redelivered, newest first
    await Promise.all([metrics.catchUp(), metrics.catchUp(), metrics.catchUp(ids[3])]);
    assert.deepEqual(await queueDay(), EXPECTED_QUEUE);
    assert.deepEqual(await state.metricsDay('agent', 'a1', DAY), EXPECTED_A1);
    assert.equal(await redis.get(state.keys.metricsCursor()), ids[ids.length - 1]);
  });

  it('given two consumers racing on the group and a third that dies holding entries, every entry is applied once and acknowledged', async () => {
    // each consumer applies through its own view of the metrics, counting what it was given
    const given = { a: 0, b: 0 };
    const via = (who: 'a' | 'b') => ({ catchUp: (upTo: string, ids: string[]) => { given[who] += ids.length; return metrics.catchUp(upTo, ids); } }) as unknown as MetricsService;
    const a = new MetricsConsumer(connection(), redis, state.keys.events(), 'ctl-a', via('a'), log);
    const b = new MetricsConsumer(connection(), redis, state.keys.events(), 'ctl-b', via('b'), log);
    await redis.xgroup('CREATE', state.keys.events(), METRICS_GROUP, '$', 'MKSTREAM');
    const dead: string[] = [];
    // a third consumer is given the first entries (the logins) and dies before applying them;
    // then the two live ones race for the rest of the day as it happens
    await playDay(state, clock, async () => {
      const r = await redis.xreadgroup('GROUP', METRICS_GROUP, 'ctl-dead', 'COUNT', 100, 'STREAMS', state.keys.events(), '>') as [string, [string, string[]][]][];
      dead.push(...r[0][1].map(([id]) => id));
      assert.ok(dead.length >= 3);
      await a.start();
      await b.start();
    });
    const last = await lastId();
    try {
      const deadline = Date.now() + 5000;
      while ((await redis.get(state.keys.metricsCursor())) !== last && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await redis.get(state.keys.metricsCursor()), last, 'the live consumers applied everything');
      assert.deepEqual(await queueDay(), EXPECTED_QUEUE);
      assert.ok(given.a > 0 && given.b > 0, `both raced: ${JSON.stringify(given)}`);
      const consumers = await redis.xinfo('CONSUMERS', state.keys.events(), METRICS_GROUP) as unknown[][];
      const held = consumers.map((c) => Number(c[c.indexOf('pending') + 1]));
      assert.equal(held.reduce((x, y) => x + y, 0), dead.length, 'only the dead consumer holds unacknowledged entries');
      // claimed by a live consumer: applied already, so only acknowledged
      assert.equal(await a.claimStuck(0), dead.length);
      assert.equal(await pending(), 0);
      assert.deepEqual(await queueDay(), EXPECTED_QUEUE);
      assert.deepEqual(await state.metricsDay('agent', 'a1', DAY), EXPECTED_A1);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('given a consumer restarted with entries it was given but never acknowledged, it acknowledges them without counting them again', async () => {
    const a = new MetricsConsumer(connection(), redis, state.keys.events(), 'ctl-a', metrics, log);
    await redis.xgroup('CREATE', state.keys.events(), METRICS_GROUP, '$', 'MKSTREAM');
    await playDay(state, clock);
    await metrics.catchUp();   // applied (by a reader, say) before the consumer ever sees them
    await redis.xreadgroup('GROUP', METRICS_GROUP, 'ctl-a', 'COUNT', 1000, 'STREAMS', state.keys.events(), '>');
    assert.ok(await pending() > 20);
    await a.start();
    try {
      const deadline = Date.now() + 5000;
      while ((await pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await pending(), 0);
      assert.deepEqual(await queueDay(), EXPECTED_QUEUE);
    } finally {
      a.stop();
    }
  });

  it('given a day in New York, time in a state is split at local midnight and each call counts on its own day', async () => {
    const ny = new MetricsService(state, registry, 'America/New_York', log, () => clock.now);
    const [yesterday, today] = [1, 2].map((n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10));
    // 00:00 in New York is 04:00Z (EDT) or 05:00Z (EST)
    const hour = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' });
    const midnight = [4, 5].map((h) => Date.parse(`${today}T0${h}:00:00Z`)).find((t) => hour.format(t) === '00') as number;
    clock.now = midnight - 10 * 60_000;
    await state.agentLogin('a1', ['q1']);
    await state.agentPause('a1', 'lunch');
    await state.enqueue({ callId: 'late', queueId: 'q1', node: 'n', callerNumber: '1', callerName: '', channelId: 'late' });
    clock.now = midnight + 20 * 60_000;
    await state.abandon('late');   // queued yesterday, abandoned today: today's abandon
    await state.agentReady('a1');
    await ny.catchUp();
    assert.deepEqual(await state.metricsDay('agent', 'a1', yesterday), { pauseMs: 10 * 60_000 });
    assert.deepEqual(await state.metricsDay('agent', 'a1', today), { pauseMs: 20 * 60_000 });
    assert.deepEqual(await state.metricsDay('queue', 'q1', today), { abandoned: 1, abandonWaitMs: 30 * 60_000 });
    assert.equal((await ny.agentStats('a1')).day, today);
    const ttl = await redis.pttl(state.keys.metricsQueueDay('q1', today));
    assert.ok(ttl > 0, 'day figures expire');
  });
});
