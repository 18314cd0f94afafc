import assert from 'node:assert/strict';
import sinon from 'sinon';
import { CallWorld, callerArrives, connectedCall, rejectsWith, salesAndSupport } from '../support/callWorld';

describe('Hold (HoldService) with the fake ARI, stubbed Lua transitions', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => { ({ w, clock } = await salesAndSupport()); });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('hold', () => {
    it('given a connected call, when held, then Redis records it and the caller leaves the bridge for the queue\'s music; when unheld, the music stops and the caller is back in the bridge', async () => {
      await connectedCall(w);
      w.ari.clearCalls();
      await w.hold.hold('c1', true, 'u1');
      sinon.assert.calledWithExactly(w.state.callHold, 'c1', true, 'u1');
      assert.deepEqual(w.ari.methods(), ['removeChannel', 'startMoh']);
      assert.deepEqual([w.ari.argsOf('removeChannel')[0], w.ari.argsOf('startMoh')[0]], [['call-c1', 'c1'], ['c1', 'sales']]);
      w.ari.clearCalls();
      await w.hold.hold('c1', false, 'u1');
      sinon.assert.calledWithExactly(w.state.callHold, 'c1', false, 'u1');
      assert.deepEqual(w.ari.methods(), ['stopMoh', 'addChannels']);
      assert.deepEqual(w.ari.argsOf('addChannels'), [['call-c1', ['c1']]]);
    });

    it('given a call already on hold, when held again, then Redis answers NO_CHANGE and Asterisk is asked nothing', async () => {
      await connectedCall(w);
      w.ari.clearCalls();
      w.state.callHold.resolves({ ok: false, code: 'NO_CHANGE' });
      await w.hold.hold('c1', true, 'u1');
      assert.deepEqual(w.ari.calls, []);
    });

    it('given a call that is only waiting, when held, then CALL_NOT_CONNECTED and nothing is recorded', async () => {
      await callerArrives(w);
      await rejectsWith(w.hold.hold('c1', true, 'u1'), 'CALL_NOT_CONNECTED');
      sinon.assert.notCalled(w.state.callHold);
    });
  });
});
