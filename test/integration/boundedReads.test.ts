import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

// The dispatcher reads the line and the ready agents a page at a time, each page from the score
// where the last one ended: these are the store's paged reads against the sets the transitions keep.
describe('paged reads of the line and the ready agents (real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const enqueue = (callId: string) =>
    state.enqueue({ callId, queueId: 'sales', node: 'n1', callerNumber: '+15550001', callerName: '', channelId: `ch-${callId}` });

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = 1_000_000;
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'x'), () => now);
  });

  it('given five agents logged in one after the other, when read two at a time from where each page ended, then every agent comes once, longest idle first, and one taken meanwhile shifts nothing', async () => {
    for (const a of ['a1', 'a2', 'a3', 'a4', 'a5']) { await state.agentLogin(a, ['sales']); now += 10; }
    const first = await state.readyAgents('sales', 2);
    assert.deepEqual(first, [{ agentId: 'a1', idleSince: 1_000_000 }, { agentId: 'a2', idleSince: 1_000_010 }]);
    // a1 is taken (pausing takes it out of the ready set, as a reserve does)
    await state.agentPause('a1', 'break');
    const second = await state.readyAgents('sales', 3, first[1].idleSince);
    assert.deepEqual(second.map((r) => r.agentId), ['a2', 'a3', 'a4'], 'from a2\'s idle time on (a2 again: the reader skips what it has)');
    assert.deepEqual((await state.readyAgents('sales', 10, 1_000_030)).map((r) => r.agentId), ['a4', 'a5']);
    assert.deepEqual((await state.readyAgents('sales')).map((r) => r.agentId), ['a2', 'a3', 'a4', 'a5'], 'without a limit: all of them, as before');
  });

  it('given callers queued one after the other, when the line is read from a virtual time on, then it starts there, in service order, at most the limit', async () => {
    for (const c of ['c1', 'c2', 'c3', 'c4']) { await enqueue(c); now += 100; }
    assert.deepEqual((await state.waiting('sales', 2)).map((w) => w.callId), ['c1', 'c2']);
    const all = await state.waiting('sales');
    assert.deepEqual((await state.waiting('sales', 2, all[1].vtime)).map((w) => w.callId), ['c2', 'c3']);
    assert.deepEqual((await state.waiting('sales', 10, all[3].vtime + 1)), [], 'nothing after the last');
  });
});
