import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';
import type { WrapUp } from '../domain/live';

/** Transfers of a connected call to an agent, a queue or an outside number. Part of StateStore (src/state/store.ts). */
export class TransferStore extends StoreBase {
  async callTransfer(callId: string, t: { kind: 'agent' | 'queue' | 'external'; target: string; token?: string; expiresAt?: number; agentChannelId?: string },
    wrap: WrapUp, userId: string): Promise<TransitionOutcome<'call_transfer', string>> {
    return outcome(await this.run('call_transfer', callId, t.kind, t.target, t.token ?? '', t.expiresAt ?? 0, t.agentChannelId ?? '',
      wrap.ms, wrap.maxMs, wrap.stepMs, userId), String);
  }
}
