import fs from 'node:fs/promises';
import type { Pool } from 'pg';
import type { Logger } from '../logger';

/** A queue_log row as the table holds it (QueueMetrics' columns). */
export interface QueueLogRow { id: string; time: Date; callid: string; queuename: string; agent: string; event: string; data1: string; data2: string; data3: string; data4: string; data5: string }

/** app_queue's line: epoch|callid|queue|agent|EVENT|data1|data2|... (trailing empty fields dropped, as app_queue does). */
export function queueLogLine(r: QueueLogRow): string {
  const data = [r.data1, r.data2, r.data3, r.data4, r.data5];
  while (data.length > 1 && data[data.length - 1] === '') data.pop();
  return [Math.floor(r.time.getTime() / 1000), r.callid, r.queuename, r.agent, r.event, ...data].join('|');
}

/**
 * Appends the queue_log table to an Asterisk-style queue_log file, each row exactly once. The file
 * keeps a position beside it (<file>.pos: the last row id written and the file's size then),
 * replaced atomically after each fsynced append; on start a file longer than its position (a crash
 * between the append and the position) is cut back to it, so no line is ever written twice.
 * The writer's batches are serialized, so row ids grow in commit order.
 */
export class QueueLogFile {
  private busy?: Promise<void>;
  private again = false;

  constructor(private readonly pool: Pool, private readonly schema: string, readonly file: string, private readonly log: Logger) {}

  private async position(): Promise<{ id: string; size: number }> {
    try {
      const p = JSON.parse(await fs.readFile(`${this.file}.pos`, 'utf8')) as { id: string; size: number };
      return p;
    } catch {
      // a new file, or one written by something else: start after what is there
      const size = await fs.stat(this.file).then((s) => s.size, () => 0);
      return { id: '0', size };
    }
  }

  /** Writes the rows not in the file yet. Calls during a run ask for one more run after it. */
  flush(): Promise<void> {
    if (this.busy) { this.again = true; return this.busy; }
    this.busy = (async () => {
      try {
        do {
          this.again = false;
          await this.run();
        } while (this.again);
      } catch (err) {
        this.log.warn('queue_log file not written, retried with the next batch', { file: this.file, error: (err as Error).message });
      } finally {
        this.busy = undefined;
      }
    })();
    return this.busy;
  }

  private async run(): Promise<void> {
    let pos = await this.position();
    const size = await fs.stat(this.file).then((s) => s.size, () => 0);
    if (size > pos.size) await fs.truncate(this.file, pos.size);
    for (;;) {
      const r = await this.pool.query<QueueLogRow>(`SELECT * FROM ${this.schema}.queue_log WHERE id > $1 ORDER BY id LIMIT 5000`, [pos.id]);
      if (!r.rows.length) return;
      const text = r.rows.map((x) => `${queueLogLine(x)}\n`).join('');
      const fh = await fs.open(this.file, 'a');
      try {
        await fh.write(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      pos = { id: String(r.rows[r.rows.length - 1].id), size: pos.size + Buffer.byteLength(text) };
      await fs.writeFile(`${this.file}.pos.tmp`, JSON.stringify(pos));
      await fs.rename(`${this.file}.pos.tmp`, `${this.file}.pos`);
    }
  }
}
