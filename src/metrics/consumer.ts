import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { MetricsService } from './metricsService';

export const METRICS_GROUP = 'metrics';
/** An entry pending this long was given to a consumer that died (a live one applies it within ms). */
const STUCK_MS = 30_000;
const CLAIM_EVERY_MS = 10_000;
/**
 * After a batch the consumer waits this long before it reads again, so that the entries of a busy
 * stream are applied many at a time: a read and an apply per state change cost Redis two round
 * trips per transition (benchmark profile). Nobody waits for the consumer: every metrics reader
 * folds what is pending first (MetricsService.catchUp), so figures are as current as ever; only
 * the group's acknowledgements lag by up to this much.
 */
export const METRICS_BATCH_WINDOW_MS = 50;

/**
 * Keeps the metrics current: a Redis consumer group `metrics` on the event stream, each
 * controller one consumer, so every entry is delivered to some live controller, which applies it
 * (metrics_apply.lua, which also XACKs it). Entries left pending by a dead consumer are claimed
 * with XAUTOCLAIM. Exactly once does not depend on the group: the apply script's cursor skips
 * anything already applied, so a redelivery or a race costs a no-op.
 * `reader` is its own connection: XREADGROUP BLOCK holds it.
 */
export class MetricsConsumer {
  private running = false;
  private claimTimer?: NodeJS.Timeout;

  constructor(
    private readonly reader: Redis,
    private readonly redis: Redis,
    private readonly streamKey: string,
    readonly consumer: string,
    private readonly metrics: MetricsService,
    private readonly log: Logger,
    private readonly batchWindowMs = METRICS_BATCH_WINDOW_MS,
  ) {}

  async start(): Promise<void> {
    await this.createGroup();
    this.running = true;
    void this.loop();
    this.claimTimer = setInterval(() => void this.claimStuck().catch((err: Error) => this.log.warn('metrics claim failed', { error: err.message })), CLAIM_EVERY_MS);
  }

  private async createGroup(): Promise<void> {
    try {
      // '$': the cursor, not the group, decides what is applied (earlier entries are applied with the first new one)
      await this.redis.xgroup('CREATE', this.streamKey, METRICS_GROUP, '$', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  stop(): void {
    this.running = false;
    clearInterval(this.claimTimer);
    this.reader.disconnect();
  }

  private async loop(): Promise<void> {
    // First what this consumer was given before a restart and never acknowledged, then new entries.
    let backlog = true;
    while (this.running) {
      try {
        const res = await this.reader.xreadgroup('GROUP', METRICS_GROUP, this.consumer, 'COUNT', 500, 'BLOCK', 5000,
          'STREAMS', this.streamKey, backlog ? '0' : '>') as [string, [string, string[] | null][]][] | null;
        const ids = res?.[0]?.[1].map(([id]) => id) ?? [];
        if (backlog && !ids.length) backlog = false;
        if (ids.length) await this.metrics.catchUp(ids[ids.length - 1], ids);
        if (ids.length && !backlog && this.batchWindowMs > 0) await new Promise((r) => setTimeout(r, this.batchWindowMs));
      } catch (err) {
        if (!this.running) return;
        this.log.warn('metrics stream read failed, retrying', { error: (err as Error).message });
        // the stream (and its group with it) was deleted: start the group again
        if (/NOGROUP/.test((err as Error).message)) await this.createGroup().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Takes over entries another consumer was given and has not acknowledged for `minIdleMs`, and applies them. */
  async claimStuck(minIdleMs = STUCK_MS): Promise<number> {
    let start = '0-0';
    let claimed = 0;
    do {
      // (entries trimmed from the stream meanwhile Redis drops from the pending list itself)
      const [next, entries] = await this.redis.xautoclaim(this.streamKey, METRICS_GROUP, this.consumer, minIdleMs, start, 'COUNT', 500) as [string, [string, unknown][]];
      const ids = entries.map(([id]) => id);
      if (ids.length) {
        claimed += ids.length;
        await this.metrics.catchUp(ids.reduce((a, b) => (compareIds(a, b) >= 0 ? a : b)), ids);
      }
      start = next;
    } while (start !== '0-0');
    return claimed;
  }
}

export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}
