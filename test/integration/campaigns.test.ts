import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EventBus } from '../../src/events/bus';
import { CampaignStore } from '../../src/state/campaignStore';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

describe('campaign transitions (Lua, real Redis)', () => {
  let redis: Redis;
  let other: Redis;
  let state: StateStore;
  let store: CampaignStore;
  let prefix: string;
  let now: number;

  const events = async (type: string) => (await redis.xrange(state.keys.events(), '-', '+'))
    .map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);
  const entries = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ id: `e${from + i}`, number: `55501${String(from + i).padStart(2, '0')}`, source: 'api' as const }));
  /** A campaign with agent a1 assigned and logged in (ready), and three people to call. */
  const campaignWithAgent = async (id = 'c1') => {
    assert.deepEqual(await store.put(id, 'create', { name: 'Missed' }, ['a1']), { ok: true, value: undefined });
    assert.equal((await store.agent(id, 'a1', 'login')).ok, true);
    assert.equal((await store.addEntries(id, entries(3))).ok, true);
  };
  const reserve = (s: CampaignStore, agent = 'a1', token = 't1', campaign = 'c1') => s.reserve(campaign, agent, token, now + 20_000, 'n1', `cc-${token}`);

  before(() => { redis = new Redis(TEST_ENV.redisUrl); other = new Redis(TEST_ENV.redisUrl); });
  after(async () => { await redis.quit(); await other.quit(); });
  beforeEach(() => {
    now = Date.parse('2026-12-01T10:00:00Z');
    prefix = uniquePrefix('camp');
    state = new StateStore(redis, prefix, () => now);
    store = new CampaignStore(redis, prefix, 'UTC', () => now);
  });

  it('given a new campaign, when it is created twice, then the second is refused and one campaign.updated event carries the campaign', async () => {
    assert.equal((await store.put('c1', 'create', { name: 'Missed calls', options: { doNotCall: true } })).ok, true);
    assert.deepEqual(await store.put('c1', 'create', { name: 'Again' }), { ok: false, code: 'CAMPAIGN_EXISTS' });
    assert.deepEqual(await store.put('nope', 'update', { name: 'x' }), { ok: false, code: 'CAMPAIGN_NOT_FOUND' });
    const [e] = await events('campaign.updated') as any[];
    assert.equal(e.campaign.name, 'Missed calls');
    assert.equal(e.campaign.state, 'active');
    assert.equal(e.campaign.inboundFirst, true);
    assert.deepEqual(e.campaign.agents, []);
    assert.equal(e.campaign.createdAt, '2026-12-01T10:00:00.000Z');
    assert.deepEqual(e.campaign.options, { doNotCall: true });
    const c = await store.campaign('c1');
    assert.equal(c?.name, 'Missed calls');
  });

  it('given an agent not assigned, it cannot log in; assigned, it logs in (becoming ready), pauses with a reason, unpauses and logs out (logged out again)', async () => {
    await store.put('c1', 'create', { name: 'C' });
    assert.deepEqual(await store.agent('c1', 'a1', 'login'), { ok: false, code: 'AGENT_NOT_ASSIGNED' });
    assert.deepEqual(await store.agent('c9', 'a1', 'login'), { ok: false, code: 'CAMPAIGN_NOT_FOUND' });
    await store.assign('c1', 'a1', 'add');
    assert.deepEqual(await store.agent('c1', 'a1', 'pause', 'lunch'), { ok: false, code: 'AGENT_NOT_LOGGED_IN' });
    assert.equal((await store.agent('c1', 'a1', 'login')).ok, true);
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.deepEqual(await store.agentCampaigns('a1'), ['c1']);
    await store.agent('c1', 'a1', 'pause', 'lunch');
    assert.deepEqual((await store.logins('c1')).paused, { a1: 'lunch' });
    await store.agent('c1', 'a1', 'ready');
    assert.deepEqual((await store.logins('c1')).paused, {});
    await store.agent('c1', 'a1', 'logout');
    assert.equal((await state.agentState('a1')).state, 'logged_out');
    const agentEvents = (await events('campaign.agent')).map((e) => [e.loggedIn, e.paused, e.pauseReason ?? null]);
    assert.deepEqual(agentEvents, [[true, false, null], [true, true, 'lunch'], [true, false, null], [false, false, null]]);
    assert.equal((await store.stats('c1')).agentsLoggedIn, 0);
  });

  it('given an agent also logged in to a queue, logging out of the campaign leaves it ready for the queue', async () => {
    await store.put('c1', 'create', { name: 'C' }, ['a1']);
    await state.agentLogin('a1', ['q']);
    await store.agent('c1', 'a1', 'login');
    await store.agent('c1', 'a1', 'logout');
    assert.equal((await state.agentState('a1')).state, 'ready');
  });

  it('given entries added, they wait in dial order, one entries_added event per batch, and a missed call cannot be added twice to one campaign', async () => {
    await store.put('c1', 'create', { name: 'C' });
    await store.put('c2', 'create', { name: 'D' });
    const r = await store.addEntries('c1', [...entries(2), { id: 'm1', number: '5550199', source: 'missed', missedCallId: 'call-1' }]);
    assert.deepEqual(r, { ok: true, value: { added: ['e1', 'e2', 'm1'], refused: [] } });
    const again = await store.addEntries('c1', [{ id: 'm2', number: '5550199', source: 'missed', missedCallId: 'call-1' }]);
    assert.deepEqual(again, { ok: true, value: { added: [], refused: [{ index: 0, code: 'ALREADY_ADDED' }] } });
    assert.equal((await store.addEntries('c2', [{ id: 'm3', number: '5550199', source: 'missed', missedCallId: 'call-1' }])).ok, true);
    assert.deepEqual((await store.missedCampaigns(['call-1'])).get('call-1'), ['c1', 'c2']);
    assert.deepEqual((await store.entryIds('c1', 'waiting', 0, 10)).ids, ['e1', 'e2', 'm1']);
    assert.deepEqual((await events('campaign.entries_added')).map((e) => e.count), [3, 1]);
    const s = await store.stats('c1');
    assert.deepEqual([s.total, s.notDialed, s.percentDialed], [3, 3, 0]);
    assert.deepEqual(await store.addEntries('nope', entries(1)), { ok: false, code: 'CAMPAIGN_NOT_FOUND' });
  });

  it('given entries, when some are moved and others deleted in bulk, then they leave the campaign, and an entry being dialed is neither moved nor deleted', async () => {
    await campaignWithAgent();
    await store.put('c2', 'create', { name: 'Other' });
    assert.equal((await reserve(store)).ok, true);                 // e1 is being dialed
    assert.deepEqual(await store.moveEntries('c1', 'c2', ['e1', 'e2', 'zz']), { ok: true, value: 1 });
    assert.deepEqual(await store.moveEntries('c1', 'c9', ['e3']), { ok: false, code: 'TARGET_CAMPAIGN_NOT_FOUND' });
    assert.deepEqual((await store.entryIds('c2', undefined, 0, 10)).ids, ['e2']);
    assert.equal((await store.entry('e2'))?.campaignId, 'c2');
    assert.deepEqual(await store.deleteEntries('c1', ['e1', 'e3', 'e2']), { ok: true, value: 1 });
    assert.deepEqual((await store.entryIds('c1', undefined, 0, 10)).ids, ['e1']);
    assert.equal(await store.entry('e3'), undefined);
    assert.deepEqual((await store.stats('c2')).byStatus, { waiting: 1, dialing: 0, handled: 0, not_completed: 0 });
  });

  it('given a ready agent of the campaign, reserving takes the first waiting entry and the agent, and its lifecycle resolves the entry as handled with wrap-up', async () => {
    await campaignWithAgent();
    assert.deepEqual(await reserve(store), { ok: true, value: 'e1' });
    const a = await state.agentState('a1');
    assert.deepEqual([a.state, a.callId], ['reserved', 'cc-t1']);
    assert.deepEqual(await reserve(store, 'a1', 't2'), { ok: false, code: 'AGENT_NOT_READY' });
    const e = await store.entry('e1');
    assert.deepEqual([e?.status, e?.callState, e?.attempts, e?.agentId], ['dialing', 'agent_ringing', 1, 'a1']);
    assert.ok((await redis.zscore(`${prefix}timers`, 'campaign|e1|t1')) !== null, 'the ring deadline is a Redis timer');
    assert.deepEqual(await store.customerConnected('e1', 't1'), { ok: false, code: 'STALE' }, 'not before the agent answered');
    assert.equal((await store.agentAnswered('e1', 't1')).ok, true);
    assert.equal((await state.agentState('a1')).state, 'on_call');
    assert.equal((await store.customerConnected('e1', 't1')).ok, true);
    now += 30_000;
    assert.deepEqual(await store.dialEnd('e1', 'wrong', 'answered'), { ok: false, code: 'STALE' });
    assert.deepEqual(await store.dialEnd('e1', 't1', 'answered', { talkMs: 30_000, wrap: { ms: 5000, maxMs: 5000, stepMs: 0 } }), { ok: true, value: 'handled' });
    assert.deepEqual(await store.dialEnd('e1', 't1', 'answered'), { ok: false, code: 'STALE' }, 'ended once');
    const after = await state.agentState('a1');
    assert.deepEqual([after.state, after.callId, after.callsToday], ['wrap_up', null, 1]);
    const s = await store.stats('c1');
    assert.deepEqual([s.byStatus.handled, s.notDialed, s.callsToday, s.avgHandleSec], [1, 2, 1, 35]);
    assert.equal(Math.round(s.percentDialed), 33);
    const ended = (await events('campaign.call')).filter((x) => x.state === 'ended');
    assert.deepEqual(ended.map((x) => [x.outcome, x.talkMs, x.handleMs, x.status]), [['answered', 30_000, 35_000, 'handled']]);
    assert.deepEqual((await events('campaign.entry')).map((x) => x.status), ['dialing', 'handled']);
  });

  it('given the customer does not answer (or is busy), the entry is not completed; with a retry rule it waits again, due after the delay', async () => {
    await campaignWithAgent();
    await reserve(store);
    await store.agentAnswered('e1', 't1');
    assert.deepEqual(await store.dialEnd('e1', 't1', 'busy'), { ok: true, value: 'not_completed' });
    assert.equal((await store.entry('e1'))?.lastOutcome, 'busy');
    await state.agentReady('a1');
    assert.deepEqual(await reserve(store, 'a1', 't2'), { ok: true, value: 'e2' });
    await store.agentAnswered('e2', 't2');
    assert.deepEqual(await store.dialEnd('e2', 't2', 'no_answer', { retryAfterMs: 60_000 }), { ok: true, value: 'waiting' });
    assert.equal((await store.entry('e2'))?.dueAt, now + 60_000);
    assert.deepEqual(await reserve(store, 'a1', 't3'), { ok: true, value: 'e3' }, 'e2 is not due yet: e3 is next');
    await store.agentAnswered('e3', 't3');
    await store.dialEnd('e3', 't3', 'failed');
    assert.deepEqual(await reserve(store, 'a1', 't4'), { ok: false, code: 'NO_ENTRY' });
    now += 60_000;
    assert.deepEqual(await reserve(store, 'a1', 't4'), { ok: true, value: 'e2' });
    assert.equal((await store.entry('e2'))?.attempts, 2);
  });

  it('given the agent does not answer before the ring deadline, the timer puts the entry back as it was and pauses the agent in this campaign only', async () => {
    await campaignWithAgent();
    await reserve(store);
    assert.deepEqual(await store.dialEnd('e1', 't1', 'agent_no_answer', { fromTimer: true, pauseReason: 'not-answering' }), { ok: false, code: 'STALE' }, 'not due yet');
    now += 20_000;
    assert.deepEqual(await store.dialEnd('e1', 't1', 'agent_no_answer', { fromTimer: true, pauseReason: 'not-answering' }), { ok: true, value: 'waiting' });
    const e = await store.entry('e1');
    assert.deepEqual([e?.status, e?.attempts, e?.agentId], ['waiting', 0, undefined]);
    assert.equal((await state.agentState('a1')).state, 'ready');
    assert.deepEqual((await store.logins('c1')).paused, { a1: 'not-answering' });
    assert.deepEqual(await reserve(store, 'a1', 't2'), { ok: false, code: 'AGENT_PAUSED' });
    assert.equal((await store.stats('c1')).callsToday, 0, 'the customer was never dialed');
  });

  it('given a paused campaign, an inbound caller waiting in the agent\'s queue, or a paused agent, nothing is reserved', async () => {
    await campaignWithAgent();
    await store.setState('c1', 'paused');
    assert.deepEqual(await reserve(store), { ok: false, code: 'CAMPAIGN_PAUSED' });
    await store.setState('c1', 'active');
    await state.agentLogin('a1', ['q']);
    await state.enqueue({ callId: 'in1', queueId: 'q', node: 'n1', callerNumber: '5551', callerName: '', channelId: 'ch1' });
    assert.deepEqual(await reserve(store), { ok: false, code: 'INBOUND_WAITING' });
    await store.put('c1', 'update', { inboundFirst: false });
    assert.equal((await reserve(store)).ok, true, 'inboundFirst off: the campaign call goes first');
  });

  it('given two controllers racing to reserve one agent for calls of two campaigns, exactly one reservation wins each time', async () => {
    await campaignWithAgent();
    await store.put('c2', 'create', { name: 'Second' }, ['a1']);
    await store.agent('c2', 'a1', 'login');
    await store.addEntries('c2', entries(2, 10));
    const second = new CampaignStore(other, prefix, 'UTC', () => now);
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([
        reserve(store, 'a1', `x${round}`, 'c1'), reserve(second, 'a1', `y${round}`, 'c2'), reserve(second, 'a1', `z${round}`, 'c1'),
      ]);
      assert.equal(results.filter((r) => r.ok).length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const won = results.findIndex((r) => r.ok);
      const token = [`x${round}`, `y${round}`, `z${round}`][won];
      const entryId = (results[won] as { value: string }).value;
      await store.dialEnd(entryId, token, 'lost');
    }
    assert.equal((await events('agent.state')).filter((e) => e.state === 'reserved').length, 5);
    const dialing = await Promise.all(['c1', 'c2'].map(async (c) => (await store.stats(c)).byStatus.dialing));
    assert.deepEqual(dialing, [0, 0]);
  });

  it('given a campaign with a call in progress, it cannot be deleted; once over, deleting it removes its entries and logs its agents out', async () => {
    await campaignWithAgent();
    await reserve(store);
    assert.deepEqual(await store.delete('c1'), { ok: false, code: 'CAMPAIGN_DIALING' });
    await store.dialEnd('e1', 't1', 'lost');
    assert.deepEqual(await store.delete('c1'), { ok: true, value: 3 });
    assert.equal(await store.campaign('c1'), undefined);
    assert.equal(await store.entry('e2'), undefined);
    assert.deepEqual(await store.agentCampaigns('a1'), []);
    assert.equal((await state.agentState('a1')).state, 'logged_out');
    const last = (await events('campaign.updated')).at(-1);
    assert.deepEqual([last?.campaignId, last?.campaign], ['c1', null]);
    assert.deepEqual(await store.delete('c1'), { ok: false, code: 'CAMPAIGN_NOT_FOUND' });
  });
});
