import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import winston from 'winston';
import type { Ari } from '../../src/ari/client';
import { CallbackServing } from '../../src/callbacks/serving';
import type { AgentFirstDialer } from '../../src/calls/agentFirst';
import type { CallCore } from '../../src/calls/core';
import type { MediaWaiter } from '../../src/calls/core/media';
import { CampaignDialer } from '../../src/campaigns/campaignDialer';
import type { DialRules } from '../../src/campaigns/dialRules';
import { NodeLiveness } from '../../src/cluster/liveness';
import { NodeTakeover } from '../../src/cluster/takeover';
import { AcdEvent, EventBus } from '../../src/events/bus';
import type { Registry } from '../../src/registry/registry';
import { CampaignStore } from '../../src/state/campaignStore';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

const LAPSE = 3000;
const CLAIM = 30_000;
const log = winston.createLogger({ silent: true });

/**
 * Node liveness and the takeover of a dead controller's state (src/cluster, node_*.lua, call_lost.lua)
 * on real Redis, with two connections standing for two controllers: exactly one claimant, each call
 * settled once, nothing counted again when the dead node comes back with the same id.
 */
describe('controllers\' liveness and takeover (Lua, real Redis, two connections)', function () {
  let r1: Redis;
  let r2: Redis;
  let s1: StateStore;
  let s2: StateStore;
  let now: number;

  const events = async (): Promise<AcdEvent[]> => (await r1.xrange(s1.keys.events(), '-', '+')).map(([id, f]) => EventBus.parse(id, f));
  const ofType = async (type: string) => (await events()).filter((e) => e.type === type);

  before(() => { r1 = new Redis(TEST_ENV.redisUrl); r2 = new Redis(TEST_ENV.redisUrl); });
  after(async () => { await r1.quit(); await r2.quit(); });
  beforeEach(function () {
    now = 7_000_000;
    const prefix = uniquePrefix(`cluster-${this.currentTest?.title.slice(0, 16) ?? 'x'}`);
    s1 = new StateStore(r1, prefix, () => now);
    s2 = new StateStore(r2, prefix, () => now);
  });

  /** A caller of `node` waiting in sales. */
  const waitingCaller = (state: StateStore, callId: string, node: string) =>
    state.enqueue({ callId, queueId: 'sales', node, callerNumber: '+15550100', callerName: '', channelId: callId });

  /** `node` beats once a second (the others silent) until `ms` have passed; the last beat's answer. */
  const beatsFor = async (state: StateStore, node: string, ms: number) => {
    const end = now + ms;
    for (;;) {
      const r = await state.nodeHeartbeat(node, LAPSE, 0, 1000);
      if (now >= end) return r;
      now = Math.min(now + 1000, end);
    }
  };

  describe('heartbeat', () => {
    it('given two controllers beating, then both are live; when one stops for longer than the lapse, then the other\'s beat names it due for a takeover', async () => {
      assert.deepEqual(await s1.nodeHeartbeat('n1', LAPSE, 0, 1000), { live: ['n1'], due: [], fresh: true });
      const second = await s2.nodeHeartbeat('n2', LAPSE, 0, 1000);
      assert.deepEqual([second.live.sort(), second.due, second.fresh], [['n1', 'n2'], [], true]);
      assert.deepEqual((await ofType('node.up')).map((e) => e.node), ['n1', 'n2'], 'one node.up each');
      await beatsFor(s1, 'n1', LAPSE);
      await s2.nodeHeartbeat('n2', LAPSE, 0, 1000);
      const beat = await beatsFor(s1, 'n1', LAPSE);
      assert.deepEqual([beat.live.sort(), beat.due, beat.fresh], [['n1', 'n2'], [], false], 'seen exactly the lapse ago: still live');
      now += 1;
      assert.deepEqual(await s1.nodeHeartbeat('n1', LAPSE, 0, 1000), { live: ['n1'], due: ['n2'], fresh: false });
      assert.equal((await ofType('node.up')).length, 2, 'no event per beat');
    });

    it('given every controller silent for longer than the lapse (a Redis outage), when they come back one after the other, then none is taken over: the first back names nobody due until it has beaten without a gap for twice the lapse', async () => {
      await s1.nodeHeartbeat('n1', LAPSE, 0, 1000);
      await s2.nodeHeartbeat('n2', LAPSE, 0, 1000);
      await beatsFor(s1, 'n1', 2 * LAPSE);
      await s2.nodeHeartbeat('n2', LAPSE, 0, 1000);
      now += 5000;
      // n1 is back first; n2 reconnects 2.5 s later (ioredis backs off up to 2 s, then the next beat)
      const back = await beatsFor(s1, 'n1', 2500);
      assert.deepEqual(back.due, [], 'n2 lapsed, but so did n1: it cannot tell n2 dead from the outage');
      assert.deepEqual((await s2.nodeHeartbeat('n2', LAPSE, 0, 1000)).live.sort(), ['n1', 'n2']);
      for (let i = 0; i < 8; i++) {
        now += 1000;
        assert.deepEqual((await s1.nodeHeartbeat('n1', LAPSE, 0, 1000)).due, []);
        assert.deepEqual((await s2.nodeHeartbeat('n2', LAPSE, 0, 1000)).due, []);
      }
      // and a node that really stopped is due once the other has beaten steadily for twice the lapse
      const later = await beatsFor(s1, 'n1', LAPSE + 1);
      assert.deepEqual(later.due, ['n2']);
      assert.equal((await ofType('node.lost')).length, 0, 'nobody was claimed meanwhile');
    });
  });

  describe('claiming a dead controller', () => {
    it('given a lapsed controller and two live ones claiming it at once, then exactly one wins, with one node.lost (50 rounds)', async () => {
      for (let round = 0; round < 50; round++) {
        const dead = `dead${round}`;
        await s1.nodeHeartbeat(dead, LAPSE);
        now += LAPSE + 1;
        const [a, b] = await Promise.all([s1.nodeTakeover(dead, 'n1', LAPSE, CLAIM), s2.nodeTakeover(dead, 'n2', LAPSE, CLAIM)]);
        assert.equal([a, b].filter((x) => x.ok).length, 1, `round ${round}: one claimant`);
        assert.deepEqual([a, b].find((x) => !x.ok), { ok: false, code: 'NOT_LAPSED' });
      }
      const lost = await ofType('node.lost');
      assert.equal(lost.length, 50);
      assert.equal(new Set(lost.map((e) => e.node)).size, 50, 'one node.lost per dead node');
    });

    it('given a controller seen within the lapse, when claimed, then NOT_LAPSED and it stays live', async () => {
      await s1.nodeHeartbeat('n2', LAPSE);
      now += LAPSE;
      assert.deepEqual(await s1.nodeTakeover('n2', 'n1', LAPSE, CLAIM), { ok: false, code: 'NOT_LAPSED' });
      assert.deepEqual(await s1.nodeTakeover('never-seen', 'n1', LAPSE, CLAIM), { ok: false, code: 'NOT_LAPSED' });
      assert.deepEqual((await s1.nodeHeartbeat('n1', LAPSE)).live.sort(), ['n1', 'n2']);
    });

    it('given a claimant that did not finish by its deadline (it died too), then the takeover is due again and another claims it; one that finished is not', async () => {
      await s1.nodeHeartbeat('n3', LAPSE);
      now += LAPSE + 1;
      assert.equal((await s1.nodeTakeover('n3', 'n1', LAPSE, CLAIM)).ok, true);
      assert.deepEqual((await beatsFor(s2, 'n2', CLAIM - 1)).due, [], 'within the claim');
      assert.deepEqual(await s2.nodeTakeover('n3', 'n2', LAPSE, CLAIM), { ok: false, code: 'NOT_LAPSED' });
      now += 2;
      assert.deepEqual((await s2.nodeHeartbeat('n2', LAPSE, 0, 1000)).due, ['n3']);
      assert.equal((await s2.nodeTakeover('n3', 'n2', LAPSE, CLAIM)).ok, true);
      assert.equal((await ofType('node.lost')).length, 1, 'node.lost only for the first claim');
      await s2.nodeTakeoverDone('n3', 'n2', { callersLost: 0, callsEnded: 0, callbacks: 0, campaignCalls: 0 });
      assert.deepEqual((await beatsFor(s2, 'n2', CLAIM + 1)).due, [], 'done: never due again');
    });
  });

  describe('call_lost', () => {
    it('given a dead controller\'s waiting caller, when two controllers settle it at once, then it leaves the line lost once: one call.abandoned (lost), and the node holds no calls', async () => {
      await waitingCaller(s1, 'c1', 'dead');
      now += 4000;
      const [a, b] = await Promise.all([s1.callLost('c1', 'dead'), s2.callLost('c1', 'dead')]);
      assert.deepEqual([a, b].map((x) => (x.ok ? x.value : x.code)).sort(), ['NOT_LIVE', 'lost']);
      const abandoned = await ofType('call.abandoned');
      assert.equal(abandoned.length, 1);
      assert.deepEqual([abandoned[0].callId, abandoned[0].lost, abandoned[0].reason, abandoned[0].waitMs], ['c1', true, 'controller_lost', 4000]);
      assert.deepEqual(await s1.waiting('sales'), []);
      assert.deepEqual(await s1.nodeCalls('dead'), []);
      assert.deepEqual([(await s1.call('c1'))?.state], ['abandoned']);
    });

    it('given a dead controller\'s caller ringing an agent, when settled, then the agent is ready again (not paused), the offer timer is gone, and the caller is lost', async () => {
      await s1.agentLogin('a1', ['sales']);
      await waitingCaller(s1, 'c1', 'dead');
      assert.equal((await s1.reserve('c1', 'a1', 'tok1', now + 20_000, 'offer-tok1', 'dead')).ok, true);
      assert.deepEqual(await s1.callLost('c1', 'dead'), { ok: true, value: 'lost' });
      const a = await s1.agentState('a1');
      assert.deepEqual([a.state, a.callId, a.offerToken], ['ready', null, null]);
      assert.deepEqual(await s1.dueTimers(now + 60_000), []);
      assert.equal((await ofType('call.abandoned'))[0].agentId, 'a1');
    });

    it('given a dead controller\'s connected call, when settled, then it ends once (endedBy system, lost), and the agent goes to its queue\'s wrap-up with one more call today', async () => {
      await s1.agentLogin('a1', ['sales']);
      await waitingCaller(s1, 'c1', 'dead');
      await s1.reserve('c1', 'a1', 'tok1', now + 20_000, 'offer-tok1', 'dead');
      await s1.accept('c1', 'tok1', 'br-c1');
      now += 5000;
      assert.deepEqual(await s1.callLost('c1', 'dead', { ms: 10_000, maxMs: 30_000, stepMs: 5000 }), { ok: true, value: 'ended' });
      assert.deepEqual(await s2.callLost('c1', 'dead'), { ok: false, code: 'NOT_LIVE' });
      const ended = await ofType('call.ended');
      assert.deepEqual(ended.map((e) => [e.callId, e.endedBy, e.lost, e.talkMs, e.agentId]), [['c1', 'system', true, 5000, 'a1']]);
      const a = await s1.agentState('a1');
      assert.deepEqual([a.state, a.wrapUpUntil, a.callsToday], ['wrap_up', now + 10_000, 1]);
    });

    it('given a call the dead node no longer holds (over, or another node\'s), when settled, then NOT_LIVE and no event', async () => {
      await waitingCaller(s1, 'c1', 'n1');
      await s1.abandon('c1');
      const before = (await events()).length;
      assert.deepEqual(await s1.callLost('c1', 'n1'), { ok: false, code: 'NOT_LIVE' });
      await waitingCaller(s1, 'c2', 'n1');
      assert.deepEqual(await s1.callLost('c2', 'dead'), { ok: false, code: 'NOT_LIVE' }, 'another node\'s caller');
      assert.equal((await events()).length, before + 1, 'only c2\'s call.queued');
      assert.deepEqual(await s1.waiting('sales').then((w) => w.map((x) => x.callId)), ['c2']);
    });

    it('given a caller settled as lost, when its controller comes back with the same node id and its reconcile finds the caller gone, then nothing is counted again', async () => {
      await waitingCaller(s1, 'c1', 'n2');
      assert.equal((await s1.callLost('c1', 'n2')).ok, true);
      // the restarted node reconciles only its own calls: there are none left
      assert.deepEqual(await s2.nodeCalls('n2'), []);
      // and the abandon it would record for a caller whose channel is gone is refused
      assert.deepEqual(await s2.abandon('c1'), { ok: false, code: 'NOT_WAITING' });
      assert.equal((await ofType('call.abandoned')).length, 1);
    });
  });

  describe('NodeTakeover and NodeLiveness', () => {
    const registry = { findQueue: () => ({ wrapUp: { sec: 0 } }), findAgent: () => undefined } as unknown as Registry;

    it('given two live controllers and a dead one with a waiting caller and a ringing one, when both beat, then one takes over: both callers lost once, the agent ready, one node.taken_over with the counts; a second run counts nothing', async () => {
      await s1.agentLogin('a1', ['sales']);
      await s1.nodeHeartbeat('dead', LAPSE);
      await waitingCaller(s1, 'w1', 'dead');
      await waitingCaller(s1, 'r1', 'dead');
      await s1.reserve('r1', 'a1', 'tok', now + 20_000, 'offer-tok', 'dead');
      const settled: string[] = [];
      const liveness = (state: StateStore, self: string) => {
        const takeover = new NodeTakeover(state, registry, self, {
          callbacks: async (n) => { settled.push(`${self}:callbacks:${n}`); return 0; },
          campaigns: async (n) => { settled.push(`${self}:campaigns:${n}`); return 2; },
        }, log);
        return new NodeLiveness(state, self, (dead) => takeover.run(dead), log, undefined, {}, () => now);
      };
      const l1 = liveness(s1, 'n1');
      const l2 = liveness(s2, 'n2');
      // all three beat steadily for twice the lapse (a controller names nobody due before that)
      for (let t = 0; t <= 2 * LAPSE; t += 1000) {
        await s1.nodeHeartbeat('dead', LAPSE);
        await Promise.all([l1.beat(), l2.beat()]);
        if (t < 2 * LAPSE) now += 1000;
      }
      assert.equal(l1.isLive('dead'), true, 'within the lapse');
      assert.equal((await ofType('node.lost')).length, 0);
      // then 'dead' stops; the others beat on once a second
      for (let t = 0; t <= LAPSE; t += 1000) { now += 1000; await Promise.all([l1.beat(), l2.beat()]); }
      assert.equal(l1.isLive('dead'), false);
      assert.equal(l2.isLive('n1'), true);
      const done = await ofType('node.taken_over');
      assert.equal(done.length, 1, 'one takeover');
      assert.deepEqual([done[0].node, done[0].callersLost, done[0].callsEnded, done[0].campaignCalls], ['dead', 2, 0, 2]);
      assert.equal(settled.length, 2, 'callbacks and campaigns settled once, by the claimant');
      assert.deepEqual((await ofType('call.abandoned')).map((e) => e.callId).sort(), ['r1', 'w1']);
      assert.equal((await s1.agentState('a1')).state, 'ready');
      // the claimant runs again (a second claim after a missed deadline): nothing more is counted
      await new NodeTakeover(s2, registry, 'n2', { callbacks: async () => 0, campaigns: async () => 0 }, log).run('dead');
      assert.equal((await ofType('call.abandoned')).length, 2);
      assert.deepEqual((await ofType('node.taken_over'))[1].callersLost, 0);
    });

    it('given a controller that stalled beyond the lapse and was taken over, when it beats again, then it learns it and drops its calls', async () => {
      let dropped = 0;
      const l = new NodeLiveness(s1, 'n1', async () => undefined, log, () => { dropped++; }, {}, () => now);
      await l.beat();
      await s2.nodeHeartbeat('n2', LAPSE);
      now += LAPSE + 1;
      assert.equal((await s2.nodeTakeover('n1', 'n2', LAPSE, CLAIM)).ok, true);
      await l.beat();
      assert.equal(dropped, 1);
      await l.beat();
      assert.equal(dropped, 1, 'once');
    });
  });

  describe('a dead controller\'s callback requests and campaign calls (the takeover\'s settlers)', () => {
    /** Our own Asterisk has none of a dead node's channels: the settlers must not even look. */
    const ari = { hangupQuietly: async (ch?: string) => { assert.equal(ch, undefined, 'no channel of ours is hung up'); },
      listChannels: async () => { throw new Error('a dead node\'s legs are not on this Asterisk'); },
      destroyBridge: async () => { throw new Error('no bridge of ours'); } } as unknown as Ari;
    const dialer = { isPlacing: () => false, agentChannelOf: (t: string) => `offer-${t}`, customerChannelOf: (t: string) => `cust-${t}` } as unknown as AgentFirstDialer;

    it('given a callback request whose agent a dead controller was ringing, when the survivor settles it, then it waits again at its place and the agent is ready; a second settle counts nothing', async () => {
      await s1.agentLogin('a1', ['sales']);
      assert.equal((await s1.callbackCreate({ callbackId: 'cb-1', queueId: 'sales', number: '5551234', name: '', preferMs: 0, maxAttempts: 3, preferLastAgent: false })).ok, true);
      const [{ vtime }] = await s1.waiting('sales');
      assert.equal((await s1.reserve('cb-1', 'a1', 'tok', now + 20_000, 'offer-tok', 'dead')).ok, true);
      const serving = new CallbackServing({} as CallCore, ari, {} as MediaWaiter, dialer, s2, {} as Registry, 'n2', 5000, log);
      assert.equal(await serving.reconcile('dead'), 1);
      assert.deepEqual(await s1.waiting('sales'), [{ callId: 'cb-1', vtime }], 'back in line at its place');
      assert.equal((await s1.agentState('a1')).state, 'ready');
      assert.equal(await serving.reconcile('dead'), 0);
      assert.equal((await ofType('call.offer_failed')).length, 1);
    });

    it('given campaign calls a dead controller was making (one still ringing the agent, one connected to the customer), when the survivor settles them, then the first waits again and the second is resolved as handled, each once', async () => {
      const store = new CampaignStore(r2, s1.keys.prefix, 'UTC', () => now);
      assert.equal((await store.put('c1', 'create', { name: 'Missed' }, ['a1', 'a2'])).ok, true);
      for (const a of ['a1', 'a2']) assert.equal((await store.agent('c1', a, 'login')).ok, true);
      assert.equal((await store.addEntries('c1', [1, 2].map((i) => ({ id: `e${i}`, number: `555010${i}`, source: 'api' as const })))).ok, true);
      const ringing = await store.reserve('c1', 'a1', 't1', now + 20_000, 'dead', 'cc-t1');
      const talking = await store.reserve('c1', 'a2', 't2', now + 20_000, 'dead', 'cc-t2');
      assert.ok(ringing.ok && talking.ok);
      assert.equal((await store.agentAnswered(talking.value, 't2')).ok, true);
      assert.equal((await store.customerConnected(talking.value, 't2')).ok, true);
      const dialerOf = new CampaignDialer(ari, dialer, store, {} as Registry, {} as DialRules, 'n2', log);
      assert.equal(await dialerOf.reconcile('dead'), 2);
      assert.deepEqual([(await store.entry(ringing.value))?.status, (await store.entry(talking.value))?.status], ['waiting', 'handled']);
      assert.equal(await dialerOf.reconcile('dead'), 0, 'nothing left dialing');
      assert.equal((await ofType('campaign.call')).filter((e) => e.state === 'ended').length, 2, 'one ended campaign call each');
    });
  });
});
