import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Conference: a third party joins and leaves a connected call. Part of StateStore (src/state/store.ts). */
export class ConferenceStore extends StoreBase {
  async callParty(callId: string, partyId: string, what: 'join' | 'leave', target: string, userId: string): Promise<TransitionOutcome<'call_party'>> {
    return outcome(await this.runKeyed('call_party', [this.keys.call(callId), this.keys.callParties(callId), this.keys.events()], callId, partyId, what, target, userId), () => undefined);
  }
}
