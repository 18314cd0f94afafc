import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EventBus } from '../../src/events/bus';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('clip transitions (Lua, real Redis)', () => {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const events = async (prefix: string) => (await redis.xrange(state.keys.events(), '-', '+'))
    .map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type.startsWith(prefix));
  const create = (id: string, o: { scope?: 'personal' | 'public'; owner?: string } = {}) => state.clipCreate({
    id, name: `Clip ${id}`, scope: o.scope ?? 'personal', ownerAgentId: o.scope === 'public' ? undefined : o.owner ?? 'a1',
    createdBy: 'al', file: `${id}.wav`, sampleRate: 8000, durationMs: 2000, bytes: 32044,
  });

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(function () { now = 1_700_000_000_000; state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'clip'), () => now); });

  it('given a new clip, create stores it once with its owner and announces it; a second create of the id is refused', async () => {
    assert.deepEqual(await create('c1'), { ok: true, value: 'c1' });
    assert.deepEqual(await create('c1'), { ok: false, code: 'EXISTS' });
    now += 10;
    await create('c2', { scope: 'public' });
    assert.deepEqual(await state.clip('c1'), {
      id: 'c1', name: 'Clip c1', scope: 'personal', ownerAgentId: 'a1', createdBy: 'al', createdAt: now - 10, updatedAt: now - 10,
      archived: false, file: 'c1.wav', sampleRate: 8000, durationMs: 2000, bytes: 32044,
    });
    assert.deepEqual((await state.clips()).map((c) => [c.id, c.ownerAgentId]), [['c1', 'a1'], ['c2', undefined]], 'oldest first; public has no owner');
    const created = await events('clip.');
    assert.deepEqual(created.map((e) => [e.type, e.clipId, e.scope, e.ownerAgentId]), [['clip.created', 'c1', 'personal', 'a1'], ['clip.created', 'c2', 'public', null]]);
  });

  it('given a clip, update renames and archives it, announcing only real changes; an unknown clip is NOT_FOUND', async () => {
    await create('c1');
    now += 1000;
    assert.deepEqual(await state.clipUpdate('c1', { name: 'Greeting', archived: true }, 'al'), { ok: true, value: 'updated' });
    assert.deepEqual(await state.clipUpdate('c1', { name: 'Greeting' }, 'al'), { ok: true, value: 'unchanged' });
    assert.deepEqual(await state.clipUpdate('c1', { archived: false }, 'sam'), { ok: true, value: 'updated' });
    assert.deepEqual(await state.clipUpdate('nope', { archived: true }, 'sam'), { ok: false, code: 'NOT_FOUND' });
    const c = await state.clip('c1');
    assert.deepEqual([c?.name, c?.archived, c?.updatedAt], ['Greeting', false, now]);
    const updated = (await events('clip.updated')).map((e) => [e.name, e.archived, e.changed, e.updatedBy]);
    assert.deepEqual(updated, [['Greeting', true, ['name', 'archived'], 'al'], ['Greeting', false, ['archived'], 'sam']]);
  });

  it('given a clip, delete forgets it and returns its file for removal; deleting again is NOT_FOUND', async () => {
    await create('c1');
    assert.deepEqual(await state.clipDelete('c1', 'al'), { ok: true, value: 'c1.wav' });
    assert.deepEqual(await state.clipDelete('c1', 'al'), { ok: false, code: 'NOT_FOUND' });
    assert.equal(await state.clip('c1'), undefined);
    assert.deepEqual(await state.clips(), []);
    assert.deepEqual((await events('clip.deleted')).map((e) => [e.clipId, e.ownerAgentId, e.deletedBy]), [['c1', 'a1', 'al']]);
  });

  it('a played clip only puts call.clip_played on the stream', async () => {
    const before = await redis.keys(`${state.keys.prefix}*`);
    await state.clipPlayed({ callId: 'call1', clipId: 'c1', queueId: 'sales', agentId: 'a1', by: 'al', then: 'hangup', outcome: 'done' });
    const [e] = await events('call.clip_played');
    assert.deepEqual([e.callId, e.clipId, e.queueId, e.agentId, e.playedBy, e.then, e.outcome], ['call1', 'c1', 'sales', 'a1', 'al', 'hangup', 'done']);
    assert.deepEqual((await redis.keys(`${state.keys.prefix}*`)).filter((k) => !before.includes(k)), [state.keys.events()]);
  });
});
