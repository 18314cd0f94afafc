import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AccessPolicy } from '../../src/access/policy';
import { principalOf } from '../../src/access/users';
import { EventBus } from '../../src/events/bus';
import { AcdError } from '../../src/errors';
import type { MetricsService } from '../../src/metrics/metricsService';
import type { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { WallboardService } from '../../src/wallboards/wallboardService';
import { TEST_ENV, uniquePrefix } from '../support/env';

// the registry and metrics as the service reads them: two queues, figures by queue id
const registry = {
  findQueue: (id: string) => (['sales', 'support'].includes(id) ? { id, name: id.toUpperCase() } : undefined),
  findAgent: () => undefined,
} as unknown as Registry;
const metrics = { queueStats: async (queueId: string) => ({ queueId, waiting: { callers: 2 } }) } as unknown as MetricsService;
const admin = principalOf({ id: 'ada', role: 'admin', supervisedQueues: [], permissions: {} });
const salesSup = principalOf({ id: 'sam', role: 'supervisor', supervisedQueues: ['sales'], permissions: {} });

describe('wallboards and display tokens (Lua, real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let boards: WallboardService;
  const events = async (type: string) => (await redis.xrange(state.keys.events(), '-', '+')).map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);
  const fails = (p: Promise<unknown>, status: number, code: string) => assert.rejects(p, (e: unknown) => e instanceof AcdError && e.status === status && e.code === code);

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(function () {
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'w'));
    boards = new WallboardService(state, registry, new AccessPolicy(registry), metrics);
  });

  it('given a wallboard created, replaced with no widgets, archived and back, it reads as stored (empty lists stay lists) with one event per change', async () => {
    const w = await boards.create(admin, { name: 'Floor', widgets: [{ kind: 'callersWaiting', queues: ['sales'] }, { kind: 'dayChart', queues: ['sales', 'support'] }] });
    assert.deepEqual(w.widgets.map((x) => x.id), ['w1', 'w2']);
    await boards.replace(admin, w.id, { name: 'Floor 2', widgets: [] });
    await boards.archive(admin, w.id, true);
    const got = await boards.get(admin, w.id);
    assert.deepEqual([got.name, got.widgets, got.archived], ['Floor 2', [], true]);
    await boards.archive(admin, w.id, false);
    assert.equal((await boards.get(admin, w.id)).archived, false);
    assert.deepEqual((await events('wallboard.changed')).map((e) => e.change), ['created', 'updated', 'archived', 'unarchived']);
  });

  it('given bad widgets, the API names each at its path and stores nothing', async () => {
    await assert.rejects(boards.create(admin, { name: '', widgets: [{ kind: 'pie', queues: [] }] }), (e: any) =>
      e.status === 422 && ['name', 'widgets.0.kind', 'widgets.0.queues'].every((p) => e.details.some((d: any) => d.path === p)));
    await assert.rejects(boards.create(admin, { name: 'X', widgets: [{ kind: 'callersWaiting', queues: ['nope'] }] }), (e: any) =>
      e.status === 422 && e.details[0].path === 'widgets.0.queues.0' && /unknown queue nope/.test(e.details[0].message));
    await assert.rejects(boards.create(salesSup, { name: 'X', widgets: [{ kind: 'callersWaiting', queues: ['support'] }] }), (e: any) =>
      e.status === 422 && /not one you supervise/.test(e.details[0].message));
    assert.deepEqual(await boards.list(admin), []);
  });

  it('given a supervisor, only wallboards whose every queue they supervise are theirs to see', async () => {
    const mine = await boards.create(admin, { name: 'Sales', widgets: [{ kind: 'callersWaiting', queues: ['sales'] }] });
    const other = await boards.create(admin, { name: 'Both', widgets: [{ kind: 'callersWaiting', queues: ['sales', 'support'] }] });
    assert.deepEqual((await boards.list(salesSup)).map((w) => w.id), [mine.id]);
    await fails(boards.get(salesSup, other.id), 403, 'FORBIDDEN');
    await fails(boards.issueDisplay(salesSup, other.id, {}), 403, 'FORBIDDEN');
  });

  it('given a display token, it reads its wallboard and figures until revoked; deleting the wallboard revokes its tokens', async () => {
    const w = await boards.create(admin, { name: 'TV', widgets: [{ kind: 'callersWaiting', queues: ['support'] }] });
    const d1 = await boards.issueDisplay(admin, w.id, { label: 'tv1' });
    const d2 = await boards.issueDisplay(admin, w.id, { label: 'tv2' });
    assert.equal(d1.url, `/wall/${w.id}?token=${d1.token}`);
    const read = await boards.displayRead(d1.token);
    assert.deepEqual([read.wallboard.id, read.stats.map((s) => s.queueId), read.queues], [w.id, ['support'], [{ id: 'support', name: 'SUPPORT' }]]);
    assert.deepEqual((await boards.displays(admin, w.id)).map((x) => x.label).sort(), ['tv1', 'tv2']);
    await boards.revokeDisplay(admin, w.id, d1.tokenId);
    await fails(boards.displayRead(d1.token), 401, 'DISPLAY_TOKEN_INVALID');
    await fails(boards.revokeDisplay(admin, w.id, d1.tokenId), 404, 'DISPLAY_TOKEN_NOT_FOUND');
    await boards.archive(admin, w.id, true);
    await fails(boards.displayRead(d2.token), 409, 'WALLBOARD_ARCHIVED');
    await boards.remove(admin, w.id);
    await fails(boards.displayRead(d2.token), 401, 'DISPLAY_TOKEN_INVALID');
    assert.deepEqual((await events('wallboard.display_revoked')).map((e) => e.tokenId), [d1.tokenId, d2.tokenId]);
    assert.deepEqual(await redis.keys(`${state.keys.prefix}wallboard*`), [], 'nothing left of it in Redis');
  });
});
