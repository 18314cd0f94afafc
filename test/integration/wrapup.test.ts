import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('wrap-up transitions (Lua, real Redis)', () => {
  let redis: Redis;
  let state: StateStore;
  let now: number;
  const wrap = { ms: 10_000, maxMs: 25_000, stepMs: 10_000 };

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async () => {
    now = 9_000_000;
    state = new StateStore(redis, uniquePrefix('wrap'), () => now);
    await state.agentLogin('a1', ['q1', 'q2']);
    await state.enqueue({ callId: 'c1', queueId: 'q1', node: 'n', callerNumber: '1', callerName: '', channelId: 'c1' });
    await state.reserve('c1', 'a1', 'tok', now + 20_000, 'o');
    await state.accept('c1', 'tok', 'b');
    now += 60_000;
    await state.release('c1', 'caller', wrap);
  });

  it('given a call with wrap-up ends, the agent is out of every queue\'s routing until the deadline, with a timer set', async () => {
    const a = await state.agentState('a1');
    assert.deepEqual([a.state, a.wrapUpUntil, a.wrapUpQueue, a.callsToday], ['wrap_up', now + 10_000, 'q1', 1]);
    assert.deepEqual([await state.readyAgents('q1'), await state.readyAgents('q2')], [[], []]);
    const [timer] = await state.dueTimers(now + 10_000);
    assert.match(timer, /^wrapup\|a1\|/);
    assert.deepEqual(await state.agentReady('a1'), { ok: false, code: 'AGENT_IN_WRAPUP' });
  });

  it('extends by the step up to the maximum, then refuses', async () => {
    assert.deepEqual(await state.wrapupExtend('a1'), { ok: true, value: now + 20_000 });
    assert.deepEqual(await state.wrapupExtend('a1'), { ok: false, code: 'WRAPUP_MAX' }, '30 s would pass the 25 s maximum');
    assert.deepEqual(await state.dueTimers(now + 19_999), [], 'the timer moved with the deadline');
  });

  it('the timer ends it only when due and only once; the agent is then ready, idle from that moment', async () => {
    const [timer] = await state.dueTimers(now + 10_000);
    const token = timer.split('|')[2];
    assert.deepEqual(await state.wrapupEnd('a1', token, true), { ok: false, code: 'NOT_DUE' });
    now += 10_000;
    assert.deepEqual(await state.wrapupEnd('a1', token, true), { ok: true, value: undefined });
    assert.deepEqual(await state.readyAgents('q2'), [{ agentId: 'a1', idleSince: now }]);
    assert.deepEqual(await state.wrapupEnd('a1', token, true), { ok: false, code: 'NOT_IN_WRAPUP' });
    assert.equal(await redis.zcard(state.keys.timers()), 0);
  });

  it('ending early and logging out both clear the timer', async () => {
    assert.deepEqual(await state.wrapupEnd('a1'), { ok: true, value: undefined });
    assert.equal(await redis.zcard(state.keys.timers()), 0);
    await state.enqueue({ callId: 'c2', queueId: 'q1', node: 'n', callerNumber: '1', callerName: '', channelId: 'c2' });
    await state.reserve('c2', 'a1', 't2', now + 20_000, 'o2');
    await state.accept('c2', 't2', 'b2');
    await state.release('c2', 'agent', wrap);
    assert.deepEqual(await state.agentLogout('a1', []), { ok: true, value: 'logged_out' });
    assert.equal(await redis.zcard(state.keys.timers()), 0);
  });
});
