import type { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { Logger } from '../logger';
import type { FoldContext } from './fold';
import { migrate } from './migrations';
import { Partitions } from './partitions';
import { QueueLogFile } from './queueLogFile';
import { Reports } from './reports';
import { HistoryWriter } from './writer';

export interface HistoryOptions {
  databaseUrl: string; schema: string; retentionMonths: number;
  streamKey: string; consumer: string;
  /** Asterisk-style queue_log file to append the history to. */
  queueLogFile?: string;
  /** Keep the queue_log table (also kept whenever a file is written: the file is written from it). */
  queueLogTable?: boolean;
  /** The clock retention reads (tests move it). */
  now?: () => number;
}

/**
 * The call history in PostgreSQL: its pool, migrations, the writer from the event stream, report
 * queries and retention. Built by main.ts; nothing in the call path depends on it.
 */
export class History {
  readonly pool: Pool;
  readonly reports: Reports;
  readonly writer: HistoryWriter;
  readonly partitions: Partitions;
  readonly queueLog?: QueueLogFile;
  private retentionTimer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: HistoryOptions, redis: Redis, reader: Redis, ctx: FoldContext, private readonly log: Logger) {
    // queries fail fast while the database is away (the writer waits and retries; reports answer 503)
    this.pool = new Pool({ connectionString: o.databaseUrl, max: 8, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
    // an idle connection dropped by a database restart must not crash the controller
    this.pool.on('error', (err) => log.warn('history database connection lost', { error: err.message }));
    // ... and neither must one that is checked out between two queries (the writer reads Redis
    // inside its transaction): its query fails, the writer retries
    this.pool.on('connect', (client) => client.on('error', (err) => log.debug('history database connection failed', { error: err.message })));
    this.reports = new Reports(this.pool, o.schema);
    this.partitions = new Partitions(o.schema);
    this.now = o.now ?? Date.now;
    if (o.queueLogFile) this.queueLog = new QueueLogFile(this.pool, o.schema, o.queueLogFile, log);
    const fold = { ...ctx, queueLog: Boolean(o.queueLogFile || o.queueLogTable) };
    this.writer = new HistoryWriter(reader, redis, o.streamKey, o.consumer, this.pool, o.schema, fold, log,
      { now: this.now, afterBatch: () => void this.queueLog?.flush() });
  }

  /**
   * Migrations, then the writer. A database that is not there at start does not stop the controller:
   * migrations are retried in the background and the writer starts after them.
   */
  async start(): Promise<void> {
    try {
      await this.migrate();
    } catch (err) {
      this.log.warn('history database unavailable at start: retrying in the background', { error: (err as Error).message });
      void this.retryStart();
      return;
    }
    await this.startWriter();
  }

  private async retryStart(): Promise<void> {
    for (let pause = 1000; ; pause = Math.min(pause * 2, 10_000)) {
      await new Promise((r) => setTimeout(r, pause));
      try {
        await this.migrate();
        await this.startWriter();
        return;
      } catch (err) {
        this.log.debug('history database still unavailable', { error: (err as Error).message });
      }
    }
  }

  private async migrate(): Promise<void> {
    const applied = await migrate(this.pool, this.o.schema);
    if (applied.length) this.log.info('history migrations applied', { schema: this.o.schema, versions: applied });
  }

  private async startWriter(): Promise<void> {
    await this.writer.start();
    await this.queueLog?.flush();
    await this.applyRetention().catch((err: Error) => this.log.warn('history retention failed', { error: err.message }));
    this.retentionTimer = setInterval(() => void this.applyRetention().catch((err: Error) => this.log.warn('history retention failed', { error: err.message })), 3_600_000);
    this.retentionTimer.unref();
  }

  /** Drops the months past the retention (13 by default). */
  async applyRetention(): Promise<string[]> {
    const dropped = await this.partitions.dropExpired(this.pool, this.now(), this.o.retentionMonths);
    if (dropped.length) this.log.info('history months dropped past the retention', { months: dropped, retentionMonths: this.o.retentionMonths });
    return dropped;
  }

  async stop(): Promise<void> {
    clearInterval(this.retentionTimer);
    this.writer.stop();
    await this.pool.end().catch(() => undefined);
  }
}
