import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Wrap-up (after-call work): its extension and end, and the disposition recorded for the call. Part of StateStore (src/state/store.ts). */
export class WrapUpStore extends StoreBase {
  async wrapupExtend(agentId: string): Promise<TransitionOutcome<'wrapup_extend', number>> {
    return outcome(await this.run('wrapup_extend', agentId), Number);
  }
  async wrapupEnd(agentId: string, token = '', fromTimer = false): Promise<TransitionOutcome<'wrapup_end'>> {
    return outcome(await this.run('wrapup_end', agentId, token, fromTimer ? '1' : '0'), () => undefined);
  }
  async callDisposition(callId: string, d: { disposition: string; tags: string[]; notes: string }, userId: string): Promise<TransitionOutcome<'call_disposition'>> {
    return outcome(await this.run('call_disposition', callId, d.disposition, JSON.stringify(d.tags), d.notes, userId), () => undefined);
  }
}
