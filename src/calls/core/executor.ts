import type { Logger } from '../../logger';

/**
 * Runs the handlers of one call one at a time, in the order they were asked: ARI events of a call
 * can arrive while a handler awaits Asterisk or Redis, and two handlers interleaving would decide
 * on stale state. Calls are independent: different keys run concurrently.
 */
export class SerialExecutor {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly log: Logger, private readonly what = 'call handler') {}

  /** Queue `fn` after the key's earlier work and return its result; its failure is the caller's (an API request gets it). */
  runOrThrow<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.chains.set(key, next);
    void next.catch(() => undefined).then(() => { if (this.chains.get(key) === next) this.chains.delete(key); });
    return next;
  }

  /** Like runOrThrow, for event handlers nobody awaits for an answer: a failure is logged, never thrown. */
  run(key: string, fn: () => Promise<void>): Promise<void> {
    return this.runOrThrow(key, fn).catch((err) => {
      this.log.error(`${this.what} failed`, { callId: key, error: (err as Error).message, stack: (err as Error).stack });
    });
  }

  /** Keys with work queued or running (diagnostics, tests). */
  get busy(): number { return this.chains.size; }
}
