import type { Pool, PoolClient } from 'pg';
import { PARTITIONED } from './migrations';

/**
 * Monthly partitions (UTC months) of the history tables: created as events for a month arrive,
 * dropped once older than the retention. Dropping a partition is instant and frees its space at
 * once, which DELETE on a year of calls would not.
 */

/** 'YYYYMM' of the UTC month holding `ms`. */
export function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month `n` months after 'YYYYMM' (n may be negative). */
export function addMonths(month: string, n: number): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(4)) - 1 + n;
  const d = new Date(Date.UTC(y, m, 1));
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function monthStart(month: string): string {
  return `${month.slice(0, 4)}-${month.slice(4)}-01T00:00:00Z`;
}

/**
 * The oldest month kept with `retentionMonths`: the current month and the (retention - 1) before it.
 * With 13, on 2026-12-01 that is 2025-12: last December stays comparable with this one.
 */
export function oldestKeptMonth(now: number, retentionMonths: number): string {
  return addMonths(monthOf(now), -(retentionMonths - 1));
}

export class Partitions {
  private readonly made = new Set<string>();

  constructor(private readonly schema: string) {}

  /** Makes sure every partitioned table has the month holding `ms` (idempotent; remembered). */
  async ensure(client: PoolClient | Pool, ms: number): Promise<void> {
    const month = monthOf(ms);
    if (this.made.has(month)) return;
    const from = monthStart(month);
    const to = monthStart(addMonths(month, 1));
    for (const table of Object.keys(PARTITIONED)) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.schema}.${table}_${month} PARTITION OF ${this.schema}.${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
    }
    this.made.add(month);
  }

  /** Months (YYYYMM) that have partitions, oldest first. */
  async months(pool: Pool): Promise<string[]> {
    const r = await pool.query(
      `SELECT DISTINCT substring(c.relname from '_(\\d{6})$') AS month FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = ANY($2) ORDER BY 1`, [this.schema, Object.keys(PARTITIONED)]);
    return r.rows.map((x) => x.month as string).filter(Boolean);
  }

  /** Drops the months older than the retention; returns the months dropped. */
  async dropExpired(pool: Pool, now: number, retentionMonths: number): Promise<string[]> {
    const keep = oldestKeptMonth(now, retentionMonths);
    const dropped: string[] = [];
    for (const month of await this.months(pool)) {
      if (month >= keep) continue;
      for (const table of Object.keys(PARTITIONED)) await pool.query(`DROP TABLE IF EXISTS ${this.schema}.${table}_${month}`);
      this.made.delete(month);
      dropped.push(month);
    }
    // the 15-minute queue figures are one small table: their expired months are deleted
    await pool.query(`DELETE FROM ${this.schema}.queue_slots WHERE slot < $1`, [monthStart(keep)]);
    return dropped;
  }
}
