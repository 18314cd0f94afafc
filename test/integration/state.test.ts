import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EventBus } from '../../src/events/bus';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('state transitions (Lua, real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const events = async (type?: string) => {
    const raw = await redis.xrange(state.keys.events(), '-', '+');
    return raw.map(([id, f]) => EventBus.parse(id, f)).filter((e) => !type || e.type === type);
  };
  const enqueue = (callId: string, queueId = 'sales') =>
    state.enqueue({ callId, queueId, node: 'n1', callerNumber: `+1555${callId}`, callerName: '', channelId: `ch-${callId}` });

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = 1_000_000;
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'x'), () => now);
  });

  it('given a logged-out agent, login makes it ready in each queue, idle since the login', async () => {
    const r = await state.agentLogin('a1', ['sales', 'support']);
    assert.deepEqual(r, { ok: true, value: 'ready' });
    assert.deepEqual(await state.readyAgents('sales'), [{ agentId: 'a1', idleSince: now }]);
    assert.deepEqual(await state.readyAgents('support'), [{ agentId: 'a1', idleSince: now }]);
    const [e] = await events('agent.state');
    assert.deepEqual([e.agentId, e.state, e.queues], ['a1', 'ready', ['sales', 'support']]);
  });

  it('given a logged-out agent, ready and logout are refused and change nothing', async () => {
    assert.deepEqual(await state.agentReady('a1'), { ok: false, code: 'AGENT_LOGGED_OUT' });
    assert.deepEqual(await state.agentLogout('a1', []), { ok: false, code: 'AGENT_LOGGED_OUT' });
    assert.deepEqual(await state.agentPause('a1', 'lunch'), { ok: false, code: 'AGENT_LOGGED_OUT' });
    assert.equal((await state.agentState('a1')).state, 'logged_out');
    assert.equal((await events()).length, 0);
  });

  it('given an agent in two queues, logout from one keeps it ready in the other; from both logs it out', async () => {
    await state.agentLogin('a1', ['sales', 'support']);
    assert.deepEqual(await state.agentLogout('a1', ['sales']), { ok: true, value: 'ready' });
    assert.deepEqual(await state.readyAgents('sales'), []);
    assert.equal((await state.readyAgents('support')).length, 1);
    assert.deepEqual(await state.agentLogout('a1', []), { ok: true, value: 'logged_out' });
    assert.deepEqual(await state.readyAgents('support'), []);
    assert.deepEqual((await state.agentState('a1')).queues, []);
  });

  it('given a ready agent, pause takes it out of routing and ready puts it back with its idle time', async () => {
    await state.agentLogin('a1', ['sales']);
    now += 5000;
    await state.agentPause('a1', 'lunch');
    const st = await state.agentState('a1');
    assert.deepEqual([st.state, st.reason], ['paused', 'lunch']);
    assert.deepEqual(await state.readyAgents('sales'), []);
    now += 5000;
    await state.agentReady('a1');
    assert.deepEqual(await state.readyAgents('sales'), [{ agentId: 'a1', idleSince: 1_000_000 }]);
  });

  it('given callers queued, they wait in arrival order with positions', async () => {
    assert.deepEqual(await enqueue('c1'), { ok: true, value: 1 });
    now += 10;
    assert.deepEqual(await enqueue('c2'), { ok: true, value: 2 });
    assert.deepEqual((await state.waiting('sales')).map((w) => w.callId), ['c1', 'c2']);
    assert.deepEqual(await enqueue('c1'), { ok: false, code: 'CALL_EXISTS' });
  });

  it('walks a call through offer, answer and hang-up: agent on call, then ready with a call counted', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    now += 2000;
    assert.deepEqual(await state.reserve('c1', 'a1', 'tok', now + 20_000, 'offer-tok'), { ok: true, value: undefined });
    assert.equal((await state.agentState('a1')).state, 'reserved');
    assert.deepEqual(await state.waiting('sales'), []);
    now += 1000;
    assert.deepEqual(await state.accept('c1', 'tok', 'br1'), { ok: true, value: { agentId: 'a1', others: [] } });
    const answered = (await events('call.answered'))[0];
    assert.equal(answered.waitMs, 3000);
    assert.equal((await state.agentState('a1')).state, 'on_call');
    now += 60_000;
    assert.deepEqual(await state.release('c1', 'caller'), { ok: true, value: 'a1' });
    const a = await state.agentState('a1');
    assert.deepEqual([a.state, a.callsToday, a.idleSince, a.callId], ['ready', 1, now, null]);
    const ended = (await events('call.ended'))[0];
    assert.deepEqual([ended.talkMs, ended.endedBy], [60_000, 'caller']);
    assert.deepEqual(await state.release('c1', 'agent'), { ok: false, code: 'NOT_CONNECTED' });
    assert.equal((await state.call('c1'))?.state, 'ended');
  });

  it('given an unanswered offer, the caller returns to its original place ahead of later callers, the agent is paused no-answer', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    await state.reserve('c1', 'a1', 'tok', now + 20_000, 'offer-tok');
    now += 100;
    await enqueue('c2');
    now += 15_000;
    assert.deepEqual(await state.failOffer('c1', 'tok', 'no-answer', 'no-answer'), { ok: true, value: 'waiting' });
    assert.deepEqual((await state.waiting('sales')).map((w) => w.callId), ['c1', 'c2']);
    const a = await state.agentState('a1');
    assert.deepEqual([a.state, a.reason], ['paused', 'no-answer']);
    assert.equal((await events('call.offer_failed'))[0].outcome, 'no-answer');
    assert.equal(await redis.zcard(state.keys.timers()), 0, 'the expiry timer is gone');
  });

  it('given a stale token, accept and fail change nothing', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    await state.reserve('c1', 'a1', 'tok', now + 20_000, 'offer-tok');
    const before = (await events()).length;
    assert.deepEqual(await state.accept('c1', 'old', 'br'), { ok: false, code: 'STALE_OFFER' });
    assert.deepEqual(await state.failOffer('c1', 'old', 'no-answer', 'no-answer'), { ok: false, code: 'STALE_OFFER' });
    assert.equal((await state.agentState('a1')).state, 'reserved');
    assert.equal((await events()).length, before);
  });

  it('given a caller who hangs up while the agent rings, the call is abandoned with its wait and the agent is ready again', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    await state.reserve('c1', 'a1', 'tok', now + 20_000, 'offer-tok');
    now += 7000;
    assert.deepEqual(await state.abandon('c1'), { ok: true, value: 'a1' });
    const e = (await events('call.abandoned'))[0];
    assert.deepEqual([e.callId, e.waitMs, e.queueId], ['c1', 7000, 'sales']);
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.deepEqual(await state.waiting('sales'), []);
    assert.deepEqual(await state.abandon('c1'), { ok: false, code: 'NOT_WAITING' });
  });

  it('given an offer whose controller died, its Redis deadline frees the agent once, and not before it is due', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    await state.reserve('c1', 'a1', 'tok', now + 23_000, 'offer-tok');
    assert.deepEqual(await state.dueTimers(now), []);
    assert.deepEqual(await state.failOffer('c1', 'tok', 'expired', null, true), { ok: false, code: 'STALE_OFFER' }, 'not yet due');
    now += 23_000;
    assert.deepEqual(await state.dueTimers(now), ['offer|c1|tok']);
    assert.deepEqual(await state.failOffer('c1', 'tok', 'expired', null, true), { ok: true, value: 'waiting' });
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.deepEqual((await state.waiting('sales')).map((w) => w.callId), ['c1']);
    assert.deepEqual(await state.failOffer('c1', 'tok', 'expired', null, true), { ok: false, code: 'STALE_OFFER' });
  });

  it('given an agent reserved or on a call, its phone showing busy changes nothing; a ready agent\'s busy phone takes it out of routing until the phone is free', async () => {
    await state.agentLogin('a1', ['sales']);
    await enqueue('c1');
    await state.reserve('c1', 'a1', 't1', now + 20_000, 'offer-t1');
    assert.deepEqual(await state.agentDevice('a1', 'busy'), { ok: false, code: 'NO_CHANGE' }, 'ringing for our offer');
    await state.accept('c1', 't1', 'call-c1');
    assert.deepEqual(await state.agentDevice('a1', 'busy'), { ok: false, code: 'NO_CHANGE' }, 'on our call');
    await state.release('c1', 'caller');
    assert.equal((await state.agentState('a1')).device, 'online');
    const before = (await events('agent.state')).length;
    // ready again, the phone rings for a call of its own
    assert.deepEqual(await state.agentDevice('a1', 'busy'), { ok: true, value: undefined });
    assert.equal((await state.agentState('a1')).device, 'busy');
    assert.deepEqual(await state.readyAgents('sales'), []);
    const changed = (await events('agent.state')).slice(before);
    assert.deepEqual(changed.map((e) => [e.state, e.device]), [['ready', 'busy']]);
    assert.deepEqual(await state.agentDevice('a1', 'online'), { ok: true, value: undefined });
    assert.equal((await state.readyAgents('sales')).length, 1);
  });

  it('given a logged-in agent, its definition cannot be deleted', async () => {
    await state.registryPut('agents', 'a1', { id: 'a1' }, 'create');
    await state.agentLogin('a1', ['sales']);
    assert.deepEqual(await state.registryDelete('agents', 'a1'), { ok: false, code: 'AGENT_LOGGED_IN' });
    await state.agentLogout('a1', []);
    assert.deepEqual(await state.registryDelete('agents', 'a1'), { ok: true, value: undefined });
    assert.deepEqual(await state.registryPut('agents', 'a1', { id: 'a1' }, 'seed'), { ok: true, value: 'created' });
    assert.deepEqual(await state.registryPut('agents', 'a1', { id: 'a1', x: 1 }, 'seed'), { ok: false, code: 'KEPT' });
  });

  describe('races', () => {
    it('given 200 concurrent offers of one agent for 200 callers, exactly one wins and exactly one offer event is written', async () => {
      await state.agentLogin('a1', ['sales']);
      for (let i = 0; i < 200; i++) await enqueue(`c${i}`);
      // two connections: two controllers racing, not one connection's pipeline
      const other = new Redis(TEST_ENV.redisUrl);
      try {
        const otherState = new StateStore(other, state.keys.prefix, () => now);
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
          (i % 2 ? otherState : state).reserve(`c${i}`, 'a1', `t${i}`, now + 20_000, `o${i}`)));
        assert.equal(results.filter((r) => r.ok).length, 1);
        assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'AGENT_NOT_READY'));
        assert.equal((await events('call.offered')).length, 1);
        assert.equal((await state.waiting('sales')).length, 199);
      } finally {
        await other.quit();
      }
    });

    it('given 50 agents racing for one caller, exactly one gets it and the others stay ready', async () => {
      for (let i = 0; i < 50; i++) await state.agentLogin(`a${i}`, ['sales']);
      await enqueue('c1');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => state.reserve('c1', `a${i}`, `t${i}`, now + 20_000, `o${i}`)));
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.equal((await state.readyAgents('sales')).length, 49);
      assert.equal((await events('call.offered')).length, 1);
    });
  });
});
