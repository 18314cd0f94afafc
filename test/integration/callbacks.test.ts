import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EventBus } from '../../src/events/bus';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('callback transitions (Lua, real Redis)', () => {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const events = async (type: string) => (await redis.xrange(state.keys.events(), '-', '+'))
    .map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);
  const enqueue = (callId: string) => state.enqueue({ callId, queueId: 'q', node: 'n1', callerNumber: `555${callId}`, callerName: '', channelId: callId });
  const create = (id: string, o: Partial<Parameters<StateStore['callbackCreate']>[0]> = {}) => state.callbackCreate({
    callbackId: id, queueId: 'q', number: '5550100', name: '', preferMs: 0, maxAttempts: 2, preferLastAgent: false, ...o,
  });
  /** Offer and answer a waiting entry, as the dispatcher and the agent's answer do. */
  const serve = async (id: string, agent: string) => {
    assert.equal((await state.reserve(id, agent, `t-${id}`, now + 20_000, `o-${id}`)).ok, true);
    assert.equal((await state.accept(id, `t-${id}`, `b-${id}`)).ok, true);
  };

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(() => { now = 5_000_000; state = new StateStore(redis, uniquePrefix('cb'), () => now); });

  it('given a waiting caller who asks for a callback, the request takes the caller\'s place: ahead of later callers', async () => {
    await enqueue('A'); now += 10;
    await enqueue('B'); now += 10;
    await enqueue('C'); now += 60_000;
    assert.deepEqual(await create('cb-1', { fromCallId: 'B', message: 'callbacks/cb-1' }), { ok: true, value: 'waiting' });
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['A', 'cb-1', 'C']);
    assert.equal((await state.call('B'))?.state, 'callback');
    const [requested] = await events('call.callback_requested');
    assert.deepEqual([requested.callId, requested.callbackId, requested.waitMs], ['B', 'cb-1', 60_010]);
    assert.equal((await events('callback.queued'))[0].position, 2);
    assert.deepEqual(await create('cb-2', { fromCallId: 'B' }), { ok: false, code: 'CALL_NOT_WAITING' });
  });

  it('given a scheduled request, it joins the queue only when due, and never twice', async () => {
    assert.deepEqual(await create('cb-1', { dueAt: now + 5000 }), { ok: true, value: 'scheduled' });
    assert.deepEqual(await state.waiting('q'), []);
    assert.deepEqual(await state.callbackDue('cb-1'), { ok: false, code: 'NOT_DUE' });
    now += 5000;
    assert.deepEqual(await state.callbackDue('cb-1'), { ok: true, value: undefined });
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['cb-1']);
    assert.deepEqual(await state.callbackDue('cb-1'), { ok: false, code: 'NOT_DUE' });
  });

  it('given an attempt that did not reach the customer, it is recorded, the agent freed, and a retry keeps the original place', async () => {
    await state.agentLogin('a1', ['q']);
    await create('cb-1'); now += 1000;
    await enqueue('X');
    await serve('cb-1', 'a1');
    now += 30_000;
    assert.deepEqual(await state.callbackAttemptEnd('cb-1', 'no-answer', 0), { ok: true, value: 'attempted' });
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.deepEqual((await state.callbackAttempts('cb-1')).map((a) => [a.n, a.agentId, a.outcome]), [[1, 'a1', 'no-answer']]);
    assert.deepEqual(await state.callbackReschedule('cb-1', now + 1000), { ok: true, value: undefined });
    now += 1000;
    await state.callbackDue('cb-1');
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['cb-1', 'X'], 'back ahead of X, who came later');
    await serve('cb-1', 'a1');
    await state.callbackAttemptEnd('cb-1', 'busy', 0);
    assert.deepEqual(await state.callbackReschedule('cb-1', now + 1000), { ok: false, code: 'MAX_ATTEMPTS' });
    assert.equal((await state.call('cb-1'))?.state, 'attempted');
  });

  it('given a callback marked complete during its call, it is completed when the call ends', async () => {
    await state.agentLogin('a1', ['q']);
    await create('cb-1');
    await serve('cb-1', 'a1');
    assert.deepEqual(await state.callbackComplete('cb-1'), { ok: true, value: 'connected' });
    assert.deepEqual(await state.callbackAttemptEnd('cb-1', 'answered', 4000), { ok: true, value: 'completed' });
    assert.deepEqual(await state.callbackComplete('cb-1'), { ok: false, code: 'FINISHED' });
    assert.deepEqual(await state.callbackCancel('cb-1'), { ok: false, code: 'FINISHED' });
  });

  it('given a preferred agent, the preference ends at its deadline; the number\'s last agent is preferred when asked', async () => {
    await state.agentLogin('a7', ['q']);
    await enqueue('Z');
    await serve('Z', 'a7');
    await create('cb-1', { number: '555Z', preferLastAgent: true, preferMs: 3000 });
    const rec = await state.call('cb-1');
    assert.deepEqual([rec?.preferredAgentId, rec?.preferredUntil], ['a7', now + 3000]);
    assert.deepEqual(await state.callbackPreferEnd('cb-1'), { ok: false, code: 'NOT_DUE' });
    now += 3000;
    assert.deepEqual(await state.callbackPreferEnd('cb-1'), { ok: true, value: undefined });
    assert.equal((await state.call('cb-1'))?.preferredUntil, undefined);
    assert.equal((await events('callback.preference_ended')).length, 1);
  });

  it('given a waiting request, cancel takes it out of the queue and its timers', async () => {
    await create('cb-1', { preferredAgentId: 'a1', preferMs: 5000 });
    assert.deepEqual(await state.callbackCancel('cb-1'), { ok: true, value: undefined });
    assert.deepEqual(await state.waiting('q'), []);
    assert.equal(await redis.zcard(state.keys.timers()), 0);
  });
});
