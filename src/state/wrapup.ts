import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Wrap-up (after-call work): its extension and end, and the disposition recorded for the call. Part of StateStore (src/state/store.ts). */
export class WrapUpStore extends StoreBase {
  async wrapupExtend(agentId: string): Promise<TransitionOutcome<'wrapup_extend', number>> {
    return outcome(await this.runKeyed('wrapup_extend', [this.keys.agent(agentId), this.keys.timers(), this.keys.events()], agentId), Number);
  }
  async wrapupEnd(agentId: string, token = '', fromTimer = false): Promise<TransitionOutcome<'wrapup_end'>> {
    return outcome(await this.runKeyed('wrapup_end', [this.keys.agent(agentId), this.keys.timers(), this.keys.events()], agentId, token, fromTimer ? '1' : '0'), () => undefined);
  }
  async callDisposition(callId: string, d: { disposition: string; tags: string[]; notes: string }, userId: string): Promise<TransitionOutcome<'call_disposition'>> {
    return outcome(await this.runKeyed('call_disposition', [this.keys.call(callId), this.keys.events()], callId, d.disposition, JSON.stringify(d.tags), d.notes, userId), () => undefined);
  }
}
