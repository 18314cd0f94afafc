import assert from 'node:assert/strict';
import sinon from 'sinon';
import { CallWorld, connectedCall, salesAndSupport } from '../support/callWorld';
import { settle } from '../support/fakeAri';

describe('Three-way calls (ConferenceService) with the fake ARI, stubbed Lua transitions', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => { ({ w, clock } = await salesAndSupport()); });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('three-way call', () => {
    it('given a connected call, when a third party is added, then the policy is checked and the party rung; on answer it joins the bridge; when it hangs up it leaves, the call goes on', async () => {
      await connectedCall(w);
      const partyId = await w.conference.addParty('c1', '2001', 'u1');
      sinon.assert.calledWith(w.destinations.check, '2001', 'q1', 'three-way call');
      const [o] = w.ari.argsOf('originate').at(-1)!;
      assert.deepEqual([o.endpoint, o.channelId, o.appArgs], ['PJSIP/2001', `party-c1-${partyId}`, `party,c1,${partyId}`]);
      w.ari.stasisStart(o.channelId, o.appArgs.split(','));
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.callParty, 'c1', partyId, 'join', '2001', '');
      assert.deepEqual(w.ari.argsOf('addChannels').at(-1), ['call-c1', [o.channelId]]);
      w.ari.channelGone(o.channelId);
      await settle();
      sinon.assert.calledWithExactly(w.state.callParty, 'c1', partyId, 'leave', '2001', '');
      sinon.assert.notCalled(w.state.release);
      assert.equal(w.calls.connectedCallOf('a1')?.callId, 'c1');
    });

    it('given a three-way call, when the caller hangs up, then the third party is hung up too', async () => {
      await connectedCall(w);
      const partyId = await w.conference.addParty('c1', '2001', 'u1');
      w.ari.stasisStart(`party-c1-${partyId}`, ['party', 'c1', partyId]);
      await settle();
      w.ari.channelGone('c1');
      await settle();
      assert.ok(w.ari.hungUp().includes(`party-c1-${partyId}`));
    });
  });
});
