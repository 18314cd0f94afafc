import type { Pool, PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import type { Readable } from 'node:stream';
import { querySchema } from './schemaQuery';

/**
 * Report queries: SQL over the history tables. Every figure is computed in PostgreSQL (a 13-month
 * report reads aggregates, not rows); times are bucketed in the requester's IANA time zone.
 * Durations are milliseconds.
 */

export type Interval = '15min' | 'hour' | 'day' | 'week' | 'month';

export interface Range {
  /** [from, to) as instants. */
  from: Date; to: Date;
  timeZone: string;
}

export interface Filters {
  /** The queues (agents) the report may cover: the requested ones, within the requester's reach. */
  queues?: string[]; agents?: string[];
  callerNumber?: string; outcome?: string;
}

/** The visits a queue's own figures count: callers arriving, overflowing or transferred into it. */
const QUEUE_ENTRY = "entry IN ('arrival', 'overflow', 'queue_transfer')";

/** SQL for the local start of the bucket holding column `col` ($tz is parameter `tz`). */
export function bucketSql(interval: Interval, col: string, tz: string): string {
  const local = `(${col} AT TIME ZONE ${tz})`;
  if (interval === '15min') return `(date_trunc('hour', ${local}) + floor(extract(minute FROM ${local}) / 15) * interval '15 minutes')`;
  return `date_trunc('${interval}', ${local})`;
}

/** Where-clause parts and parameters shared by the queue-call reports. */
function callFilters(range: Range, f: Filters, params: unknown[], timeCol = 'entered_at'): string {
  const where: string[] = [];
  params.push(range.from); where.push(`${timeCol} >= $${params.length}`);
  params.push(range.to); where.push(`${timeCol} < $${params.length}`);
  // a call answered (ended) in the range entered its queue at most a day before it: this bound lets
  // PostgreSQL read only the months' partitions that can hold it
  if (timeCol !== 'entered_at') where.push(`entered_at >= $${params.length - 1}::timestamptz - interval '1 day' AND entered_at < $${params.length}`);
  if (f.queues) { params.push(f.queues); where.push(`queue_id = ANY($${params.length})`); }
  if (f.agents) { params.push(f.agents); where.push(`agent_id = ANY($${params.length})`); }
  if (f.callerNumber) { params.push(f.callerNumber); where.push(`caller_number = $${params.length}`); }
  if (f.outcome) {
    if (f.outcome === 'abandoned') where.push("outcome LIKE 'abandoned%'");
    else { params.push(f.outcome); where.push(`outcome = $${params.length}`); }
  }
  return where.join(' AND ');
}

const localText = (expr: string) => `to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS')`;

export interface QueueRow {
  queueId: string; intervalStart: string;
  offered: number; answered: number; abandoned: number; abandonedWaiting: number; abandonedRinging: number;
  timedOut: number; overflowed: number; callbackRequests: number; transferred: number;
  answeredWithinSl: number; averageSpeedOfAnswerMs: number | null; averageHandleMs: number | null;
  longestWaitMs: number | null; serviceLevel: number | null;
}

export class Reports {
  constructor(private readonly pool: Pool, private readonly schema: string) {}

  private async q<T = any>(sql: string, params: unknown[]): Promise<T[]> {
    return querySchema<T>(this.pool, this.schema, sql, params);
  }

  private queueSql(range: Range, f: Filters, interval: Interval, params: unknown[]): string {
    params.push(range.timeZone);
    const tz = `$${params.length}`;
    const where = callFilters(range, f, params);
    return `SELECT queue_id AS "queueId", ${localText(bucketSql(interval, 'entered_at', tz))} AS "intervalStart",
        count(*)::int AS offered,
        count(answered_at)::int AS answered,
        count(*) FILTER (WHERE outcome LIKE 'abandoned%')::int AS abandoned,
        count(*) FILTER (WHERE outcome = 'abandoned_waiting')::int AS "abandonedWaiting",
        count(*) FILTER (WHERE outcome = 'abandoned_ringing')::int AS "abandonedRinging",
        count(*) FILTER (WHERE outcome = 'timed_out')::int AS "timedOut",
        count(*) FILTER (WHERE outcome = 'overflowed')::int AS overflowed,
        count(*) FILTER (WHERE outcome = 'callback')::int AS "callbackRequests",
        count(*) FILTER (WHERE outcome = 'transferred')::int AS transferred,
        count(*) FILTER (WHERE answered_at IS NOT NULL AND sl_met)::int AS "answeredWithinSl",
        round(avg(wait_ms) FILTER (WHERE answered_at IS NOT NULL))::float8 AS "averageSpeedOfAnswerMs",
        round(avg(talk_ms + coalesce(wrapup_ms, 0)) FILTER (WHERE talk_ms IS NOT NULL))::float8 AS "averageHandleMs",
        max(wait_ms)::float8 AS "longestWaitMs",
        CASE WHEN count(answered_at) > 0 THEN round(100.0 * count(*) FILTER (WHERE answered_at IS NOT NULL AND sl_met) / count(answered_at), 2)::float8 END AS "serviceLevel"
      FROM queue_calls WHERE ${QUEUE_ENTRY} AND ${where}
      GROUP BY 1, 2 ORDER BY 1, 2`;
  }

  /** The same figures from the 15-minute slots the writer keeps (queue_slots): what a report over months reads. */
  private slotsSql(range: Range, f: Filters, interval: Interval, params: unknown[]): string {
    params.push(range.timeZone);
    const tz = `$${params.length}`;
    params.push(range.from); const from = `$${params.length}`;
    params.push(range.to); const to = `$${params.length}`;
    let where = `slot >= ${from} AND slot < ${to}`;
    if (f.queues) { params.push(f.queues); where += ` AND queue_id = ANY($${params.length})`; }
    return `SELECT queue_id AS "queueId", ${localText(bucketSql(interval, 'slot', tz))} AS "intervalStart",
        sum(offered)::int AS offered, sum(answered)::int AS answered,
        sum(abandoned_waiting + abandoned_ringing)::int AS abandoned,
        sum(abandoned_waiting)::int AS "abandonedWaiting", sum(abandoned_ringing)::int AS "abandonedRinging",
        sum(timed_out)::int AS "timedOut", sum(overflowed)::int AS overflowed, sum(callback_requests)::int AS "callbackRequests",
        sum(transferred)::int AS transferred, sum(answered_within_sl)::int AS "answeredWithinSl",
        round(sum(answered_wait_ms)::numeric / nullif(sum(answered), 0))::float8 AS "averageSpeedOfAnswerMs",
        round(sum(handle_ms)::numeric / nullif(sum(handled), 0))::float8 AS "averageHandleMs",
        max(longest_wait_ms)::float8 AS "longestWaitMs",
        CASE WHEN sum(answered) > 0 THEN round(100.0 * sum(answered_within_sl) / sum(answered), 2)::float8 END AS "serviceLevel"
      FROM queue_slots WHERE ${where}
      GROUP BY 1, 2 HAVING sum(offered) > 0 OR sum(answered) > 0 OR sum(handled) > 0 ORDER BY 1, 2`;
  }

  /**
   * Per queue and interval; plus the busiest local hours of the day and weekdays over the range.
   * Read from the 15-minute slots unless a filter needs the calls themselves (agent, caller, outcome)
   * or the range does not fall on quarter hours; `source` forces one (tests compare both).
   */
  async queues(range: Range, f: Filters, interval: Interval, source?: 'calls' | 'slots'): Promise<{ rows: QueueRow[]; busiestHours: { hour: number; offered: number }[]; busiestWeekdays: { weekday: number; offered: number }[] }> {
    const quarter = (d: Date) => d.getTime() % 900_000 === 0;
    const useSlots = source ? source === 'slots' : !f.agents && !f.callerNumber && !f.outcome && quarter(range.from) && quarter(range.to);
    if (useSlots) {
      const params: unknown[] = [];
      const rows = await this.q<QueueRow>(this.slotsSql(range, f, interval, params), params);
      const p2: unknown[] = [range.timeZone, range.from, range.to];
      let w = 'slot >= $2 AND slot < $3';
      if (f.queues) { p2.push(f.queues); w += ` AND queue_id = ANY($${p2.length})`; }
      const hours = await this.q(`SELECT extract(hour FROM slot AT TIME ZONE $1)::int AS hour, sum(offered)::int AS offered
        FROM queue_slots WHERE ${w} GROUP BY 1 HAVING sum(offered) > 0 ORDER BY 2 DESC, 1`, p2);
      const days = await this.q(`SELECT extract(isodow FROM slot AT TIME ZONE $1)::int AS weekday, sum(offered)::int AS offered
        FROM queue_slots WHERE ${w} GROUP BY 1 HAVING sum(offered) > 0 ORDER BY 2 DESC, 1`, p2);
      return { rows, busiestHours: hours, busiestWeekdays: days };
    }
    const params: unknown[] = [];
    const rows = await this.q<QueueRow>(this.queueSql(range, f, interval, params), params);
    const p2: unknown[] = [range.timeZone];
    const where = callFilters(range, f, p2);
    const hours = await this.q(`SELECT extract(hour FROM entered_at AT TIME ZONE $1)::int AS hour, count(*)::int AS offered
      FROM queue_calls WHERE ${QUEUE_ENTRY} AND ${where} GROUP BY 1 ORDER BY 2 DESC, 1`, p2);
    const days = await this.q(`SELECT extract(isodow FROM entered_at AT TIME ZONE $1)::int AS weekday, count(*)::int AS offered
      FROM queue_calls WHERE ${QUEUE_ENTRY} AND ${where} GROUP BY 1 ORDER BY 2 DESC, 1`, p2);
    return { rows, busiestHours: hours, busiestWeekdays: days };
  }

  /** Per agent (and queue): calls taken, talk / hold / wrap-up, login and pause time, occupancy. */
  async agents(range: Range, f: Filters): Promise<any[]> {
    const p: unknown[] = [];
    const where = callFilters(range, { queues: f.queues, agents: f.agents }, p, 'answered_at');
    const calls = await this.q(`SELECT agent_id AS "agentId", queue_id AS "queueId", count(*)::int AS "callsTaken",
        coalesce(sum(talk_ms), 0)::float8 AS "talkMs", coalesce(sum(hold_ms), 0)::float8 AS "holdMs", coalesce(sum(wrapup_ms), 0)::float8 AS "wrapUpMs"
      FROM queue_calls WHERE agent_id IS NOT NULL AND ${where} GROUP BY 1, 2 ORDER BY 1, 2`, p);
    // state spans clipped to the range; an open span runs until now
    const ps: unknown[] = [range.from, range.to];
    let agentWhere = '';
    if (f.agents) { ps.push(f.agents); agentWhere = `AND agent_id = ANY($${ps.length})`; }
    const spans = await this.q(`SELECT agent_id AS "agentId", state, coalesce(reason, '') AS reason,
        sum(extract(epoch FROM least(coalesce(ended_at, now()), $2) - greatest(started_at, $1)) * 1000)::float8 AS ms
      FROM agent_state_spans WHERE started_at < $2 AND coalesce(ended_at, now()) > $1 ${agentWhere}
      GROUP BY 1, 2, 3`, ps);
    const pc: unknown[] = [range.from, range.to];
    let cbWhere = '';
    if (f.agents) { pc.push(f.agents); cbWhere += ` AND agent_id = ANY($${pc.length})`; }
    if (f.queues) { pc.push(f.queues); cbWhere += ` AND queue_id = ANY($${pc.length})`; }
    const attempts = await this.q(`SELECT agent_id AS "agentId", count(*)::int AS n FROM callback_attempts
      WHERE at >= $1 AND at < $2 AND agent_id IS NOT NULL ${cbWhere} GROUP BY 1`, pc);
    const pp: unknown[] = [range.from, range.to];
    let ppWhere = '';
    if (f.agents) { pp.push(f.agents); ppWhere = ` AND agent_id = ANY($${pp.length})`; }
    const phone = await this.q(`SELECT agent_id AS "agentId", count(*) FILTER (WHERE direction = 'in' AND answered_at IS NOT NULL)::int AS taken,
        count(*) FILTER (WHERE direction = 'out')::int AS made FROM phone_calls WHERE started_at >= $1 AND started_at < $2 ${ppWhere} GROUP BY 1`, pp);
    const byAgent = new Map<string, any>();
    const get = (id: string) => {
      let a = byAgent.get(id);
      if (!a) {
        a = { agentId: id, callsTaken: 0, callbackAttempts: 0, nonQueueCallsTaken: 0, nonQueueCallsMade: 0, byQueue: [] as any[], talkMs: 0, holdMs: 0, wrapUpMs: 0, loginMs: 0, pauseMs: 0, pauseByReason: {} as Record<string, number>,
          occupancy: null as number | null, callsPerHour: null as number | null, averageHandleMs: null as number | null };
        byAgent.set(id, a);
      }
      return a;
    };
    for (const c of calls) {
      const a = get(c.agentId);
      a.byQueue.push({ queueId: c.queueId, callsTaken: c.callsTaken, talkMs: c.talkMs, holdMs: c.holdMs, wrapUpMs: c.wrapUpMs });
      a.callsTaken += c.callsTaken; a.talkMs += c.talkMs; a.holdMs += c.holdMs; a.wrapUpMs += c.wrapUpMs;
    }
    for (const c of attempts) get(c.agentId).callbackAttempts = c.n;
    for (const c of phone) { const a = get(c.agentId); a.nonQueueCallsTaken = c.taken; a.nonQueueCallsMade = c.made; }
    for (const s of spans) {
      const a = get(s.agentId);
      const ms = Math.round(s.ms);
      a.loginMs += ms;
      if (s.state === 'paused') { a.pauseMs += ms; a.pauseByReason[s.reason] = (a.pauseByReason[s.reason] ?? 0) + ms; }
    }
    for (const a of byAgent.values()) {
      const available = a.loginMs - a.pauseMs;
      a.occupancy = available > 0 ? Math.round((10000 * (a.talkMs + a.wrapUpMs)) / available) / 100 : null;
      a.callsPerHour = a.loginMs > 0 ? Math.round((100 * a.callsTaken * 3_600_000) / a.loginMs) / 100 : null;
      a.averageHandleMs = a.callsTaken ? Math.round((a.talkMs + a.wrapUpMs) / a.callsTaken) : null;
    }
    return [...byAgent.values()].sort((x, y) => x.agentId.localeCompare(y.agentId));
  }

  /** Calls by disposition and by tag, per queue and agent. */
  async dispositions(range: Range, f: Filters): Promise<{ dispositions: any[]; tags: any[] }> {
    const p: unknown[] = [];
    const where = callFilters(range, f, p, 'answered_at');
    const dispositions = await this.q(`SELECT queue_id AS "queueId", agent_id AS "agentId", coalesce(disposition, '') AS disposition, count(*)::int AS calls
      FROM queue_calls WHERE answered_at IS NOT NULL AND ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, p);
    const tags = await this.q(`SELECT queue_id AS "queueId", agent_id AS "agentId", tag, count(*)::int AS calls
      FROM queue_calls, unnest(tags) AS tag WHERE answered_at IS NOT NULL AND ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, p);
    return { dispositions, tags };
  }

  private callListSql(range: Range, f: Filters, params: unknown[], after?: CallCursor, limit?: number, withRecordings = false): string {
    let where = callFilters(range, f, params);
    if (after) {
      params.push(new Date(after.t), after.id, after.seq);
      where += ` AND (entered_at, call_id, seq) > ($${params.length - 2}, $${params.length - 1}, $${params.length})`;
    }
    return `SELECT call_id AS "callId", seq, entered_at AS "enteredAt", queue_id AS "queueId", entry, caller_number AS "callerNumber", caller_name AS "callerName",
        offers, offered_to AS "offeredTo", first_offered_at AS "firstOfferedAt", answered_at AS "answeredAt", agent_id AS "agentId", ended_at AS "endedAt",
        wait_ms::float8 AS "waitMs", ring_ms::float8 AS "ringMs", talk_ms::float8 AS "talkMs", hold_ms::float8 AS "holdMs", wrapup_ms::float8 AS "wrapUpMs",
        outcome, outcome_target AS "outcomeTarget", callback_id AS "callbackId", disposition, tags, notes,
        ${withRecordings ? 'recording_ids' : "'{}'::text[]"} AS "recordingIds", sl_met AS "serviceLevelMet"
      FROM queue_calls WHERE ${where} ORDER BY entered_at, call_id, seq ${limit ? `LIMIT ${Math.floor(limit)}` : ''}`;
  }

  async calls(range: Range, f: Filters, limit: number, after: CallCursor | undefined, withRecordings: boolean): Promise<{ calls: any[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const rows = await this.q(this.callListSql(range, f, params, after, limit + 1, withRecordings), params);
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { calls: page, nextCursor: more && last ? encodeCursor({ t: new Date(last.enteredAt).getTime(), id: last.callId, seq: last.seq }) : null };
  }

  /** The whole call list as a stream of rows (a year of calls never sits in memory): a cursor, 1000 rows at a time. */
  async streamCalls(range: Range, f: Filters, withRecordings: boolean): Promise<{ stream: Readable; done: () => void }> {
    const params: unknown[] = [];
    const sql = this.callListSql(range, f, params, undefined, undefined, withRecordings);
    const client: PoolClient = await this.pool.connect();
    await client.query(`SET search_path TO ${this.schema}`);
    const stream = client.query(new QueryStream(sql, params, { batchSize: 1000 }));
    let released = false;
    const done = () => { if (!released) { released = true; client.release(); } };
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
    return { stream, done };
  }

  async call(callId: string, withRecordings: boolean): Promise<{ visits: any[]; steps: any[]; callbacks: any[] } | undefined> {
    const p: unknown[] = [];
    const all = await this.q(this.callListSql({ from: new Date(0), to: new Date('9999-01-01'), timeZone: 'UTC' }, {}, p, undefined, undefined, withRecordings)
      .replace('WHERE ', `WHERE call_id = $${p.length + 1} AND `), [...p, callId]);
    if (!all.length) return undefined;
    const steps = await this.q(`SELECT stream_id AS "streamId", at, type, queue_id AS "queueId", agent_id AS "agentId", data FROM call_events WHERE call_id = $1 ORDER BY at, stream_id`, [callId]);
    if (!withRecordings) for (const s of steps) if (s.data) delete s.data.recordingId;
    const ids = all.map((v) => v.callbackId).filter(Boolean);
    const callbacks = ids.length ? await this.q(`SELECT callback_id AS "callbackId", queue_id AS "queueId", number, created_at AS "createdAt", state, closed_at AS "closedAt",
        coalesce((SELECT json_agg(json_build_object('n', n, 'at', at, 'agentId', agent_id, 'outcome', outcome) ORDER BY n)
          FROM callback_attempts t WHERE t.callback_id = c.callback_id), '[]') AS attempts
      FROM callbacks c WHERE callback_id = ANY($1) ORDER BY created_at`, [ids]) : [];
    return { visits: all, steps, callbacks };
  }

  /**
   * Callers who abandoned or timed out in the range and were not answered later (by a later call of
   * theirs, or an answered callback): the number, how often they tried, the last time.
   */
  async missed(range: Range, f: Filters): Promise<any[]> {
    const p: unknown[] = [];
    const where = callFilters(range, { queues: f.queues, callerNumber: f.callerNumber }, p);
    return this.q(`WITH missed AS (
        SELECT caller_number, queue_id, entered_at, call_id FROM queue_calls
         WHERE ${QUEUE_ENTRY} AND (outcome LIKE 'abandoned%' OR outcome = 'timed_out') AND caller_number <> '' AND ${where}
           AND NOT EXISTS (SELECT 1 FROM queue_calls a WHERE a.call_id = queue_calls.call_id AND a.answered_at IS NOT NULL))
      SELECT m.caller_number AS "callerNumber", (array_agg(m.queue_id ORDER BY m.entered_at DESC))[1] AS "queueId",
             count(DISTINCT m.call_id)::int AS attempts, max(m.entered_at) AS "lastAttemptAt", (array_agg(m.call_id ORDER BY m.entered_at DESC))[1] AS "lastCallId"
        FROM missed m
       WHERE NOT EXISTS (SELECT 1 FROM queue_calls a WHERE a.caller_number = m.caller_number AND a.answered_at IS NOT NULL AND a.entered_at > m.entered_at)
         AND NOT EXISTS (SELECT 1 FROM callbacks c JOIN callback_attempts t ON t.callback_id = c.callback_id
                          WHERE c.number = m.caller_number AND t.outcome = 'answered' AND t.at > m.entered_at)
       GROUP BY 1 ORDER BY 4`, p);
  }

  /** An agent's figures per local day over [fromDay, toDay] (inclusive), keyed by day. */
  async agentDays(agentId: string, fromDay: string, toDay: string, timeZone: string): Promise<Map<string, { queueCallsTaken: number; talkMs: number; nonQueueCallsTaken: number; nonQueueCallsMade: number }>> {
    const rows = await this.q(`SELECT to_char(answered_at AT TIME ZONE $2, 'YYYY-MM-DD') AS day, count(*)::int AS taken, coalesce(sum(talk_ms), 0)::float8 AS talk
      FROM queue_calls WHERE agent_id = $1 AND answered_at IS NOT NULL
       AND answered_at >= ($3::date::timestamp AT TIME ZONE $2) AND answered_at < (($4::date + 1)::timestamp AT TIME ZONE $2)
       AND entered_at >= ($3::date::timestamp AT TIME ZONE $2) - interval '1 day' AND entered_at < (($4::date + 1)::timestamp AT TIME ZONE $2)
      GROUP BY 1`, [agentId, timeZone, fromDay, toDay]);
    const phone = await this.q(`SELECT to_char(started_at AT TIME ZONE $2, 'YYYY-MM-DD') AS day,
        count(*) FILTER (WHERE direction = 'in' AND answered_at IS NOT NULL)::int AS taken, count(*) FILTER (WHERE direction = 'out')::int AS made
      FROM phone_calls WHERE agent_id = $1
       AND started_at >= ($3::date::timestamp AT TIME ZONE $2) AND started_at < (($4::date + 1)::timestamp AT TIME ZONE $2)
      GROUP BY 1`, [agentId, timeZone, fromDay, toDay]);
    const out = new Map<string, { queueCallsTaken: number; talkMs: number; nonQueueCallsTaken: number; nonQueueCallsMade: number }>();
    const get = (day: string) => {
      let v = out.get(day);
      if (!v) { v = { queueCallsTaken: 0, talkMs: 0, nonQueueCallsTaken: 0, nonQueueCallsMade: 0 }; out.set(day, v); }
      return v;
    };
    for (const r of rows) { const v = get(r.day); v.queueCallsTaken = r.taken; v.talkMs = r.talk; }
    for (const r of phone) { const v = get(r.day); v.nonQueueCallsTaken = r.taken; v.nonQueueCallsMade = r.made; }
    return out;
  }
}

export interface CallCursor { t: number; id: string; seq: number }
export const encodeCursor = (c: CallCursor) => Buffer.from(JSON.stringify([c.t, c.id, c.seq])).toString('base64url');
export function decodeCursor(s: string): CallCursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' && Number.isInteger(v[2])) return { t: v[0], id: v[1], seq: v[2] };
  } catch { /* not a cursor */ }
  return undefined;
}
