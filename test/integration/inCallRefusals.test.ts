import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NO_WRAPUP, StateStore } from '../../src/state/store';
import { TRANSITION_CODES, type TransitionName } from '../../src/state/results';
import { TEST_ENV, uniquePrefix } from '../support/env';

/**
 * Every refusal code of the in-call transitions (hold, three-way parties, consultation, park and
 * unpark, dispositions, monitoring, wrap-up, answer and release) on real Redis: each refusal is
 * returned as its code, leaves every key of the test's prefix exactly as it was (compared whole,
 * not field by field) and appends no event. The last test checks that every code src/state/results.ts
 * lists for these transitions was produced here, so a new refusal cannot go untested.
 */
describe('in-call refusals change nothing (Lua, real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let now: number;
  /** (transition, code) pairs produced by the tests below. */
  const seen = new Set<string>();

  /** Every key under the test's prefix with its content (the event stream as its length). */
  const snapshot = async (): Promise<Record<string, unknown>> => {
    const keys = (await redis.keys(`${state.keys.prefix}*`)).sort();
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') out[key] = await redis.hgetall(key);
      else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
      else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
      else if (type === 'string') out[key] = await redis.get(key);
      else if (type === 'stream') out[key] = await redis.xlen(key);
      else out[key] = type;
    }
    return out;
  };

  /** The transition refuses with `code`, and nothing under the prefix changes (no event either). */
  const refused = async (name: TransitionName, code: string, run: () => Promise<{ ok: boolean; code?: string }>) => {
    const before = await snapshot();
    assert.deepEqual(await run(), { ok: false, code }, `${name} refuses with ${code}`);
    assert.deepEqual(await snapshot(), before, `${name} ${code} changed nothing`);
    seen.add(`${name} ${code}`);
  };

  /** `callId` answered by `agent` in queue sales. */
  const connected = async (callId = 'c1', agent = 'a1') => {
    await state.agentLogin(agent, ['sales']);
    await state.enqueue({ callId, queueId: 'sales', node: 'n1', callerNumber: '+15550100', callerName: '', channelId: `ch-${callId}` });
    now += 1000;
    assert.equal((await state.reserve(callId, agent, `tok-${callId}`, now + 20_000, `offer-${callId}`)).ok, true);
    assert.equal((await state.accept(callId, `tok-${callId}`, `br-${callId}`)).ok, true);
    now += 1000;
  };
  const waitingCall = (callId = 'w1') =>
    state.enqueue({ callId, queueId: 'sales', node: 'n1', callerNumber: '+15550199', callerName: '', channelId: `ch-${callId}` });

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = 7_000_000;
    state = new StateStore(redis, uniquePrefix(`refuse-${this.currentTest?.title.slice(0, 16) ?? 'x'}`), () => now);
  });

  it('given a call waiting and a call connected and held, when held again or held while waiting, then NO_CHANGE and NOT_CONNECTED', async () => {
    await connected();
    await waitingCall();
    assert.equal((await state.callHold('c1', true, 'u1')).ok, true);
    await refused('call_hold', 'NO_CHANGE', () => state.callHold('c1', true, 'u1'));
    await refused('call_hold', 'NOT_CONNECTED', () => state.callHold('w1', true, 'u1'));
  });

  it('given a waiting call and a connected one, when a party joins the waiting call or leaves the connected one without having joined, then NOT_CONNECTED and NOT_A_PARTY', async () => {
    await connected();
    await waitingCall();
    await refused('call_party', 'NOT_CONNECTED', () => state.callParty('w1', 'p1', 'join', '2001', 'u1'));
    await refused('call_party', 'NOT_A_PARTY', () => state.callParty('c1', 'p1', 'leave', '2001', 'u1'));
  });

  it('given a connected call, when a consultation targets the agent itself, a paused agent, a waiting call, or starts twice, then SAME_AGENT, TARGET_NOT_READY, NOT_CONNECTED, CONSULT_IN_PROGRESS', async () => {
    await connected();
    await waitingCall();
    await state.agentLogin('a3', ['sales']);
    await state.agentPause('a3', 'lunch');
    await refused('consult_start', 'SAME_AGENT', () => state.consultStart('c1', 'k1', 'agent', 'a1', 'u1'));
    await refused('consult_start', 'TARGET_NOT_READY', () => state.consultStart('c1', 'k1', 'agent', 'a3', 'u1'));
    await refused('consult_start', 'NOT_CONNECTED', () => state.consultStart('w1', 'k1', 'extension', '2001', 'u1'));
    assert.equal((await state.consultStart('c1', 'k1', 'extension', '2001', 'u1')).ok, true);
    await refused('consult_start', 'CONSULT_IN_PROGRESS', () => state.consultStart('c1', 'k2', 'extension', '2002', 'u1'));
  });

  it('given a consultation not yet answered, when completed, or answered, completed or cancelled under another id, then NOT_ANSWERED and NO_CONSULT', async () => {
    await connected();
    assert.equal((await state.consultStart('c1', 'k1', 'extension', '2001', 'u1')).ok, true);
    await refused('consult_complete', 'NOT_ANSWERED', () => state.consultComplete('c1', 'k1', NO_WRAPUP, 'u1'));
    await refused('consult_answered', 'NO_CONSULT', () => state.consultAnswered('c1', 'other'));
    await refused('consult_complete', 'NO_CONSULT', () => state.consultComplete('c1', 'other', NO_WRAPUP, 'u1'));
    await refused('consult_cancel', 'NO_CONSULT', () => state.consultCancel('c1', 'other', 'cancelled'));
  });

  it('given a waiting call, when parked, then NOT_CONNECTED; given all 99 slots taken, when one more call is parked, then NO_FREE_SLOT', async () => {
    await waitingCall();
    await refused('call_park', 'NOT_CONNECTED', () => state.park('w1', now + 60_000, NO_WRAPUP, 'u1'));
    for (let i = 1; i <= 99; i++) {
      await connected(`p${i}`, 'a1');   // with no wrap-up the agent is ready again after each park
      assert.deepEqual(await state.park(`p${i}`, now + 60_000, NO_WRAPUP, 'u1'), { ok: true, value: i });
    }
    await connected('c100', 'a1');
    await refused('call_park', 'NO_FREE_SLOT', () => state.park('c100', now + 60_000, NO_WRAPUP, 'u1'));
  });

  it('given a parked call, when retrieved by a paused agent, fired before its timeout, or a call not parked is retrieved, then AGENT_NOT_READY, NOT_DUE, NOT_PARKED (typed: unparkCall)', async () => {
    await connected();
    await waitingCall();
    assert.deepEqual(await state.park('c1', now + 60_000, NO_WRAPUP, 'u1'), { ok: true, value: 1 });
    await state.agentLogin('a2', ['sales']);
    await state.agentPause('a2', 'lunch');
    await refused('call_unpark', 'AGENT_NOT_READY', () => state.unparkCall('c1', 'a2', 'tok2', now + 25_000, 'offer-tok2'));
    await refused('call_unpark', 'NOT_DUE', () => state.unparkCall('c1', '', 'tok2', now + 25_000, 'offer-tok2', true));
    await refused('call_unpark', 'NOT_PARKED', () => state.unparkCall('w1', 'a1', 'tok2', now + 25_000, 'offer-tok2'));
  });

  it('given a parked call, when a ready agent retrieves it, then unparkCall says offered to that agent; when the timeout finds the parking agent paused, then queued', async () => {
    await connected('c1', 'a1');
    await connected('c2', 'a2');
    await state.park('c1', now + 60_000, NO_WRAPUP, 'u1');
    await state.park('c2', now + 60_000, NO_WRAPUP, 'u2');
    assert.deepEqual(await state.unparkCall('c1', 'a1', 'tok3', now + 25_000, 'offer-tok3'), { ok: true, value: { to: 'offered', agentId: 'a1' } });
    await state.agentPause('a2', 'lunch');
    now += 60_000;
    assert.deepEqual(await state.unparkCall('c2', '', 'tok4', now + 25_000, 'offer-tok4', true), { ok: true, value: { to: 'queued' } });
    assert.deepEqual((await state.waiting('sales')).map((w) => w.callId), ['c2']);
  });

  it('given a call never answered and no call at all, when a disposition is recorded, then NOT_ANSWERED and NOT_FOUND', async () => {
    await waitingCall();
    const d = { disposition: 'sale', tags: ['vip'], notes: 'n' };
    await refused('call_disposition', 'NOT_ANSWERED', () => state.callDisposition('w1', d, 'a1'));
    await refused('call_disposition', 'NOT_FOUND', () => state.callDisposition('nope', d, 'a1'));
  });

  it('given a waiting call, an active monitor and an ended one, then CALL_NOT_CONNECTED, NOT_RINGING, NOT_FOUND and ENDED', async () => {
    await connected();
    await waitingCall();
    const start = (monitorId: string, callId: string) =>
      state.monitorStart({ monitorId, callId, agentId: 'a1', queueId: 'sales', supervisorId: 's1', mode: 'listen', endpoint: 'PJSIP/s1' });
    await refused('monitor_start', 'CALL_NOT_CONNECTED', () => start('m0', 'w1'));
    assert.equal((await start('m1', 'c1')).ok, true);
    assert.equal((await state.monitorConnected('m1')).ok, true);
    await refused('monitor_connected', 'NOT_RINGING', () => state.monitorConnected('m1'));
    await refused('monitor_mode', 'NOT_FOUND', () => state.monitorMode('nope', 'barge'));
    assert.equal((await state.monitorEnd('m1', 'supervisor-hung-up')).ok, true);
    await refused('monitor_end', 'ENDED', () => state.monitorEnd('m1', 'again'));
    await refused('monitor_mode', 'ENDED', () => state.monitorMode('m1', 'barge'));
  });

  it('given an agent ready and one in wrap-up at its maximum, when wrap-up is extended or ended, or its timer fires early, then NOT_IN_WRAPUP, WRAPUP_MAX, NOT_DUE', async () => {
    await connected('c1', 'a1');
    await connected('c2', 'a2');
    assert.equal((await state.release('c1', 'caller', { ms: 30_000, maxMs: 30_000, stepMs: 10_000 })).ok, true);
    await refused('wrapup_extend', 'WRAPUP_MAX', () => state.wrapupExtend('a1'));
    await refused('wrapup_end', 'NOT_DUE', async () => {
      const token = await redis.hget(state.keys.agent('a1'), 'wrapupToken');
      return state.wrapupEnd('a1', token ?? '', true);
    });
    assert.equal((await state.release('c2', 'caller')).ok, true);
    await refused('wrapup_extend', 'NOT_IN_WRAPUP', () => state.wrapupExtend('a2'));
    await refused('wrapup_end', 'NOT_IN_WRAPUP', () => state.wrapupEnd('a2'));
  });

  it('given a connected call, when its offer is answered again with a stale token, or a waiting call is released, then STALE_OFFER and NOT_CONNECTED', async () => {
    await connected();
    await waitingCall();
    await refused('offer_accept', 'STALE_OFFER', () => state.accept('c1', 'tok-c1', 'br-again'));
    await refused('call_release', 'NOT_CONNECTED', () => state.release('w1', 'caller'));
  });

  it('given the transitions above, every refusal code results.ts lists for them was produced by a test here', () => {
    const names: TransitionName[] = ['call_hold', 'call_party', 'consult_start', 'consult_answered', 'consult_complete', 'consult_cancel',
      'call_park', 'call_unpark', 'call_disposition', 'monitor_start', 'monitor_connected', 'monitor_mode', 'monitor_end',
      'wrapup_extend', 'wrapup_end', 'offer_accept', 'call_release'];
    const listed = names.flatMap((n) => (TRANSITION_CODES[n] as readonly string[]).map((c) => `${n} ${c}`)).sort();
    assert.deepEqual([...seen].sort(), listed);
  });
});
