import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('retention transitions (Lua, real Redis): what is over expires', () => {
  let redis: Redis;
  let state: StateStore;
  let now: number;
  const create = (id: string, number = '5550100') => state.callbackCreate({
    callbackId: id, queueId: 'q', number, name: '', preferMs: 0, maxAttempts: 2, preferLastAgent: true,
  });

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async () => {
    now = Date.now();
    state = new StateStore(redis, uniquePrefix('ret'), () => now);
    await state.retentionSet({ recordSec: 60, finishedCallbackSec: 120, lastAgentSec: 300 });
  });

  it('given a callback completed or cancelled, it leaves the live set for the finished index, stays listed, and its record and attempts expire after the retention', async () => {
    await create('cb-1'); await create('cb-2');
    assert.deepEqual(await state.callbackCancel('cb-1'), { ok: true, value: undefined });
    assert.deepEqual(await state.callbackComplete('cb-2'), { ok: true, value: 'completed' });
    assert.deepEqual(await state.callbackIds(), []);
    assert.deepEqual((await state.finishedCallbackIds()).sort(), ['cb-1', 'cb-2']);
    const ttl = await redis.ttl(`${state.keys.prefix}call:cb-1`);
    assert.ok(ttl > 100 && ttl <= 120, `record expires after the callback retention (${ttl} s)`);
    now += 121_000;   // past the retention: no longer listed
    assert.deepEqual(await state.finishedCallbackIds(), []);
  });

  it('given an agent answering a caller, the last-agent memory of the number is one key that expires', async () => {
    await state.agentLogin('a1', ['q']);
    await state.enqueue({ callId: 'c1', queueId: 'q', node: 'n1', callerNumber: '5550111', callerName: '', channelId: 'c1' });
    assert.equal((await state.reserve('c1', 'a1', 't1', now + 20_000, 'o1')).ok, true);
    assert.equal((await state.accept('c1', 't1', 'b1')).ok, true);
    const key = `${state.keys.prefix}queue:q:lastagent:5550111`;
    assert.equal(await redis.get(key), 'a1');
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 250 && ttl <= 300, `expires after the last-agent retention (${ttl} s)`);
    assert.deepEqual(await create('cb-9', '5550111'), { ok: true, value: 'waiting' });
    assert.equal((await state.call('cb-9'))?.preferredAgentId, 'a1', 'preferLastAgent still finds it');
  });

  it('given state from before retention (finished callbacks in the live set, a last-agent hash), the start-up transition brings it under retention', async () => {
    const p = state.keys.prefix;
    await redis.hset(`${p}registry:queues`, 'q', JSON.stringify({ id: 'q', extension: '8000' }));
    await create('cb-old');
    await redis.hset(`${p}call:cb-old`, 'state', 'completed');   // as an older version left it
    await redis.sadd(`${p}callbacks`, 'cb-gone');                 // its record long expired
    await redis.hset(`${p}queue:q:lastagent`, '5550122', 'a2', '5550123', 'a3');
    await state.retentionSet({ recordSec: 60, finishedCallbackSec: 120, lastAgentSec: 300 });
    assert.deepEqual(await state.callbackIds(), []);
    assert.deepEqual(await state.finishedCallbackIds(), ['cb-old']);
    assert.equal(await redis.exists(`${p}queue:q:lastagent`), 0);
    assert.deepEqual([await redis.get(`${p}queue:q:lastagent:5550122`), await redis.get(`${p}queue:q:lastagent:5550123`)], ['a2', 'a3']);
    assert.ok((await redis.ttl(`${p}queue:q:lastagent:5550122`)) > 0);
  });
});
