import { randomUUID } from 'node:crypto';
import type { Ari } from '../../ari/client';
import { callerIdOf } from '../../ari/callerId';
import type { AriChannel } from '../../ari/types';
import { type Destinations, looksLikeNumber } from '../../destinations/destinations';
import { Conflict } from '../../errors';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import { APP, type CallCore, type CallSession, type ChannelRef, type ConnectedCall } from '../core';
import type { HoldService } from '../hold/service';
import type { CallService } from '../queueing/callService';
import { wrapUpFor } from '../wrapUp/policy';

export const CONSULT = 'consult';

/** Attended transfer in progress: the target being consulted while the caller holds. */
interface Consultation { id: string; channelId: string; kind: 'agent' | 'extension'; target: string; answered: boolean }

/**
 * Attended transfer: the caller holds (music) while the agent's target rings; on answer the agent
 * and the target talk in the call's bridge. Complete: the caller joins the target and the agent
 * leaves; cancel (or the target not answering): the caller is back with the agent. While a
 * consultation runs, hold, transfer and park are refused (the consulted party would be left in a
 * destroyed bridge).
 */
export class ConsultService {
  private readonly consults = new Map<string, Consultation>();

  constructor(
    private readonly core: CallCore,
    private readonly calls: CallService,
    private readonly hold: HoldService,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly destinations: Destinations,
  ) {
    calls.addGuard((s, action) => {
      if (!this.consults.has(s.callId)) return;
      throw new Conflict('CONSULT_IN_PROGRESS', action === 'hold'
        ? 'the caller holds for a consultation: complete or cancel it' : 'complete or cancel the consultation first');
    });
    // the call ends during a consultation: it is cancelled and the target hung up
    core.events.on('ending', (s) => {
      const c = this.consults.get(s.callId);
      if (!c) return;
      this.consults.delete(s.callId);
      void this.state.consultCancel(s.callId, c.id, 'call-ended');
      void this.ari.hangupQuietly(c.channelId);
    });
  }

  async consult(callId: string, target: { kind: 'agent' | 'extension'; id: string }, userId: string): Promise<string> {
    return this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      if (target.kind === 'extension' && looksLikeNumber(target.id)) await this.destinations.check(target.id, s.queueId, 'consultation');
      const consultId = randomUUID().slice(0, 8);
      const r = await this.state.consultStart(callId, consultId, target.kind, target.id, userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'TARGET_NOT_READY' ? `agent ${target.id} is not ready` : `cannot consult now: ${r.code}`);
      const channelId = `consult-${callId}-${consultId}`;
      this.consults.set(callId, { id: consultId, channelId, kind: target.kind, target: target.id, answered: false });
      this.core.channels.set(channelId, { callId, feature: CONSULT, role: 'consult' });
      await this.hold.holdNow(s, true, userId);
      try {
        await this.ari.originate({
          endpoint: `PJSIP/${target.id}`, channelId, app: APP, appArgs: `consult,${callId},${consultId}`,
          callerId: callerIdOf(`Transfer ${this.calls.queueOf(s)?.name ?? ''}`, s.callerNumber), timeoutSec: 30,
        });
      } catch (err) {
        await this.over(s, 'failed');
        throw new Conflict('CONSULT_NOT_REACHED', `could not call ${target.id}: ${(err as Error).message}`);
      }
      s.log.info('consulting', { consultId, ...target });
      return consultId;
    });
  }

  async complete(callId: string, userId: string): Promise<void> {
    await this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      const c = this.consults.get(callId);
      if (!c) throw new Conflict('NO_CONSULT', 'no consultation in progress');
      const from = s.connected;
      const r = await this.state.consultComplete(callId, c.id, wrapUpFor(this.registry, s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code === 'NOT_ANSWERED' ? 'CONSULT_NOT_ANSWERED' : r.code, r.code === 'NOT_ANSWERED' ? 'the target has not answered yet' : 'no consultation in progress');
      this.consults.delete(callId);
      this.core.channels.delete(c.channelId);
      // the target takes the agent's place in the call: its hang-up now ends the call
      this.calls.takeAgentLeg(s, c.kind === 'agent' ? c.target : '', c.channelId);
      await this.ari.hangupQuietly(from.agentChannelId);
      await this.ari.stopMoh(s.callerChannelId).catch(() => undefined);
      await this.ari.addChannels(from.bridgeId, [s.callerChannelId]);
      s.log.info('attended transfer completed', { fromAgentId: from.agentId, to: c.target });
    });
  }

  async cancel(callId: string): Promise<void> {
    await this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      if (!this.consults.has(callId)) throw new Conflict('NO_CONSULT', 'no consultation in progress');
      await this.over(s, 'cancelled');
    });
  }

  /** The consultation ends without transfer: target hung up, caller back with the agent. */
  private async over(s: CallSession, reason: string): Promise<void> {
    const c = this.consults.get(s.callId);
    if (!c) return;
    this.consults.delete(s.callId);
    this.core.channels.delete(c.channelId);
    await this.state.consultCancel(s.callId, c.id, reason);
    await this.ari.hangupQuietly(c.channelId);
    if (s.state === 'connected') await this.hold.holdNow(s as ConnectedCall, false, '');
  }

  // --- Stasis handlers ------------------------------------------------------------------------
  /** StasisStart consult,<callId>,<consultId>: the target answered. */
  async answered(channel: AriChannel, callId: string, consultId: string): Promise<void> {
    const s = this.calls.liveSession(callId);
    const c = this.consults.get(callId);
    if (!s || !c || c.id !== consultId || !s.connected) { await this.ari.hangupQuietly(channel.id); return; }
    const r = await this.state.consultAnswered(callId, consultId);
    if (!r.ok) { await this.ari.hangupQuietly(channel.id); return; }
    c.answered = true;
    await this.ari.addChannels(s.connected.bridgeId, [channel.id]);
  }

  /** The target's channel left or was destroyed. */
  async gone(channel: AriChannel, ref: ChannelRef): Promise<void> {
    const s = this.calls.liveSession(ref.callId);
    if (!s) { this.core.channels.delete(channel.id); return; }
    const c = this.consults.get(ref.callId);
    if (c?.channelId === channel.id) await this.over(s, c.answered ? 'target-hung-up' : 'not-answered');
  }
}
