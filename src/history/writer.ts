import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { EventBus } from '../events/bus';
import type { Logger } from '../logger';
import { compareIds } from '../metrics/consumer';
import { FoldContext, HistoryFold } from './fold';
import { inTransaction } from './migrations';
import { Partitions } from './partitions';

export const HISTORY_GROUP = 'history';
const BATCH = 500;
/** The stream's length cap (MAXLEN ~ in _lib.lua's emit). */
export const STREAM_CAP = 100_000;

export interface WriterStatus {
  /** Last stream entry in the history, and when the history last took a batch. */
  cursor: string; lastAppliedAt: number | null;
  /** Whether the last attempt to reach the database failed (the writer is waiting for it). */
  databaseDown: boolean;
  /** Stream entries not in the history yet (the group's pending and undelivered entries), at the last check. */
  backlog: number;
  /** Age (ms) of the oldest event not in the history yet, at the last check; 0 when caught up. */
  lagMs: number;
  /** Entries this writer folded since it started, and those it could not fold (logged as errors). */
  folded: number;
  skipped: number;
}

/**
 * Writes the event stream into the history, exactly once, whatever happens around it.
 *
 * Exactly once comes from a cursor kept in PostgreSQL (history_cursor): a batch reads the entries
 * after the cursor from the stream, folds them in stream order and moves the cursor in the same
 * transaction, under a transaction-level advisory lock. A redelivered or raced entry is at or before
 * the cursor and never folded again; several controllers share one history, taking turns. The
 * consumer group `history` (each controller one consumer) wakes the writer when entries arrive,
 * and its pending list is acknowledged once the history holds them.
 *
 * A database outage never reaches call handling: nothing in the call path waits for this writer.
 * The writer retries with a growing pause; the stream keeps the events meanwhile and the writer
 * catches up when the database is back. The stream is capped (STREAM_CAP): the writer warns when
 * the backlog passes 80% of it, and should an outage outlast it, records the gap in history_gaps
 * and logs it as an error (those events are lost to the history; the live metrics are unaffected).
 */
export class HistoryWriter {
  private running = false;
  private tick?: NodeJS.Timeout;
  private busy?: Promise<number>;
  private queued?: Promise<number>;
  private warnedAt = 0;
  readonly status: WriterStatus = { cursor: '0-0', lastAppliedAt: null, databaseDown: false, backlog: 0, lagMs: 0, folded: 0, skipped: 0 };
  private readonly partitions: Partitions;

  constructor(
    private readonly reader: Redis,
    private readonly redis: Redis,
    private readonly streamKey: string,
    readonly consumer: string,
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly ctx: FoldContext,
    private readonly log: Logger,
    private readonly opts: { streamCap?: number; now?: () => number; afterBatch?: () => void } = {},
  ) {
    this.partitions = new Partitions(schema);
  }

