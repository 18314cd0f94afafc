import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EventBus } from '../../src/events/bus';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('routing transitions: ring-all, priority, admission and overflow (Lua, real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const events = async (type?: string) => {
    const raw = await redis.xrange(state.keys.events(), '-', '+');
    return raw.map(([id, f]) => EventBus.parse(id, f)).filter((e) => !type || e.type === type);
  };
  const enqueue = (callId: string, o: { queueId?: string; priority?: number; maxCallers?: number; joinWhenEmpty?: string } = {}) =>
    state.enqueue({ callId, queueId: o.queueId ?? 'q', node: 'n1', callerNumber: `+1555${callId}`, callerName: '', channelId: `ch-${callId}`,
      priority: o.priority, priorityStepMs: 60_000, maxCallers: o.maxCallers, joinWhenEmpty: o.joinWhenEmpty });
  const legs = (...ids: string[]) => ids.map((agentId) => ({ agentId, channelId: `leg-${agentId}` }));

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = 1_000_000;
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'x'), () => now);
  });

  it('ring-all reserves every ready agent; the first to answer wins and the others are ready again, not paused', async () => {
    for (const a of ['a1', 'a2', 'a3']) await state.agentLogin(a, ['q']);
    await state.agentPause('a3', 'lunch');
    await enqueue('c1');
    const r = await state.reserveAll('c1', 'tok', now + 20_000, legs('a1', 'a2', 'a3'));
    assert.deepEqual(r, { ok: true, value: ['a1', 'a2'] }, 'the paused agent is not rung');
    assert.deepEqual([(await state.agentState('a1')).state, (await state.agentState('a2')).state], ['reserved', 'reserved']);
    assert.equal((await events('call.offered')).length, 2);
    // a second call cannot have them
    await enqueue('c2');
    assert.deepEqual(await state.reserveAll('c2', 'tok2', now + 20_000, legs('a1', 'a2')), { ok: false, code: 'AGENT_NOT_READY' });
    const won = await state.accept('c1', 'tok', 'b1', 'a2');
    assert.deepEqual(won, { ok: true, value: { agentId: 'a2', others: ['leg-a1'] } });
    assert.equal((await state.agentState('a2')).state, 'on_call');
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.equal((await state.call('c1'))?.agentId, 'a2');
    // the loser answering late is refused
    assert.deepEqual(await state.accept('c1', 'tok', 'b1', 'a1'), { ok: false, code: 'STALE_OFFER' });
  });

  it('ring-all: one phone declining leaves the others ringing; the last one ending puts the caller back in place', async () => {
    await state.agentLogin('a1', ['q']);
    await state.agentLogin('a2', ['q']);
    await enqueue('c1');
    now += 10;
    await enqueue('c2');
    await state.reserveAll('c1', 'tok', now + 20_000, legs('a1', 'a2'));
    assert.deepEqual(await state.failOffer('c1', 'tok', 'busy', 'busy', false, 'a1'), { ok: true, value: 'ringing' });
    assert.deepEqual([(await state.agentState('a1')).state, (await state.call('c1'))?.state], ['paused', 'offered']);
    assert.deepEqual(await state.failOffer('c1', 'tok', 'no-answer', 'no-answer', false, 'a2'), { ok: true, value: 'waiting' });
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['c1', 'c2'], 'back ahead of c2');
    const failed = await events('call.offer_failed');
    assert.equal(failed.length, 1, 'one failed offer for the call, when the last phone stopped');
  });

  it('ring-all: the offer deadline frees every agent still ringing; a caller hanging up frees them too', async () => {
    for (const a of ['a1', 'a2']) await state.agentLogin(a, ['q']);
    await enqueue('c1');
    await state.reserveAll('c1', 'tok', now + 20_000, legs('a1', 'a2'));
    now += 20_000;
    assert.deepEqual(await state.failOffer('c1', 'tok', 'expired', null, true), { ok: true, value: 'waiting' });
    assert.deepEqual([(await state.agentState('a1')).state, (await state.agentState('a2')).state], ['ready', 'ready']);
    await state.reserveAll('c1', 'tok2', now + 20_000, legs('a1', 'a2'));
    assert.equal((await state.abandon('c1')).ok, true);
    assert.deepEqual([(await state.agentState('a1')).state, (await state.agentState('a2')).state], ['ready', 'ready']);
  });

  it('priority moves a caller ahead by lowering its virtual enqueue time; taking it back restores the place', async () => {
    await enqueue('c1');
    now += 30_000;
    await enqueue('c2');
    now += 1000;
    assert.deepEqual(await enqueue('c3', { priority: 1 }), { ok: true, value: 1 }, '60 s of credit beats 31 s of waiting');
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['c3', 'c1', 'c2']);
    assert.deepEqual(await state.callPriority('c2', { priority: 2 }, 60_000, 'sup'), { ok: true, value: 1 });
    assert.deepEqual((await state.waiting('q')).map((w) => w.callId), ['c2', 'c3', 'c1']);
    assert.deepEqual(await state.callPriority('c2', { priority: 0 }, 60_000, 'sup'), { ok: true, value: 3 });
    assert.equal((await state.call('c2'))?.vtime, 1_030_000, 'its own arrival time again');
    assert.deepEqual(await state.callPriority('nope', { priority: 1 }, 60_000, 'sup'), { ok: false, code: 'NOT_WAITING' });
  });

  it('admission: a full queue and an empty one refuse the caller, count it overflowed, and store nothing', async () => {
    await enqueue('c1', { maxCallers: 1 });
    assert.deepEqual(await enqueue('c2', { maxCallers: 1 }), { ok: false, code: 'QUEUE_FULL' });
    assert.equal(await state.call('c2'), undefined);
    assert.deepEqual(await enqueue('c3', { queueId: 'empty', joinWhenEmpty: 'no' }), { ok: false, code: 'QUEUE_EMPTY' });
    // strict: a logged-in agent who is paused does not count; one busy on a call does
    await state.agentLogin('a1', ['s']);
    await state.agentPause('a1', 'lunch');
    assert.deepEqual(await enqueue('c4', { queueId: 's', joinWhenEmpty: 'no' }), { ok: true, value: 1 });
    assert.deepEqual(await enqueue('c5', { queueId: 's', joinWhenEmpty: 'strict' }), { ok: false, code: 'QUEUE_EMPTY' });
    await state.agentReady('a1');
    assert.equal((await state.reserve('c4', 'a1', 't', now + 1000, 'x')).ok, true);
    assert.deepEqual(await enqueue('c6', { queueId: 's', joinWhenEmpty: 'strict' }), { ok: true, value: 1 });
    assert.deepEqual((await events('call.overflowed')).map((e) => [e.callId, e.reason]), [['c2', 'full'], ['c3', 'empty'], ['c5', 'empty']]);
  });

  it('overflow to another queue keeps the caller\'s time: ahead of callers who came later there', async () => {
    await enqueue('c1', { queueId: 'q1' });
    now += 5000;
    await enqueue('c2', { queueId: 'q2' });
    now += 5000;
    assert.deepEqual(await state.overflow('c1', 'timeout', 'queue', 'q2'), { ok: true, value: 1 });
    assert.deepEqual((await state.waiting('q2')).map((w) => w.callId), ['c1', 'c2']);
    assert.deepEqual(await state.waiting('q1'), []);
    const c1 = await state.call('c1');
    assert.deepEqual([c1?.queueId, c1?.queuedAt, c1?.enqueuedAt], ['q2', now, 1_000_000]);
    // elsewhere: the record ends
    assert.deepEqual(await state.overflow('c2', 'timeout', 'voicemail', '100'), { ok: true, value: 0 });
    assert.equal((await state.call('c2'))?.state, 'overflowed');
    assert.deepEqual(await state.overflow('c2', 'timeout', 'none', ''), { ok: false, code: 'NOT_WAITING' });
  });

  it('leaving when empty is checked in the same step: a queue with an agent logged in keeps its callers', async () => {
    await state.agentLogin('a1', ['q']);
    await enqueue('c1');
    assert.deepEqual(await state.overflow('c1', 'empty', 'none', '', 'yes'), { ok: false, code: 'NOT_EMPTY' });
    await state.agentPause('a1', 'lunch');
    assert.deepEqual(await state.overflow('c1', 'empty', 'none', '', 'yes'), { ok: false, code: 'NOT_EMPTY' }, 'paused is still logged in');
    assert.deepEqual(await state.overflow('c1', 'empty', 'none', '', 'strict'), { ok: true, value: 0 });
  });
});
