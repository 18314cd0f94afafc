import type { Ari } from '../../ari/client';
import { Conflict } from '../../errors';
import type { StateStore } from '../../state/store';
import type { ConnectedCall } from '../core';
import type { CallService } from '../queueing/callService';

/** Hold and DTMF on a connected call. */
export class HoldService {
  constructor(private readonly calls: CallService, private readonly ari: Ari, private readonly state: StateStore) {}

  /** Hold: the caller leaves the bridge for music on hold, so nothing the agent says reaches them. */
  async hold(callId: string, on: boolean, userId: string): Promise<void> {
    await this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      this.calls.checkAction(s, 'hold');
      await this.holdNow(s, on, userId);
    });
  }

  /** Hold or take off hold now, in the call's turn already (a consultation holds the caller too). */
  async holdNow(s: ConnectedCall, on: boolean, userId: string): Promise<void> {
    const r = await this.state.callHold(s.callId, on, userId);
    if (!r.ok) { if (r.code === 'NO_CHANGE') return; throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected'); }
    const bridgeId = s.connected.bridgeId;
    if (on) {
      await this.ari.removeChannel(bridgeId, s.callerChannelId);
      await this.ari.startMoh(s.callerChannelId, this.calls.queueOf(s)?.mohClass ?? 'default');
    } else {
      await this.ari.stopMoh(s.callerChannelId).catch(() => undefined);
      await this.ari.addChannels(bridgeId, [s.callerChannelId]);
    }
    s.log.info(on ? 'caller on hold' : 'caller off hold');
  }

  async sendDtmf(callId: string, to: 'caller' | 'agent', digits: string): Promise<void> {
    const s = this.calls.connectedSession(callId);
    await this.ari.sendDtmf(to === 'caller' ? s.callerChannelId : s.connected.agentChannelId, digits);
  }
}
