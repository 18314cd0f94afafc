import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AcdError } from '../../src/errors';
import { CallWorld, connectedCall, lastOffer, NOW, Q1_WRAP, rejectsWith, salesAndSupport } from '../support/callWorld';
import { settle } from '../support/fakeAri';

describe('Blind transfer (TransferService) with the fake ARI, stubbed Lua transitions', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => { ({ w, clock } = await salesAndSupport()); });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('transfer', () => {
    it('given a connected call, when transferred to another agent, then the first agent leaves (leg hung up, bridge destroyed, wrap-up), the caller hears music and the target\'s phone rings; its answer connects them', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.clearCalls();
      await w.transfer.transfer('c1', { kind: 'agent', target: 'a2' }, 'u1');
      const [callId, t, wrap, userId] = w.state.callTransfer.firstCall.args;
      assert.deepEqual([callId, t.kind, t.target, t.agentChannelId, t.expiresAt, wrap, userId],
        ['c1', 'agent', 'a2', `offer-${t.token}`, NOW + 25_000, Q1_WRAP, 'u1']);
      assert.deepEqual(w.ari.argsOf('removeChannel'), [['call-c1', 'c1']]);
      assert.deepEqual(w.ari.hungUp(), [agentChannelId]);
      assert.deepEqual(w.ari.argsOf('destroyBridge'), [['call-c1']]);
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'sales']]);
      const ring = lastOffer(w);
      assert.deepEqual([ring.channelId, ring.appArgs], [`offer-${t.token}`, ['agent', 'c1', t.token!]]);
      assert.deepEqual(w.lifecycle.at(-1), ['ended', 'c1']);

      w.state.accept.resolves({ ok: true, value: { agentId: 'a2', others: [] } });
      w.ari.stasisStart(ring.channelId, ring.appArgs);
      await settle();
      assert.equal(w.calls.connectedCallOf('a2')?.callId, 'c1');
      assert.equal(w.calls.connectedCallOf('a1'), undefined);
    });

    it('given a connected call, when transferred to a queue, then it waits there with that queue\'s music and no phone rings', async () => {
      await connectedCall(w);
      w.ari.clearCalls();
      await w.transfer.transfer('c1', { kind: 'queue', target: 'q2' }, 'u1');
      assert.deepEqual(w.ari.argsOf('startMoh'), [['c1', 'support']]);
      assert.deepEqual(w.ari.argsOf('originate'), []);
      assert.deepEqual(w.lifecycle.slice(-2), [['ended', 'c1'], ['queued', 'c1', 'q2']]);
      assert.deepEqual([...w.calls.localWaiting('q2')], ['c1']);
    });

    it('given a connected call, when transferred to an extension the policy allows, then the caller leaves the ACD for acd-transfer at that extension', async () => {
      await connectedCall(w);
      await w.transfer.transfer('c1', { kind: 'external', target: '2001' }, 'u1');
      sinon.assert.calledWith(w.destinations.check, '2001', 'q1');
      assert.deepEqual(w.ari.argsOf('continueInDialplan'), [['c1', 'acd-transfer', '2001']]);
      assert.equal(w.calls.liveSession('c1'), undefined, 'the call is no longer ours');
    });

    it('given a target that is not a number ("1@trunk,5,U(evil)"), when transferred out, then DESTINATION_NOT_ALLOWED and the call goes on untouched', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.clearCalls();
      await rejectsWith(w.transfer.transfer('c1', { kind: 'external', target: '1@trunk,5,U(evil)' }, 'u1'), 'DESTINATION_NOT_ALLOWED');
      sinon.assert.notCalled(w.state.callTransfer);
      assert.deepEqual(w.ari.calls, []);
      assert.equal(w.calls.liveSession('c1')?.connected?.agentChannelId, agentChannelId);
    });

    it('given a target agent who is not ready, when transferred, then TARGET_NOT_READY and the caller stays with the agent', async () => {
      await connectedCall(w);
      w.ari.clearCalls();
      w.state.callTransfer.resolves({ ok: false, code: 'TARGET_NOT_READY' });
      await rejectsWith(w.transfer.transfer('c1', { kind: 'agent', target: 'a2' }, 'u1'), 'TARGET_NOT_READY');
      assert.deepEqual(w.ari.calls, []);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given a connected agent\'s phone, when it REFERs to a queue\'s extension, then the phone is told it worked and the call is transferred to that queue by the phone', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.refer(agentChannelId, '200');
      await settle();
      assert.deepEqual(w.ari.argsOf('transferProgress'), [[agentChannelId, 'channel_answered']]);
      const [, t, , userId] = w.state.callTransfer.firstCall.args;
      assert.deepEqual([t.kind, t.target, userId], ['queue', 'q2', 'phone:a1']);
    });

    it('given a connected agent\'s phone, when it REFERs to a dial string ("1@trunk,5,U(evil)"), then the REFER is declined and nothing is transferred or dialed', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.ari.refer(agentChannelId, '1@trunk,5,U(evil)');
      await settle();
      assert.deepEqual(w.ari.argsOf('transferProgress'), [[agentChannelId, 'channel_declined']]);
      sinon.assert.notCalled(w.state.callTransfer);
      assert.deepEqual(w.ari.argsOf('continueInDialplan'), []);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given a REFER from a channel that is not a connected agent\'s (the caller\'s), when it arrives, then it is declined', async () => {
      await connectedCall(w);
      w.ari.refer('c1', '200');
      await settle();
      assert.deepEqual(w.ari.argsOf('transferProgress'), [['c1', 'channel_declined']]);
      sinon.assert.notCalled(w.state.callTransfer);
    });

    it('given an extension the outbound policy refuses, when the phone REFERs to it, then the REFER is declined', async () => {
      const { agentChannelId } = await connectedCall(w);
      w.destinations.check.rejects(new AcdError(422, 'DESTINATION_NOT_ALLOWED', 'denied prefix'));
      w.ari.refer(agentChannelId, '0900123');
      await settle();
      assert.deepEqual(w.ari.argsOf('transferProgress'), [[agentChannelId, 'channel_declined']]);
      sinon.assert.notCalled(w.state.callTransfer);
    });
  });
});
