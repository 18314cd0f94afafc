import { StoreBase, outcome, refusal } from './base';
import type { TransitionOutcome } from './results';
import type { WrapUp } from '../domain/live';

/** Where an unparked call went: to the agent (ringing), or back to waiting in its queue. */
export type UnparkResult = { to: 'offered'; agentId: string } | { to: 'queued' };

/** Parking: a connected call waits in a slot until an agent retrieves it or the timeout rings back. Part of StateStore (src/state/store.ts). */
export class ParkStore extends StoreBase {
  async park(callId: string, timeoutAt: number, wrap: WrapUp, userId: string): Promise<TransitionOutcome<'call_park', number>> {
    return outcome(await this.runKeyed('call_park', [this.keys.call(callId), this.keys.parked(), this.keys.timers(), this.keys.events()], callId, timeoutAt, wrap.ms, wrap.maxMs, wrap.stepMs, userId), Number);
  }
  /**
   * A parked call leaves its slot: offered to the agent (who is reserved for it), or, at a timeout
   * whose parking agent cannot take it, back in the queue at its original place.
   */
  async unparkCall(callId: string, agentId: string, token: string, expiresAt: number, agentChannelId: string, fromTimer = false): Promise<TransitionOutcome<'call_unpark', UnparkResult>> {
    const r = await this.runKeyed('call_unpark', [this.keys.call(callId), this.keys.parked(), this.keys.timers(), this.keys.events()], callId, agentId, token, expiresAt, agentChannelId, fromTimer ? '1' : '0') as unknown as (string | number)[];
    if (r[0] !== 1) return refusal('call_unpark', r);
    return { ok: true, value: r[1] === 'offered' ? { to: 'offered', agentId: String(r[2]) } : { to: 'queued' } };
  }
  async parkedCalls(): Promise<{ slot: number; callId: string }[]> {
    const h = await this.redis.hgetall(this.keys.parked());
    return Object.entries(h).map(([slot, callId]) => ({ slot: Number(slot), callId })).sort((a, b) => a.slot - b.slot);
  }
}
