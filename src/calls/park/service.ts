import { randomUUID } from 'node:crypto';
import type { Ari } from '../../ari/client';
import { Conflict } from '../../errors';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore, CallSession } from '../core';
import type { CallService } from '../queueing/callService';
import { wrapUpFor } from '../wrapUp/policy';

/**
 * Park: the caller waits in a parking slot with music and the agent is free (wrap-up). Any agent
 * of the call's queue may retrieve the call to their phone; at the slot's timeout it rings the
 * agent who parked it, or waits in the queue at its place when that agent cannot take it.
 */
export class ParkService {
  constructor(
    private readonly core: CallCore,
    private readonly calls: CallService,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
  ) {}

  async park(callId: string, userId: string): Promise<number> {
    return this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      this.calls.checkAction(s, 'park');
      const queue = this.calls.queueOf(s);
      const from = s.connected;
      const r = await this.state.park(callId, Date.now() + (queue?.parkTimeoutSec ?? 60) * 1000, wrapUpFor(this.registry, s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'NO_FREE_SLOT' ? 'every parking slot is taken' : 'the call is not connected');
      (s as CallSession).state = 'parked';
      // music while the agent's leg and the bridge go
      await this.calls.agentLeaves(s, () => this.ari.startMoh(s.callerChannelId, queue?.mohClass ?? 'default').catch(() => undefined));
      s.log.info('call parked', { slot: r.value, by: from.agentId });
      return r.value;
    });
  }

  /**
   * A parked call leaves its slot for an agent (retrieve), or, at the timeout (agentId ''), for the
   * agent who parked it; when that agent cannot take it, it waits in the queue at its place.
   */
  async unpark(callId: string, agentId: string, fromTimer: boolean): Promise<void> {
    await this.calls.inTurn(callId, async () => {
      const s = this.calls.liveSession(callId);
      if (!s || s.state !== 'parked') {
        if (fromTimer) return;   // another controller's call: its controller (or reconcile) handles it
        throw new Conflict('NOT_PARKED', 'the call is not parked on this controller');
      }
      const queue = this.calls.queueOf(s);
      const token = randomUUID();
      const agentChannelId = `offer-${token}`;
      const r = await this.state.unparkCall(callId, agentId, token, this.calls.offerDeadline(queue), agentChannelId, fromTimer);
      if (!r.ok) {
        if (fromTimer) return;
        throw new Conflict(r.code, r.code === 'AGENT_NOT_READY' ? `agent ${agentId} is not ready` : 'the call is not parked');
      }
      if (r.value.to === 'queued') {
        s.state = 'waiting';
        this.core.events.emit('queued', s, queue!);
        return;
      }
      await this.calls.ringOffer(s, queue!, r.value.agentId, token, agentChannelId);
    });
  }
}
