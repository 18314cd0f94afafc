import assert from 'node:assert/strict';
import sinon from 'sinon';
import { CallWorld, connectedCall, lastOffer, NOW, Q1_WRAP, rejectsWith, salesAndSupport } from '../support/callWorld';
import { settle } from '../support/fakeAri';

describe('Park (ParkService) with the fake ARI, stubbed Lua transitions', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => { ({ w, clock } = await salesAndSupport()); });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('park and unpark', () => {
    it('given a connected call, when parked, then Redis gives a slot with the queue\'s park timeout, the caller hears music alone, the agent leg and bridge go', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.state.park.resolves({ ok: true, value: 3 });
      w.ari.clearCalls();
      assert.equal(await w.park.park('c1', 'u1'), 3);
      sinon.assert.calledOnceWithExactly(w.state.park, 'c1', NOW + 60_000, Q1_WRAP, 'u1');
      assert.deepEqual(w.ari.argsOf('removeChannel'), [['call-c1', 'c1']]);
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'sales']]);
      assert.deepEqual(w.ari.hungUp(), [agentChannelId]);
      assert.deepEqual(w.ari.argsOf('destroyBridge'), [['call-c1']]);
      assert.equal(w.calls.liveSession('c1')?.state, 'parked');
      assert.deepEqual(w.lifecycle.at(-1), ['ended', 'c1']);
    });

    it('given every slot taken, when parked, then NO_FREE_SLOT and the call stays connected, Asterisk untouched', async () => {
      await connectedCall(w);
      w.ari.clearCalls();
      w.state.park.resolves({ ok: false, code: 'NO_FREE_SLOT' });
      await rejectsWith(w.park.park('c1', 'u1'), 'NO_FREE_SLOT');
      assert.deepEqual(w.ari.calls, []);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given a parked call, when an agent retrieves it, then that agent is offered it (phone rung) and answering connects them', async () => {
      await connectedCall(w);
      await w.park.park('c1', 'u1');
      w.state.unparkCall.resolves({ ok: true, value: { to: 'offered', agentId: 'a2' } });
      await w.park.unpark('c1', 'a2', false);
      const [callId, agentId, token, expiresAt, agentChannelId, fromTimer] = w.state.unparkCall.firstCall.args;
      assert.deepEqual([callId, agentId, expiresAt, agentChannelId, fromTimer], ['c1', 'a2', NOW + 25_000, `offer-${token}`, false]);
      const ring = lastOffer(w);
      assert.deepEqual([ring.channelId, ring.appArgs], [`offer-${token}`, ['agent', 'c1', token]]);
      assert.equal(w.ari.argsOf('originate').at(-1)![0].endpoint, 'PJSIP/a2');
      w.state.accept.resolves({ ok: true, value: { agentId: 'a2', others: [] } });
      w.ari.stasisStart(ring.channelId, ring.appArgs);
      await settle();
      assert.equal(w.calls.connectedCallOf('a2')?.callId, 'c1');
    });

    it('given a parked call whose timeout finds its agent busy, when Redis queues it instead, then it waits in its queue and no phone rings', async () => {
      await connectedCall(w);
      await w.park.park('c1', 'u1');
      const rung = w.ari.argsOf('originate').length;
      w.state.unparkCall.resolves({ ok: true, value: { to: 'queued' } });
      await w.park.unpark('c1', '', true);
      assert.equal(w.ari.argsOf('originate').length, rung);
      assert.deepEqual(w.lifecycle.at(-1), ['queued', 'c1', 'q1']);
      assert.deepEqual([...w.calls.localWaiting('q1')], ['c1']);
    });

    it('given a parked call whose timeout finds the agent who parked it ready, when Redis names that agent, then that agent\'s phone rings', async () => {
      await connectedCall(w);
      await w.park.park('c1', 'u1');
      w.state.unparkCall.resolves({ ok: true, value: { to: 'offered', agentId: 'a1' } });
      await w.park.unpark('c1', '', true);
      assert.deepEqual(w.state.unparkCall.firstCall.args.slice(1, 2), ['']);
      assert.equal(w.state.unparkCall.firstCall.args[5], true);
      assert.equal(w.ari.argsOf('originate').at(-1)![0].endpoint, 'PJSIP/a1');
      assert.equal(w.calls.liveSession('c1')?.offer?.agentId, 'a1');
    });

    it('given a parked call, when a not-ready agent retrieves it, then AGENT_NOT_READY and it stays parked', async () => {
      await connectedCall(w);
      await w.park.park('c1', 'u1');
      w.state.unparkCall.resolves({ ok: false, code: 'AGENT_NOT_READY' });
      await rejectsWith(w.park.unpark('c1', 'a2', false), 'AGENT_NOT_READY');
      assert.equal(w.calls.liveSession('c1')?.state, 'parked');
    });

    it('given a call that is not parked, when the API retrieves it, then NOT_PARKED and Redis is not asked', async () => {
      await connectedCall(w);
      await rejectsWith(w.park.unpark('c1', 'a2', false), 'NOT_PARKED');
      sinon.assert.notCalled(w.state.unparkCall);
    });

    it('given a parked caller, when it hangs up, then the call is abandoned (which frees the slot)', async () => {
      await connectedCall(w);
      await w.park.park('c1', 'u1');
      w.ari.channelGone('c1');
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.abandon, 'c1');
      sinon.assert.notCalled(w.state.release);
    });
  });
});