  async start(): Promise<void> {
    await this.createGroup();
    this.running = true;
    void this.loop();
    // a wake-up for entries delivered to a consumer that died, and the backlog check
    this.tick = setInterval(() => void this.catchUpQuietly(), 5000);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.tick);
    this.reader.disconnect();
  }

  private async createGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.streamKey, HISTORY_GROUP, '$', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  private async loop(): Promise<void> {
    let pauseMs = 250;
    while (this.running) {
      try {
        const res = await this.reader.xreadgroup('GROUP', HISTORY_GROUP, this.consumer, 'COUNT', BATCH, 'BLOCK', 5000,
          'STREAMS', this.streamKey, '>') as [string, [string, string[]][]][] | null;
        const ids = res?.[0]?.[1].map(([id]) => id) ?? [];
        if (!ids.length) continue;
        // until the history has them, read no further: the stream holds them, the database is what is late
        for (;;) {
          if (!this.running) return;
          try {
            await this.catchUp();
            pauseMs = 250;
            break;
          } catch (err) {
            this.onDatabaseError(err as Error);
            await new Promise((r) => setTimeout(r, pauseMs));
            pauseMs = Math.min(pauseMs * 2, 5000);
          }
        }
      } catch (err) {
        if (!this.running) return;
        this.log.warn('history stream read failed, retrying', { error: (err as Error).message });
        if (/NOGROUP/.test((err as Error).message)) await this.createGroup().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async catchUpQuietly(): Promise<void> {
    try {
      await this.catchUp();
    } catch (err) {
      this.onDatabaseError(err as Error);
    }
  }

  private onDatabaseError(err: Error): void {
    if (!this.status.databaseDown) this.log.warn('history database unavailable: the writer waits and catches up', { error: err.message });
    this.status.databaseDown = true;
    void this.checkBacklog().catch(() => undefined);
  }

  /** The entries not yet in the history: warns when they approach the stream's cap. */
  async checkBacklog(): Promise<number> {
    const groups = await this.redis.call('XINFO', 'GROUPS', this.streamKey) as unknown[][];
    let backlog = 0;
    for (const g of groups) {
      const f: Record<string, unknown> = {};
      for (let i = 0; i < g.length; i += 2) f[String(g[i])] = g[i + 1];
      if (f.name === HISTORY_GROUP) backlog = Number(f.pending ?? 0) + Number(f.lag ?? 0);
    }
    this.status.backlog = backlog;
    const cap = this.opts.streamCap ?? STREAM_CAP;
    const now = (this.opts.now ?? Date.now)();
    if (backlog >= cap * 0.8 && now - this.warnedAt > 60_000) {
      this.warnedAt = now;
      this.log.warn('history backlog approaches the event stream cap: events past the cap will be lost to the history', { backlog, cap });
    }
    return backlog;
  }

  /**
   * Folds every entry after the cursor into the history, up to the stream's end. Resolves with the
   * number of entries folded. A run in progress may have started before the caller's entries:
   * callers then share the one run queued after it.
   */
  catchUp(): Promise<number> {
    if (!this.busy) {
      this.busy = this.run().finally(() => { this.busy = undefined; });
      return this.busy;
    }
    if (!this.queued) {
      this.queued = this.busy.catch(() => 0).then(() => {
        this.queued = undefined;
        return this.catchUp();
      });
    }
    return this.queued;
  }

  private async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < BATCH) break;
    }
    this.status.databaseDown = false;
    const last = await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    this.status.lagMs = 0;
    if (last.length && compareIds(last[0][0], this.status.cursor) > 0) this.status.lagMs = Math.max(0, Date.now() - Number(last[0][0].split('-')[0]));
    this.status.backlog = 0;
    return total;
  }

  private async batch(): Promise<number> {
    const client = await this.pool.connect();
    let ids: string[] = [];
    try {
      await inTransaction(client, async () => {
        await client.query(`SET LOCAL search_path TO ${this.schema}`);
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`acd-history:${this.schema}`]);
        const cursor = (await client.query('SELECT stream_id FROM history_cursor WHERE id = 1')).rows[0].stream_id as string;
        const entries = await this.redis.xrange(this.streamKey, `(${cursor}`, '+', 'COUNT', BATCH);
        if (!entries.length) { this.status.cursor = cursor; return; }
        if (cursor !== '0-0') await this.noticeGap(client, cursor, entries[0][0]);
        const fold = new HistoryFold(client, this.ctx);
        for (const [id, fields] of entries) {
          const e = EventBus.parse(id, fields);
          if (!Number.isFinite(e.at)) continue;
          await this.partitions.ensure(client, e.at);
          if (typeof e.startedAt === 'number') await this.partitions.ensure(client, e.startedAt);
          // a savepoint per event: an event the fold cannot take is logged and skipped, not a stuck writer
          await client.query('SAVEPOINT ev');
          try {
            await fold.apply(e);
            await client.query('RELEASE SAVEPOINT ev');
          } catch (err) {
            if (isConnectionError(err)) throw err;
            await client.query('ROLLBACK TO SAVEPOINT ev');
            this.status.skipped++;
            this.log.error('history could not fold an event, skipped', { streamId: id, type: e.type, error: (err as Error).message });
          }
        }
        const last = entries[entries.length - 1][0];
        await client.query('UPDATE history_cursor SET stream_id = $1, applied_at = now() WHERE id = 1', [last]);
        ids = entries.map(([id]) => id);
        this.status.cursor = last;
        this.log.debug('history batch folded', { after: cursor, upTo: last, entries: ids.length });
      });
    } catch (err) {
      // a connection that failed mid-transaction is not given back to the pool
      client.release(err as Error);
      throw err;
    }
    client.release();
    if (ids.length) {
      this.status.lastAppliedAt = Date.now();
      this.status.folded += ids.length;
      // acknowledged for whichever consumer was given them: the history holds them now
      await this.redis.xack(this.streamKey, HISTORY_GROUP, ...ids).catch(() => undefined);
      this.opts.afterBatch?.();
    }
    return ids.length;
  }

  /**
   * The cursor's own entry is gone from the stream: the stream was trimmed past it while the writer
   * was away (an outage outlasting the cap), and entries between it and the stream's first may be
   * lost. (Trimming that stopped exactly after the cursor looks the same: the record says "may".)
   * The gap is recorded and logged; folding goes on from what is left.
   */
  private async noticeGap(client: import('pg').PoolClient, cursor: string, next: string): Promise<void> {
    if ((await this.redis.xrange(this.streamKey, cursor, cursor)).length) return;
    await client.query('INSERT INTO history_gaps (after_stream_id, before_stream_id) VALUES ($1, $2)', [cursor, next]);
    this.log.error('history gap: the event stream was trimmed past the history writer (a database outage longer than the stream holds); events in between may be lost to the history',
      { after: cursor, before: next });
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(08|57P)/.test(code) || /ECONNREFUSED|ECONNRESET|terminat|Connection/i.test((err as Error).message);
}
