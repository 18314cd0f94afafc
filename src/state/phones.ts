import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** A non-queue call of an agent's phone, recorded once across controllers. Part of StateStore (src/state/store.ts). */
export class PhoneCallStore extends StoreBase {
  /** A non-queue call of an agent's phone is over (recorded once across controllers). */
  async phoneCall(c: { channelId: string; agentId: string; direction: 'in' | 'out'; peer: string; startedAt: number; answeredAt?: number }): Promise<TransitionOutcome<'phone_call'>> {
    return outcome(await this.run('phone_call', c.channelId, c.agentId, c.direction, c.peer, c.startedAt, c.answeredAt ?? ''), () => undefined);
  }
}
