import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Hold: the agent puts the caller on hold and takes them back. Part of StateStore (src/state/store.ts). */
export class HoldStore extends StoreBase {
  async callHold(callId: string, hold: boolean, userId: string): Promise<TransitionOutcome<'call_hold'>> {
    return outcome(await this.runKeyed('call_hold', [this.keys.call(callId), this.keys.events()], callId, hold ? '1' : '0', userId), () => undefined);
  }
}
