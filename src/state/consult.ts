import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';
import type { WrapUp } from '../domain/live';

/** Consultation: the agent calls someone while the caller holds, then hands over or goes back. Part of StateStore (src/state/store.ts). */
export class ConsultStore extends StoreBase {
  async consultStart(callId: string, consultId: string, kind: 'agent' | 'extension', target: string, userId: string): Promise<TransitionOutcome<'consult_start'>> {
    return outcome(await this.runKeyed('consult_start', [this.keys.call(callId), this.keys.events()], callId, consultId, kind, target, userId), () => undefined);
  }
  async consultAnswered(callId: string, consultId: string): Promise<TransitionOutcome<'consult_answered'>> {
    return outcome(await this.runKeyed('consult_answered', [this.keys.call(callId), this.keys.events()], callId, consultId), () => undefined);
  }
  async consultComplete(callId: string, consultId: string, wrap: WrapUp, userId: string): Promise<TransitionOutcome<'consult_complete', 'agent' | 'extension'>> {
    return outcome(await this.runKeyed('consult_complete', [this.keys.call(callId), this.keys.events()], callId, consultId, wrap.ms, wrap.maxMs, wrap.stepMs, userId), (v) => v as 'agent' | 'extension');
  }
  async consultCancel(callId: string, consultId: string, reason: string): Promise<TransitionOutcome<'consult_cancel'>> {
    return outcome(await this.runKeyed('consult_cancel', [this.keys.call(callId), this.keys.events()], callId, consultId, reason), () => undefined);
  }
}
