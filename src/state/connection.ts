import { AsyncLocalStorage } from 'node:async_hooks';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';

/**
 * Redis connections and what an outage means for each.
 *
 * Call handling's connection is patient (maxRetriesPerRequest: null): its commands wait through a
 * blip, in the order they were issued, so a caller's transition is never lost. An API request must
 * not wait: a client that gave up on a pause must not find it applied seconds later. So while a
 * request is open (`withinRequest`, until its response is sent) its state commands go to a
 * connection of its own with no offline queue and no resending: a command while disconnected, or in
 * flight when the connection drops, fails (503 STATE_UNAVAILABLE) and is never sent later.
 * Call handling a request sets off (provisioning a phone and watching its device state, a dispatch)
 * runs `outsideRequest`, on the patient connection, in order with the rest of call handling.
 */
export class StateUnavailable extends Error {
  constructor() { super('the state store (Redis) is not connected'); this.name = 'StateUnavailable'; }
}

const requestScope = new AsyncLocalStorage<{ open: boolean }>();

/**
 * Runs a request's handling in its scope until `answered` resolves (the response is sent or the
 * client went away): work it leaves behind (a timer, a dispatch) is call handling after that.
 */
export function withinRequest<T>(fn: () => T, answered?: Promise<unknown>): T {
  const scope = { open: true };
  void answered?.then(() => { scope.open = false; });
  return requestScope.run(scope, fn);
}
export function inRequest(): boolean { return requestScope.getStore()?.open === true; }
/**
 * Call handling a request sets off (a dispatch after a callback request, say) runs on the patient
 * connection like the rest of call handling: it must not fail half-way through a blip.
 */
export function outsideRequest<T>(fn: () => T): T { return requestScope.exit(fn); }

/** The request connection refused or timed out a command: Redis is (or just went) down. */
export function isStateUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  if (!e || typeof e.message !== 'string') return false;
  return err instanceof StateUnavailable || e.name === 'MaxRetriesPerRequestError'
    || /enableOfflineQueue options is false|Command timed out|Connection is closed|Stream isn't writeable|connect ECONNREFUSED/i.test(e.message);
}

/**
 * Watches one connection: logs an outage once when it starts (and once when it ends), not at every
 * reconnect attempt, and answers whether it is up for /health.
 */
export class ConnectionWatch {
  private down = false;
  private since = 0;
  private lastError = '';

  constructor(readonly name: string, private readonly redis: Redis, private readonly log: Logger) {
    redis.on('error', (err: Error) => {
      this.lastError = err.message;
      this.markDown();
    });
    redis.on('close', () => this.markDown());
    redis.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.log.info('Redis connection back', { connection: this.name, downMs: Date.now() - this.since });
    });
  }

  private markDown(): void {
    if (this.down) return;
    // a connection closed on purpose (shutdown) is no outage
    if (this.redis.status === 'end' && !this.lastError) return;
    this.down = true;
    this.since = Date.now();
    this.log.error('Redis connection lost; retrying until it is back (logged once per outage)', { connection: this.name, error: this.lastError || 'connection closed' });
  }

  get up(): boolean { return this.redis.status === 'ready'; }
  get downSince(): number | null { return this.up ? null : (this.since || null); }
}
