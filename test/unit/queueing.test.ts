import assert from 'node:assert/strict';
import sinon from 'sinon';
import { CallWorld, callerArrives, connectedCall, lastOffer, NOW, Q1_WRAP, salesAndSupport } from '../support/callWorld';
import { fakeChannel, settle } from '../support/fakeAri';
import type { AriChannel } from '../../src/ari/types';
import type { CallRecord } from '../../src/state/store';

describe('Queueing: inbound, overflow, offers, endings, reconcile (CallService) with the fake ARI, stubbed Lua transitions', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => { ({ w, clock } = await salesAndSupport()); });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('inbound', () => {
    it('given a queue on the extension, when a caller enters Stasis, then the call is enqueued with its number, priority and skills, answered with the queue\'s music, announced as queued, and this controller\'s dispatcher is kicked for the queue without waiting for the stream', async () => {
      await callerArrives(w, 'c1', '100', '5551234', ['5', 'french:3&billing:9&bad']);
      sinon.assert.calledOnce(w.state.enqueue);
      const e = w.state.enqueue.firstCall.args[0];
      assert.deepEqual([e.callId, e.queueId, e.node, e.callerNumber, e.channelId, e.priority, e.skills, e.priorityStepMs],
        ['c1', 'q1', 'n1', '5551234', 'c1', 5, { french: 3 }, 60_000]);
      assert.deepEqual(w.ari.argsOf('answer'), [['c1']]);
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'sales']]);
      assert.deepEqual(w.lifecycle, [['queued', 'c1', 'q1']]);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
      assert.deepEqual(w.waitingAgain, ['q1']);
    });

    it('given no queue on the dialed extension, when a caller enters Stasis, then it is hung up as unallocated and nothing is enqueued', async () => {
      await callerArrives(w, 'c1', '999');
      sinon.assert.notCalled(w.state.enqueue);
      assert.deepEqual(w.ari.argsOf('hangupQuietly'), [['c1', 'unallocated']]);
      assert.equal(w.calls.liveSession('c1'), undefined);
    });

    it('given a full queue with no overflow, when a caller arrives, then it is hung up busy and never announced as queued', async () => {
      w.state.enqueue.resolves({ ok: false, code: 'QUEUE_FULL' });
      await callerArrives(w);
      assert.deepEqual(w.ari.argsOf('hangupQuietly'), [['c1', 'busy']]);
      assert.deepEqual(w.lifecycle, []);
      assert.deepEqual(w.waitingAgain, []);
      assert.equal(w.calls.liveSession('c1'), undefined);
    });

    it('given a full queue overflowing to another queue, when a caller arrives, then it is enqueued afresh there and hears that queue\'s music', async () => {
      w.registry.queue('q1').overflow = { kind: 'queue', queueId: 'q2' };
      w.state.enqueue.onFirstCall().resolves({ ok: false, code: 'QUEUE_FULL' });
      await callerArrives(w);
      assert.deepEqual(w.state.enqueue.getCalls().map((c) => c.args[0].queueId), ['q1', 'q2']);
      assert.deepEqual(w.ari.argsOf('startMoh').at(-1), ['c1', 'support']);
      assert.deepEqual(w.lifecycle, [['queued', 'c1', 'q2']]);
      assert.deepEqual([...w.calls.localWaiting('q2')], ['c1']);
    });
  });

  describe('overflow of a waiting caller (maximum wait, queue empty)', () => {
    it('given a queue overflowing to an extension, when a waiting caller times out, then Redis moves it and the caller leaves for acd-overflow at that extension', async () => {
      w.registry.queue('q1').overflow = { kind: 'extension', extension: '2001' };
      await callerArrives(w);
      assert.equal(await w.calls.overflow('c1', 'timeout'), true);
      sinon.assert.calledOnceWithExactly(w.state.overflow, 'c1', 'timeout', 'extension', '2001', 'no');
      assert.deepEqual(w.ari.argsOf('continueInDialplan'), [['c1', 'acd-overflow', '2001']]);
      assert.equal(w.calls.liveSession('c1'), undefined);
    });

    it('given a queue overflowing to voicemail, when the queue empties, then the caller leaves for acd-voicemail at the mailbox', async () => {
      w.registry.queue('q1').overflow = { kind: 'voicemail', mailbox: '100' };
      await callerArrives(w);
      await w.calls.overflow('c1', 'empty');
      assert.deepEqual(w.ari.argsOf('continueInDialplan'), [['c1', 'acd-voicemail', '100']]);
    });

    it('given Redis keeps the caller (the queue is not empty after all), when overflow is asked, then nothing moves and the answer is false', async () => {
      w.registry.queue('q1').overflow = { kind: 'voicemail', mailbox: '100' };
      await callerArrives(w);
      w.state.overflow.resolves({ ok: false, code: 'NOT_EMPTY' });
      assert.equal(await w.calls.overflow('c1', 'empty'), false);
      assert.deepEqual(w.ari.argsOf('continueInDialplan'), []);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a caller being offered, when its maximum wait passes, then it is not overflowed (only waiting callers are)', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      assert.equal(await w.calls.overflow('c1', 'timeout'), false);
      sinon.assert.notCalled(w.state.overflow);
    });
  });

  describe('offer → originate → answer → bridge', () => {
    it('given a waiting caller, when offered to an agent, then the agent is reserved until ring timeout plus grace and its phone is rung with the caller\'s number and the queue\'s name', async () => {
      await callerArrives(w);
      assert.equal(await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1'), 'offered');
      const [callId, agentId, token, expiresAt, agentChannelId] = w.state.reserve.firstCall.args;
      assert.deepEqual([callId, agentId, expiresAt, agentChannelId], ['c1', 'a1', NOW + 20_000 + 5000, `offer-${token}`]);
      const [o] = w.ari.argsOf('originate')[0];
      assert.deepEqual(o, {
        endpoint: 'PJSIP/a1', channelId: `offer-${token}`, app: 'acd', appArgs: `agent,c1,${token}`,
        callerId: '"Sales" <5551234>', timeoutSec: 20, originator: 'c1',
        variables: { 'PJSIP_TRANSFER_HANDLING()': 'ari-only' },
      });
      assert.deepEqual([...w.calls.localWaiting('q1')], [], 'an offered call is not waiting');
    });

    it('given the agent is no longer ready, when offered, then the answer is "agent" and no phone rings', async () => {
      await callerArrives(w);
      w.state.reserve.resolves({ ok: false, code: 'AGENT_NOT_READY' });
      assert.equal(await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1'), 'agent');
      assert.deepEqual(w.ari.argsOf('originate'), []);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a rung agent, when its leg enters Stasis, then the offer is accepted, a mixing bridge holds caller and agent, the music stops, REFERs come to the app, and the call is connected', async () => {
      const { agentChannelId } = await connectedCall(w);
      const token = lastOffer(w).token;
      assert.deepEqual(w.state.accept.firstCall.args, ['c1', token, 'call-c1', '']);
      assert.deepEqual(w.ari.argsOf('createBridge'), [['call-c1', 'mixing']]);
      assert.deepEqual(w.ari.argsOf('addChannels'), [['call-c1', ['c1', agentChannelId]]]);
      assert.deepEqual(w.ari.argsOf('stopMoh'), [['c1']]);
      // REFERs come to the app: set on the agent's leg as it was rung, no request of its own
      assert.deepEqual(w.ari.argsOf('originate').at(-1)?.[0].variables, { 'PJSIP_TRANSFER_HANDLING()': 'ari-only' });
      assert.deepEqual(w.ari.argsOf('setVar'), []);
      assert.deepEqual(w.lifecycle.at(-1), ['connected', 'c1']);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given an offer, when a leg with another token enters Stasis, then that leg is hung up and nothing is accepted', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      w.ari.stasisStart('offer-stale', ['agent', 'c1', 'not-the-token']);
      await settle();
      sinon.assert.notCalled(w.state.accept);
      assert.deepEqual(w.ari.hungUp(), ['offer-stale']);
    });

    it('given Redis refuses the accept (the offer expired meanwhile), when the agent answers, then the agent leg is hung up and the bridge destroyed', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      w.state.accept.resolves({ ok: false, code: 'STALE_OFFER' });
      const offer = lastOffer(w);
      w.ari.stasisStart(offer.channelId, offer.appArgs);
      await settle();
      assert.deepEqual(w.ari.hungUp(), [offer.channelId]);
      assert.deepEqual(w.ari.argsOf('destroyBridge'), [['call-c1']]);
      assert.deepEqual(w.ari.argsOf('addChannels'), []);
    });

    it('given a ringing agent, when its phone times out (cause 19), then the offer fails as no-answer pausing the agent, and the caller waits again', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      const offer = lastOffer(w);
      w.ari.channelGone(offer.channelId, 19, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.state.failOffer.firstCall.args, ['c1', offer.token, 'no-answer', 'no-answer', false, '']);
      assert.deepEqual(w.waitingAgain, ['q1', 'q1']);   // joined, then waiting again
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a ringing agent, when the ARI connection drops and the agent leg ends meanwhile, then the offer is lost without pausing the agent, and the caller waits again', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      const offer = lastOffer(w);
      w.ari.outages++;   // answered while nobody could take it into Stasis: Asterisk hung it up (cause 0)
      w.ari.channelGone(offer.channelId, 0, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.state.failOffer.firstCall.args, ['c1', offer.token, 'lost', null, false, '']);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given an agent phone Asterisk cannot ring (400), when offered, then the offer fails as unreachable at once', async () => {
      await callerArrives(w);
      w.ari.failWith('originate', 'Allocation failed');
      assert.equal(await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1'), 'offered');
      assert.deepEqual(w.state.failOffer.firstCall.args.slice(2, 4), ['unreachable', 'unreachable']);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given ARI does not answer the originate, when offered, then the offer stays pending (its Redis deadline settles it) and is not failed twice', async () => {
      await callerArrives(w);
      w.ari.unavailable('originate');
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      sinon.assert.notCalled(w.state.failOffer);
      assert.deepEqual([...w.calls.localWaiting('q1')], []);
    });

    it('given ring-all to two agents, when one phone stops ringing and Redis says the other still rings, then the caller stays offered; when the second stops too, it waits again', async () => {
      await callerArrives(w);
      await w.calls.offerAll(w.registry.queue('q1'), 'c1', ['a1', 'a2']);
      const [first, second] = w.ari.argsOf('originate').map(([o]) => o);
      const token = first.appArgs.split(',')[2];
      w.state.failOffer.onFirstCall().resolves({ ok: true, value: 'ringing' });
      w.ari.channelGone(first.channelId, 17, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.state.failOffer.firstCall.args, ['c1', token, 'busy', 'busy', false, 'a1']);
      assert.deepEqual([...w.calls.localWaiting('q1')], []);
      assert.deepEqual(w.waitingAgain, ['q1']);   // joined only
      w.ari.channelGone(second.channelId, 19, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.state.failOffer.secondCall.args, ['c1', token, 'no-answer', 'no-answer', false, 'a2']);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
      assert.deepEqual(w.waitingAgain, ['q1', 'q1']);   // joined, then waiting again
    });

    it('given ring-all to two agents, when one answers, then the other phone stops ringing and only the first is bridged', async () => {
      await callerArrives(w);
      assert.equal(await w.calls.offerAll(w.registry.queue('q1'), 'c1', ['a1', 'a2']), 'offered');
      const legs = w.ari.argsOf('originate').map(([o]) => o);
      assert.deepEqual(legs.map((o) => o.endpoint), ['PJSIP/a1', 'PJSIP/a2']);
      const [first, second] = legs;
      w.state.accept.resolves({ ok: true, value: { agentId: 'a2', others: [first.channelId] } });
      w.ari.stasisStart(second.channelId, second.appArgs.split(','));
      await settle();
      assert.deepEqual(w.state.accept.firstCall.args.slice(2), ['call-c1', 'a2']);
      assert.ok(w.ari.hungUp().includes(first.channelId));
      assert.deepEqual(w.ari.argsOf('addChannels'), [['call-c1', ['c1', second.channelId]]]);
      assert.equal(w.calls.connectedCallOf('a2')?.callId, 'c1');
    });
  });

  describe('endings', () => {
    it('given a waiting caller, when it hangs up, then the call is abandoned in Redis and forgotten here', async () => {
      await callerArrives(w);
      w.ari.channelGone('c1');
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.abandon, 'c1');
      assert.equal(w.calls.liveSession('c1'), undefined);
    });

    it('given a ringing offer, when the caller hangs up, then the call is abandoned and the agent\'s phone stops ringing', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      const offer = lastOffer(w);
      w.ari.channelGone('c1');
      await settle();
      sinon.assert.calledOnce(w.state.abandon);
      assert.deepEqual(w.ari.hungUp(), [offer.channelId]);
    });

    it('given a connected call, when the caller hangs up, then it is released once (by the caller, with the queue\'s wrap-up), the agent leg hung up, the bridge destroyed', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.channelGone('c1');
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'caller', Q1_WRAP);
      assert.deepEqual(w.ari.hungUp(), [agentChannelId]);
      assert.deepEqual(w.ari.argsOf('destroyBridge'), [['call-c1']]);
      assert.deepEqual(w.lifecycle.at(-1), ['ended', 'c1']);
      assert.equal(w.calls.connectedCallOf('a1'), undefined);
    });

    it('given an agent rung and then connected, its phone is known busy with our call until the call ends (no Redis read for its device state)', async () => {
      await callerArrives(w);
      assert.equal(w.calls.hasAgentLeg('a1'), false);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      assert.equal(w.calls.hasAgentLeg('a1'), true, 'ringing for our offer');
      const offer = lastOffer(w);
      w.state.accept.resolves({ ok: true, value: { agentId: 'a1', others: [] } });
      w.ari.stasisStart(offer.channelId, offer.appArgs);
      await settle();
      assert.equal(w.calls.hasAgentLeg('a1'), true, 'connected');
      w.ari.channelGone('c1');
      await settle();
      assert.equal(w.calls.hasAgentLeg('a1'), false, 'the call ended');
    });

    it('given a connected call, when the agent hangs up, then it is released once by the agent and the caller is hung up', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.channelGone(agentChannelId);
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'agent', Q1_WRAP);
      assert.deepEqual(w.ari.hungUp(), ['c1']);
      sinon.assert.notCalled(w.state.abandon);
    });

    it('given a connected call, when the API hangs it up, then both legs are hung up and it is released by the api', async () => {
      const { agentChannelId } = await connectedCall(w);
      await w.calls.hangup('c1');
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'api', Q1_WRAP);
      assert.deepEqual(w.ari.hungUp().sort(), [agentChannelId, 'c1'].sort());
    });
  });

  describe('offer deadline and reconcile after a reconnect', () => {
    const rec = (o: Partial<CallRecord>): CallRecord => ({
      id: 'c1', queueId: 'q1', node: 'n1', state: 'waiting', callerNumber: '5551234', callerName: '', channelId: 'c1', enqueuedAt: NOW - 10_000, vtime: NOW - 10_000, ...o,
    } as CallRecord);
    const live = (...channels: AriChannel[]) => w.ari.respond('listChannels', () => channels);
    const reconcileWith = async (r: CallRecord) => {
      w.state.nodeCalls.resolves([r.id]);
      w.state.call.withArgs(r.id).resolves(r);
      await w.calls.reconcile();
      await settle();
    };

    it('given a ringing offer whose Redis deadline passed, when the timer fires, then the offer fails as expired, the phone stops ringing and the caller waits again', async () => {
      await callerArrives(w);
      await w.calls.offer(w.registry.queue('q1'), 'c1', 'a1');
      const offer = lastOffer(w);
      await w.calls.offerExpired('c1', offer.token);
      assert.deepEqual(w.state.failOffer.firstCall.args, ['c1', offer.token, 'expired', null, true]);
      assert.deepEqual(w.ari.hungUp(), [offer.channelId]);
      assert.deepEqual(w.waitingAgain, ['q1', 'q1']);   // joined, then waiting again
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a connected call in Redis with both legs still up, when reconciled after a restart, then the session is rebuilt and announced connected, and a later hang-up releases it', async () => {
      live(fakeChannel('c1'), fakeChannel('offer-t'));
      await reconcileWith(rec({ state: 'connected', agentId: 'a1', agentChannelId: 'offer-t', bridgeId: 'call-c1' }));
      assert.deepEqual(w.lifecycle, [['connected', 'c1']]);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
      w.ari.channelGone('offer-t');
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'agent', Q1_WRAP);
    });

    it('given a connected call in Redis whose caller left while ARI was away, when reconciled, then it is released as ended by the caller', async () => {
      live(fakeChannel('offer-t'));
      await reconcileWith(rec({ state: 'connected', agentId: 'a1', agentChannelId: 'offer-t', bridgeId: 'call-c1' }));
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'caller', Q1_WRAP);
      assert.deepEqual(w.ari.hungUp(), ['offer-t']);
    });

    it('given a connected call in Redis whose agent leg ended while ARI was away, when reconciled, then it is released as ended by the agent and the caller hung up', async () => {
      live(fakeChannel('c1'));
      await reconcileWith(rec({ state: 'connected', agentId: 'a1', agentChannelId: 'offer-t', bridgeId: 'call-c1' }));
      sinon.assert.calledOnceWithExactly(w.state.release, 'c1', 'agent', Q1_WRAP);
      assert.deepEqual(w.ari.hungUp(), ['c1']);
      assert.deepEqual(w.lifecycle, [['ended', 'c1']]);
    });

    it('given a waiting call in Redis whose caller is still there, when reconciled, then it is answered with music again and announced queued', async () => {
      live(fakeChannel('c1'));
      await reconcileWith(rec({ state: 'waiting' }));
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'sales']]);
      assert.deepEqual(w.lifecycle, [['queued', 'c1', 'q1']]);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a waiting call in Redis whose caller hung up while ARI was away, when reconciled, then it is abandoned', async () => {
      live();
      await reconcileWith(rec({ state: 'waiting' }));
      sinon.assert.calledOnceWithExactly(w.state.abandon, 'c1');
    });

    it('given an offer in Redis whose agent answered while ARI was away (leg Up), when reconciled, then the call is bridged now', async () => {
      live(fakeChannel('c1'), fakeChannel('offer-t', { state: 'Up' }));
      await reconcileWith(rec({ state: 'offered', agentId: 'a1', agentChannelId: 'offer-t', offerToken: 't' }));
      sinon.assert.calledOnceWithExactly(w.state.accept, 'c1', 't', 'call-c1', '');
      assert.deepEqual(w.ari.argsOf('addChannels'), [['call-c1', ['c1', 'offer-t']]]);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given an offer in Redis whose agent leg is gone, when reconciled, then the offer fails as lost and the caller waits again', async () => {
      live(fakeChannel('c1'));
      await reconcileWith(rec({ state: 'offered', agentId: 'a1', agentChannelId: 'offer-t', offerToken: 't' }));
      assert.deepEqual(w.state.failOffer.firstCall.args.slice(0, 4), ['c1', 't', 'lost', null]);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a parked call in Redis, when reconciled, then the caller hears the queue\'s music again and stays parked', async () => {
      live(fakeChannel('c1'));
      await reconcileWith(rec({ state: 'parked' as CallRecord['state'] }));
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'sales']]);
      assert.equal(w.calls.liveSession('c1')?.state, 'parked');
    });
  });
});
