import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AcdEvent, EventBus } from '../../src/events/bus';
import { NO_WRAPUP, StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

/**
 * The in-call transitions (hold, three-way parties, consultation, park/unpark, dispositions,
 * monitoring) on real Redis: each one's result code, the state it leaves, and the events it
 * appends — exactly one of each kind, none when it refuses.
 */
describe('in-call state transitions (Lua, real Redis)', function () {
  let redis: Redis;
  let state: StateStore;
  let now: number;
  /** Stream length before the step under test: `appended()` returns only what came after. */
  let mark = 0;

  const allEvents = async (): Promise<AcdEvent[]> =>
    (await redis.xrange(state.keys.events(), '-', '+')).map(([id, f]) => EventBus.parse(id, f));
  const markEvents = async () => { mark = (await allEvents()).length; };
  const appended = async () => (await allEvents()).slice(mark);
  /** The types appended since the mark, sorted: asserting them asserts "exactly one each". */
  const appendedTypes = async () => (await appended()).map((e) => e.type).sort();
  const one = async (type: string) => {
    const found = (await appended()).filter((e) => e.type === type);
    assert.equal(found.length, 1, `exactly one ${type}`);
    return found[0];
  };
  const callHash = (id: string) => redis.hgetall(state.keys.call(id));

  /** c1 answered by `agent` in queue sales (bridge br-<callId>). */
  const connected = async (callId = 'c1', agent = 'a1') => {
    await state.agentLogin(agent, ['sales']);
    await state.enqueue({ callId, queueId: 'sales', node: 'n1', callerNumber: '+15550100', callerName: '', channelId: `ch-${callId}` });
    now += 1000;
    assert.equal((await state.reserve(callId, agent, `tok-${callId}`, now + 20_000, `offer-${callId}`)).ok, true);
    assert.equal((await state.accept(callId, `tok-${callId}`, `br-${callId}`)).ok, true);
    now += 1000;
  };

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = 5_000_000;
    state = new StateStore(redis, uniquePrefix(`calltr-${this.currentTest?.title.slice(0, 16) ?? 'x'}`), () => now);
  });

  describe('hold', () => {
    it('given a connected call, when held, then it is marked held with one call.held; held again: NO_CHANGE and no event; unheld 7 s later: one call.unheld and 7 s of hold counted', async () => {
      await connected();
      await markEvents();
      assert.deepEqual(await state.callHold('c1', true, 'u1'), { ok: true, value: undefined });
      let c = await callHash('c1');
      assert.deepEqual([c.held, c.heldAt], ['1', String(now)]);
      const held = await one('call.held');
      assert.deepEqual([held.callId, held.queueId, held.agentId, held.by], ['c1', 'sales', 'a1', 'u1']);
      assert.deepEqual(await appendedTypes(), ['call.held']);

      await markEvents();
      assert.deepEqual(await state.callHold('c1', true, 'u1'), { ok: false, code: 'NO_CHANGE' });
      assert.deepEqual(await appended(), []);

      now += 7000;
      assert.deepEqual(await state.callHold('c1', false, 'u2'), { ok: true, value: undefined });
      c = await callHash('c1');
      assert.deepEqual([c.held, c.holdMs], ['0', '7000']);
      assert.equal((await one('call.unheld')).by, 'u2');
      assert.deepEqual(await appendedTypes(), ['call.unheld']);
    });

    it('given a call still waiting, when held, then NOT_CONNECTED, nothing stored, no event', async () => {
      await state.enqueue({ callId: 'c1', queueId: 'sales', node: 'n1', callerNumber: '1', callerName: '', channelId: 'ch' });
      await markEvents();
      assert.deepEqual(await state.callHold('c1', true, 'u1'), { ok: false, code: 'NOT_CONNECTED' });
      assert.equal((await callHash('c1')).held, undefined);
      assert.deepEqual(await appended(), []);
    });
  });

  describe('three-way parties', () => {
    it('given a connected call, when a party joins and leaves, then one party_joined and one party_left; leaving again: NOT_A_PARTY, no event', async () => {
      await connected();
      await markEvents();
      assert.deepEqual(await state.callParty('c1', 'p1', 'join', '2001', 'u1'), { ok: true, value: undefined });
      const stored = JSON.parse((await redis.hget(`${state.keys.call('c1')}:parties`, 'p1'))!);
      assert.deepEqual(stored, { target: '2001', joinedAt: now, by: 'u1' });
      const joined = await one('call.party_joined');
      assert.deepEqual([joined.callId, joined.partyId, joined.target, joined.by], ['c1', 'p1', '2001', 'u1']);
      assert.deepEqual(await appendedTypes(), ['call.party_joined']);

      await markEvents();
      assert.deepEqual(await state.callParty('c1', 'p1', 'leave', '2001', ''), { ok: true, value: undefined });
      assert.equal(await redis.hget(`${state.keys.call('c1')}:parties`, 'p1'), null);
      assert.deepEqual(await appendedTypes(), ['call.party_left']);

      await markEvents();
      assert.deepEqual(await state.callParty('c1', 'p1', 'leave', '2001', ''), { ok: false, code: 'NOT_A_PARTY' });
      assert.deepEqual(await appended(), []);
    });

    it('given a call that is not connected, when a party joins, then NOT_CONNECTED and no event', async () => {
      await markEvents();
      assert.deepEqual(await state.callParty('nope', 'p1', 'join', '2001', 'u1'), { ok: false, code: 'NOT_CONNECTED' });
      assert.deepEqual(await appended(), []);
    });
  });

  describe('consultation (attended transfer)', () => {
    it('given a connected call and a ready agent, when a consultation starts, then the target is reserved for this call with one consult_started and one agent.state; a second start: CONSULT_IN_PROGRESS', async () => {
      await connected();
      await state.agentLogin('a2', ['sales']);
      await markEvents();
      assert.deepEqual(await state.consultStart('c1', 'k1', 'agent', 'a2', 'u1'), { ok: true, value: undefined });
      const a2 = await state.agentState('a2');
      assert.deepEqual([a2.state, a2.callId], ['reserved', 'c1']);
      assert.deepEqual(await state.readyAgents('sales'), [], 'a reserved target is offered nothing else');
      const c = await callHash('c1');
      assert.deepEqual([c.consultId, c.consultKind, c.consultTarget], ['k1', 'agent', 'a2']);
      const started = await one('call.consult_started');
      assert.deepEqual([started.consultId, started.kind, started.target, started.agentId, started.by], ['k1', 'agent', 'a2', 'a1', 'u1']);
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.consult_started']);

      await markEvents();
      assert.deepEqual(await state.consultStart('c1', 'k2', 'extension', '2001', 'u1'), { ok: false, code: 'CONSULT_IN_PROGRESS' });
      assert.deepEqual(await appended(), []);
    });

    it('given a connected call, when the agent consults itself, an agent not ready, or on a call not connected, then SAME_AGENT, TARGET_NOT_READY, NOT_CONNECTED, and no event', async () => {
      await connected();
      await state.agentLogin('a3', ['sales']);
      await state.agentPause('a3', 'lunch');
      await markEvents();
      assert.deepEqual(await state.consultStart('c1', 'k1', 'agent', 'a1', 'u1'), { ok: false, code: 'SAME_AGENT' });
      assert.deepEqual(await state.consultStart('c1', 'k1', 'agent', 'a3', 'u1'), { ok: false, code: 'TARGET_NOT_READY' });
      assert.deepEqual(await state.consultStart('other', 'k1', 'extension', '2001', 'u1'), { ok: false, code: 'NOT_CONNECTED' });
      assert.equal((await state.agentState('a3')).state, 'paused');
      assert.equal((await callHash('c1')).consultId, undefined);
      assert.deepEqual(await appended(), []);
    });

    it('given a consultation of an agent, when completed before the target answers: NOT_ANSWERED; after it answers, the target becomes the call\'s agent and the consulting agent is done, with one call.transferred (attended)', async () => {
      await connected();
      await state.agentLogin('a2', ['sales']);
      await state.consultStart('c1', 'k1', 'agent', 'a2', 'u1');
      await markEvents();
      assert.deepEqual(await state.consultComplete('c1', 'k1', NO_WRAPUP, 'u1'), { ok: false, code: 'NOT_ANSWERED' });
      assert.deepEqual(await appended(), []);

      assert.deepEqual(await state.consultAnswered('c1', 'k1'), { ok: true, value: undefined });
      assert.equal((await state.agentState('a2')).state, 'on_call');
      assert.equal((await callHash('c1')).consultAnswered, '1');
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.consult_answered']);

      await markEvents();
      now += 1000;
      assert.deepEqual(await state.consultComplete('c1', 'k1', NO_WRAPUP, 'u1'), { ok: true, value: 'agent' });
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.agentId, c.transfers, c.consultId, c.held], ['connected', 'a2', '1', undefined, undefined]);
      const a1 = await state.agentState('a1');
      assert.deepEqual([a1.state, a1.callsToday, a1.callId], ['ready', 1, null]);
      const t = await one('call.transferred');
      assert.deepEqual([t.kind, t.fromAgentId, t.target, t.by], ['attended', 'a1', 'a2', 'u1']);
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.transferred']);
    });

    it('given an answered consultation of an extension, when completed, then the call leaves the ACD: ended by transfer to that extension, the agent goes to wrap-up', async () => {
      await connected();
      await state.consultStart('c1', 'k1', 'extension', '2001', 'u1');
      await state.consultAnswered('c1', 'k1');
      await markEvents();
      assert.deepEqual(await state.consultComplete('c1', 'k1', { ms: 30_000, maxMs: 60_000, stepMs: 10_000 }, 'u1'), { ok: true, value: 'extension' });
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.endedBy, c.transferredTo], ['ended', 'transfer', '2001']);
      const a1 = await state.agentState('a1');
      assert.deepEqual([a1.state, a1.wrapUpUntil], ['wrap_up', now + 30_000]);
      assert.equal((await one('call.transferred')).kind, 'attended');
    });

    it('given a consultation in progress, when the call is blind-transferred, then CONSULT_IN_PROGRESS: the call stays with its agent, the target stays reserved for it, no event', async () => {
      await connected();
      await state.agentLogin('a2', ['sales']);
      await state.consultStart('c1', 'k1', 'agent', 'a2', 'u1');
      await markEvents();
      const r = await state.callTransfer('c1', { kind: 'queue', target: 'sales' }, { ms: 0, maxMs: 0, stepMs: 0 }, 'u1');
      assert.deepEqual(r, { ok: false, code: 'CONSULT_IN_PROGRESS' });
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.agentId, c.consultId], ['connected', 'a1', 'k1']);
      assert.deepEqual([(await state.agentState('a2')).state, (await state.agentState('a2')).callId], ['reserved', 'c1']);
      assert.deepEqual(await appended(), []);
    });

    it('given a consultation of an agent, when cancelled, then the target is ready again with one consult_ended; cancelled again: NO_CONSULT, no event', async () => {
      await connected();
      await state.agentLogin('a2', ['sales']);
      await state.consultStart('c1', 'k1', 'agent', 'a2', 'u1');
      await markEvents();
      assert.deepEqual(await state.consultCancel('c1', 'k1', 'cancelled'), { ok: true, value: undefined });
      const a2 = await state.agentState('a2');
      assert.deepEqual([a2.state, a2.callId], ['ready', null]);
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.agentId, c.consultId], ['connected', 'a1', undefined]);
      assert.equal((await one('call.consult_ended')).reason, 'cancelled');
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.consult_ended']);

      await markEvents();
      assert.deepEqual(await state.consultCancel('c1', 'k1', 'cancelled'), { ok: false, code: 'NO_CONSULT' });
      assert.deepEqual(await state.consultAnswered('c1', 'k1'), { ok: false, code: 'NO_CONSULT' });
      assert.deepEqual(await appended(), []);
    });
  });

  describe('park and unpark', () => {
    it('given two connected calls, when parked, then they take slots 1 and 2 with a timer at the timeout each, the agent is free, one call.parked each', async () => {
      await connected('c1', 'a1');
      await connected('c2', 'a2');
      await markEvents();
      assert.deepEqual(await state.park('c1', now + 60_000, NO_WRAPUP, 'u1'), { ok: true, value: 1 });
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.parkSlot, c.parkedBy, c.agentId, c.bridgeId], ['parked', '1', 'a1', undefined, undefined]);
      assert.equal(Number(await redis.zscore(state.keys.timers(), 'park|c1|1')), now + 60_000);
      assert.equal((await state.agentState('a1')).state, 'ready');
      const parked = await one('call.parked');
      assert.deepEqual([parked.slot, parked.by, parked.timeoutAt], [1, 'a1', now + 60_000]);
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.parked']);

      assert.deepEqual(await state.park('c2', now + 60_000, NO_WRAPUP, 'u2'), { ok: true, value: 2 });
      assert.deepEqual(await state.parkedCalls(), [{ slot: 1, callId: 'c1' }, { slot: 2, callId: 'c2' }]);
    });

    it('given a call not connected, when parked, then NOT_CONNECTED, no slot taken, no event', async () => {
      await markEvents();
      assert.deepEqual(await state.park('nope', now + 60_000, NO_WRAPUP, 'u1'), { ok: false, code: 'NOT_CONNECTED' });
      assert.deepEqual(await state.parkedCalls(), []);
      assert.deepEqual(await appended(), []);
    });

    it('given a parked call, when a ready agent retrieves it, then it is offered to that agent (reserved, offer timer), its slot and park timer go, one unparked and one offered; retrieved again: NOT_PARKED', async () => {
      await connected('c1', 'a1');
      await state.park('c1', now + 60_000, NO_WRAPUP, 'u1');
      await state.agentLogin('a2', ['sales']);
      await markEvents();
      assert.deepEqual(await state.unparkCall('c1', 'a2', 'tok2', now + 25_000, 'offer-tok2'), { ok: true, value: { to: 'offered', agentId: 'a2' } });
      const c = await callHash('c1');
      assert.deepEqual([c.state, c.agentId, c.offerToken, c.agentChannelId, c.parkSlot], ['offered', 'a2', 'tok2', 'offer-tok2', undefined]);
      const a2 = await state.agentState('a2');
      assert.deepEqual([a2.state, a2.callId, a2.offerToken], ['reserved', 'c1', 'tok2']);
      assert.deepEqual(await state.parkedCalls(), []);
      assert.equal(await redis.zscore(state.keys.timers(), 'park|c1|1'), null);
      assert.equal(Number(await redis.zscore(state.keys.timers(), 'offer|c1|tok2')), now + 25_000);
      assert.equal((await one('call.unparked')).reason, 'retrieved');
      assert.equal((await one('call.offered')).fromPark, true);
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.offered', 'call.unparked']);
      // the offer is a normal one: its answer connects the call
      assert.deepEqual(await state.accept('c1', 'tok2', 'br2'), { ok: true, value: { agentId: 'a2', others: [] } });

      await markEvents();
      assert.deepEqual(await state.unparkCall('c1', 'a2', 'tok3', now + 25_000, 'offer-tok3'), { ok: false, code: 'NOT_PARKED' });
      assert.deepEqual(await appended(), []);
    });

    it('given a parked call, when an agent who is not ready retrieves it, then AGENT_NOT_READY and it stays in its slot, no event', async () => {
      await connected('c1', 'a1');
      await state.park('c1', now + 60_000, NO_WRAPUP, 'u1');
      await state.agentLogin('a2', ['sales']);
      await state.agentPause('a2', 'lunch');
      await markEvents();
      assert.deepEqual(await state.unparkCall('c1', 'a2', 'tok2', now + 25_000, 'offer-tok2'), { ok: false, code: 'AGENT_NOT_READY' });
      assert.deepEqual(await state.parkedCalls(), [{ slot: 1, callId: 'c1' }]);
      assert.equal((await callHash('c1')).state, 'parked');
      assert.deepEqual(await appended(), []);
    });

    it('given a parked call, when its timer fires early: NOT_DUE; when due with the parking agent in wrap-up, then it is offered to that agent, whose wrap-up ends', async () => {
      await connected('c1', 'a1');
      await state.park('c1', now + 60_000, { ms: 120_000, maxMs: 300_000, stepMs: 30_000 }, 'u1');
      assert.equal((await state.agentState('a1')).state, 'wrap_up');
      const wrapTimers = async () => (await redis.zrange(state.keys.timers(), 0, -1)).filter((t) => t.startsWith('wrapup|a1|'));
      assert.equal((await wrapTimers()).length, 1);
      now += 59_999;
      await markEvents();
      assert.deepEqual(await state.unparkCall('c1', '', 'tok2', now + 25_000, 'offer-tok2', true), { ok: false, code: 'NOT_DUE' });
      assert.deepEqual(await appended(), []);
      now += 1;
      assert.deepEqual(await state.unparkCall('c1', '', 'tok2', now + 25_000, 'offer-tok2', true), { ok: true, value: { to: 'offered', agentId: 'a1' } });
      assert.equal((await state.agentState('a1')).state, 'reserved');
      assert.deepEqual(await wrapTimers(), [], 'the wrap-up timer is gone with the wrap-up');
      assert.equal((await one('call.unparked')).reason, 'timeout');
      assert.deepEqual(await appendedTypes(), ['agent.state', 'call.offered', 'call.unparked']);
    });

    it('given a parked call whose parking agent is paused at the timeout, when the timer fires, then the caller waits in the queue at its original place, ahead of a later caller, with one call.queued', async () => {
      await connected('c1', 'a1');
      await state.park('c1', now + 60_000, NO_WRAPUP, 'u1');
      await state.agentPause('a1', 'lunch');
      now += 10_000;
      await state.enqueue({ callId: 'later', queueId: 'sales', node: 'n1', callerNumber: '2', callerName: '', channelId: 'ch-later' });
      now += 60_000;
      await markEvents();
      assert.deepEqual(await state.unparkCall('c1', '', 'tok2', now + 25_000, 'offer-tok2', true), { ok: true, value: { to: 'queued' } });
      assert.deepEqual((await state.waiting('sales')).map((w) => w.callId), ['c1', 'later']);
      assert.equal((await callHash('c1')).state, 'waiting');
      assert.equal((await state.agentState('a1')).state, 'paused');
      assert.equal((await one('call.queued')).fromPark, true);
      assert.deepEqual(await appendedTypes(), ['call.queued', 'call.unparked']);
    });
  });

  describe('disposition', () => {
    it('given an answered call, when the agent records a disposition, then it is kept with the call with one call.disposition; after the call ended it may still be changed', async () => {
      await connected();
      await markEvents();
      const d = { disposition: 'sale', tags: ['vip', 'renewal'], notes: 'called back at 5' };
      assert.deepEqual(await state.callDisposition('c1', d, 'a1'), { ok: true, value: undefined });
      const c = await callHash('c1');
      assert.deepEqual([c.disposition, JSON.parse(c.tags), c.notes, c.dispositionBy, c.dispositionAt], ['sale', ['vip', 'renewal'], 'called back at 5', 'a1', String(now)]);
      const e = await one('call.disposition');
      assert.deepEqual([e.disposition, e.tags, e.agentId, e.by], ['sale', ['vip', 'renewal'], 'a1', 'a1']);
      assert.deepEqual(await appendedTypes(), ['call.disposition']);

      await state.release('c1', 'caller');
      await markEvents();
      assert.deepEqual(await state.callDisposition('c1', { disposition: 'no-sale', tags: [], notes: '' }, 'a1'), { ok: true, value: undefined });
      assert.equal((await callHash('c1')).disposition, 'no-sale');
      assert.deepEqual(await appendedTypes(), ['call.disposition']);
    });

    it('given a call never answered, or no such call, when a disposition is recorded, then NOT_ANSWERED or NOT_FOUND, nothing stored, no event', async () => {
      await state.enqueue({ callId: 'c1', queueId: 'sales', node: 'n1', callerNumber: '1', callerName: '', channelId: 'ch' });
      await markEvents();
      const d = { disposition: 'sale', tags: [], notes: '' };
      assert.deepEqual(await state.callDisposition('c1', d, 'a1'), { ok: false, code: 'NOT_ANSWERED' });
      assert.deepEqual(await state.callDisposition('nope', d, 'a1'), { ok: false, code: 'NOT_FOUND' });
      assert.equal((await callHash('c1')).disposition, undefined);
      assert.equal(await redis.exists(state.keys.call('nope')), 0);
      assert.deepEqual(await appended(), []);
    });
  });

  describe('monitoring', () => {
    const start = (mode = 'listen', callId = 'c1') =>
      state.monitorStart({ monitorId: 'm1', callId, agentId: 'a1', queueId: 'sales', supervisorId: 's1', mode, endpoint: 'PJSIP/s1' });

    it('given a connected call, when a supervisor monitors it, then ringing → active → mode changes → ended, one event at each step, none for a mode it already has', async () => {
      await connected();
      await markEvents();
      assert.deepEqual(await start(), { ok: true, value: undefined });
      assert.deepEqual([(await state.monitor('m1'))?.state, await state.activeMonitorIds()], ['ringing', ['m1']]);
      const started = await one('monitor.started');
      assert.deepEqual([started.monitorId, started.callId, started.supervisorId, started.mode], ['m1', 'c1', 's1', 'listen']);
      assert.deepEqual(await appendedTypes(), ['monitor.started']);

      await markEvents();
      assert.deepEqual(await state.monitorConnected('m1'), { ok: true, value: undefined });
      assert.equal((await state.monitor('m1'))?.state, 'active');
      assert.deepEqual(await state.monitorConnected('m1'), { ok: false, code: 'NOT_RINGING' });
      assert.deepEqual(await appendedTypes(), ['monitor.connected']);

      await markEvents();
      assert.deepEqual(await state.monitorMode('m1', 'whisper'), { ok: true, value: 'listen' });
      assert.deepEqual(await state.monitorMode('m1', 'whisper'), { ok: true, value: 'whisper' });
      assert.equal((await state.monitor('m1'))?.mode, 'whisper');
      const changed = await one('monitor.mode_changed');
      assert.deepEqual([changed.mode, changed.previousMode], ['whisper', 'listen']);
      assert.deepEqual(await appendedTypes(), ['monitor.mode_changed']);

      await markEvents();
      assert.deepEqual(await state.monitorEnd('m1', 'supervisor-hung-up'), { ok: true, value: undefined });
      const m = await state.monitor('m1');
      assert.deepEqual([m?.state, m?.endReason, m?.endedAt], ['ended', 'supervisor-hung-up', String(now)]);
      assert.deepEqual(await state.activeMonitorIds(), []);
      assert.ok((await redis.ttl(state.keys.monitor('m1'))) > 0, 'an ended session is kept for a while, not forever');
      assert.equal((await one('monitor.ended')).reason, 'supervisor-hung-up');
      assert.deepEqual(await appendedTypes(), ['monitor.ended']);

      await markEvents();
      assert.deepEqual(await state.monitorEnd('m1', 'again'), { ok: false, code: 'ENDED' });
      assert.deepEqual(await state.monitorMode('m1', 'barge'), { ok: false, code: 'ENDED' });
      assert.deepEqual(await appended(), []);
    });

    it('given a call not connected, when monitored, then CALL_NOT_CONNECTED and no session; an unknown session\'s mode: NOT_FOUND; no event', async () => {
      await state.enqueue({ callId: 'c1', queueId: 'sales', node: 'n1', callerNumber: '1', callerName: '', channelId: 'ch' });
      await markEvents();
      assert.deepEqual(await start('listen', 'c1'), { ok: false, code: 'CALL_NOT_CONNECTED' });
      assert.equal(await state.monitor('m1'), undefined);
      assert.deepEqual(await state.activeMonitorIds(), []);
      assert.deepEqual(await state.monitorMode('m1', 'barge'), { ok: false, code: 'NOT_FOUND' });
      assert.deepEqual(await state.monitorEnd('m1', 'x'), { ok: false, code: 'ENDED' });
      assert.deepEqual(await appended(), []);
    });
  });
});
