import { randomUUID } from 'node:crypto';
import type { Ari } from '../../ari/client';
import { DestinationNotAllowed, type Destinations } from '../../destinations/destinations';
import { Conflict } from '../../errors';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore } from '../core';
import { QUEUEING, type CallService } from '../queueing/callService';
import { wrapUpFor } from '../wrapUp/policy';

/** What a blind transfer out of the ACD may name (POST /calls/{id}/transfer's extension, a REFER's user part). */
export const EXTERNAL_TARGET = /^[0-9*#+]{2,32}$/;

export type TransferTarget = { kind: 'agent' | 'queue' | 'external'; target: string };

/** Blind transfers, from the API and from the agent's phone (REFER). */
export class TransferService {
  constructor(
    private readonly core: CallCore,
    private readonly calls: CallService,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly destinations: Destinations,
  ) {}

  /**
   * Blind transfer: to another agent (rung now; if they do not answer the caller waits in the queue
   * at their original place), to a queue (keeping their original time), or out of the ACD to a
   * dialplan extension (context acd-transfer). The agent who had the call goes to wrap-up.
   */
  async transfer(callId: string, t: TransferTarget, userId: string): Promise<void> {
    await this.calls.inTurn(callId, async () => {
      const s = this.calls.connectedSession(callId);
      // as for hold and park: the consulted party would be left in a destroyed bridge
      this.calls.checkAction(s, 'transfer');
      if (t.kind === 'external') {
        // the same rule for the API and a phone's REFER: a dialable number (never a dial string) the policy allows
        if (!EXTERNAL_TARGET.test(t.target)) throw new DestinationNotAllowed(`${JSON.stringify(t.target)} is not an extension or number`, { destination: t.target, reason: 'not-a-number', rule: null, queueId: s.queueId });
        await this.destinations.check(t.target, s.queueId, 'transfer');
      }
      const from = s.connected;
      const queue = this.calls.queueOf(s);
      const token = randomUUID();
      const agentChannelId = `offer-${token}`;
      const r = await this.state.callTransfer(callId, {
        ...t, token, agentChannelId, expiresAt: this.calls.offerDeadline(queue),
      }, wrapUpFor(this.registry, s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'TARGET_NOT_READY' ? `agent ${t.target} is not ready` : 'the call cannot be transferred now');
      s.log.info('call transferred', { fromAgentId: from.agentId, ...t });
      await this.calls.agentLeaves(s);
      if (t.kind === 'external') {
        this.calls.forgetCall(s);
        await this.ari.continueInDialplan(s.callerChannelId, 'acd-transfer', t.target);
        return;
      }
      const target = this.registry.findQueue(t.kind === 'queue' ? t.target : s.queueId) ?? queue!;
      await this.ari.startMoh(s.callerChannelId, target.mohClass).catch(() => undefined);
      if (t.kind === 'queue') {
        s.state = 'waiting';
        s.queueId = t.target;
        this.core.events.emit('queued', s, target);
        return;
      }
      await this.calls.ringOffer(s, target, t.target, token, agentChannelId);
    });
  }

  /**
   * The agent's phone sent a REFER (blind transfer). Its target user part names a queue extension,
   * an agent, or else an extension or number, validated exactly like POST /calls/{id}/transfer's
   * (EXTERNAL_TARGET, then the destination policy). Anything else is refused: the phone gets a
   * failure NOTIFY and the call goes on. The user part is the phone's (or whoever controls it):
   * "1@trunk,5,U(evil)" must never reach a dial string.
   */
  async phoneTransfer(channelId: string, dest: { destination?: string; protocol_id?: string }): Promise<void> {
    const ref = this.core.channels.get(channelId);
    const s = ref?.feature === QUEUEING && ref.role === 'agent' ? this.calls.liveSession(ref.callId) : undefined;
    const target = dest.destination ?? '';
    if (!s?.connected || s.connected.agentChannelId !== channelId || !target) {
      // attended transfers from the phone (Replaces) are not taken over: refuse rather than guess
      await this.ari.transferProgress(channelId, 'channel_declined').catch(() => undefined);
      return;
    }
    const queue = this.registry.queueByExtension(target);
    const t: TransferTarget = queue ? { kind: 'queue', target: queue.id }
      : this.registry.findAgent(target) ? { kind: 'agent', target } : { kind: 'external', target };
    try {
      if (t.kind === 'external') {
        if (!EXTERNAL_TARGET.test(target)) throw new DestinationNotAllowed('not an extension or number', { destination: target, reason: 'not-a-number', rule: null, queueId: s.queueId });
        await this.destinations.check(target, s.queueId, 'transfer from the phone');
      }
      await this.ari.transferProgress(channelId, 'channel_answered').catch(() => undefined);
      await this.transfer(s.callId, t, `phone:${s.connected.agentId}`);
    } catch (err) {
      s.log.warn('transfer from the phone refused', { ...t, error: (err as Error).message });
      await this.ari.transferProgress(channelId, 'channel_declined').catch(() => undefined);
    }
  }
}
