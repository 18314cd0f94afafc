import { StoreBase, outcome as toOutcome } from './base';
import type { TransitionOutcome } from './results';
import { NO_WRAPUP } from '../domain/live';
import type { WrapUp, CallbackAttempt } from '../domain/live';

/** Callback requests: created from a waiting caller or the API, due, attempted, completed, cancelled. Part of StateStore (src/state/store.ts). */
export class CallbackStore extends StoreBase {
  async callbackCreate(c: {
    callbackId: string; queueId: string; number: string; name: string; fromCallId?: string; message?: string;
    preferredAgentId?: string; preferMs: number; dueAt?: number; maxAttempts: number; preferLastAgent: boolean;
  }): Promise<TransitionOutcome<'callback_create', 'waiting' | 'scheduled'>> {
    const r = await this.run('callback_create', c.callbackId, c.queueId, c.number, c.name, c.fromCallId ?? '', c.message ?? '',
      c.preferredAgentId ?? '', c.preferMs, c.dueAt ?? '', c.maxAttempts, c.preferLastAgent ? '1' : '0');
    return toOutcome(r, (v) => v as 'waiting' | 'scheduled');
  }
  async callbackDue(id: string): Promise<TransitionOutcome<'callback_due'>> {
    return toOutcome(await this.run('callback_due', id), () => undefined);
  }
  async callbackPreferEnd(id: string): Promise<TransitionOutcome<'callback_prefer_end'>> {
    return toOutcome(await this.run('callback_prefer_end', id), () => undefined);
  }
  async callbackAttemptEnd(id: string, outcome: string, talkMs: number, wrap: WrapUp = NO_WRAPUP): Promise<TransitionOutcome<'callback_attempt_end', string>> {
    return toOutcome(await this.run('callback_attempt_end', id, outcome, talkMs, wrap.ms, wrap.maxMs, wrap.stepMs), String);
  }
  async callbackComplete(id: string): Promise<TransitionOutcome<'callback_complete', string>> {
    return toOutcome(await this.run('callback_complete', id), String);
  }
  async callbackReschedule(id: string, dueAt: number): Promise<TransitionOutcome<'callback_reschedule'>> {
    return toOutcome(await this.run('callback_reschedule', id, dueAt), () => undefined);
  }
  async callbackCancel(id: string): Promise<TransitionOutcome<'callback_cancel'>> {
    return toOutcome(await this.run('callback_cancel', id), () => undefined);
  }
  /** Finished (completed, cancelled) callback requests still within their retention. */
  async finishedCallbackIds(): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.keys.callbacks()}:finished`, this.now(), '+inf');
  }
  async callbackIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.callbacks());
  }
  async callbackAttempts(id: string): Promise<CallbackAttempt[]> {
    return (await this.redis.lrange(this.keys.callbackAttempts(id), 0, -1)).map((s) => JSON.parse(s) as CallbackAttempt);
  }
}
