import type { PoolClient } from 'pg';
import type { AcdEvent } from '../events/bus';
import { isCallback } from '../callbacks/ids';

/** What the fold needs to know beyond the event: a queue's service-level threshold and callback key as configured. */
export interface FoldContext {
  serviceLevelMs(queueId: string): number;
  callbackKey?(queueId: string): string;
  /** Also write Asterisk's queue_log (the queue_log table, which the file is written from). */
  queueLog?: boolean;
}

/** How queue_log names an agent. */
export const queueLogAgent = (agentId: string) => `Agent/${agentId}`;
const secs = (ms: number | null | undefined) => String(Math.round((ms ?? 0) / 1000));

interface Segment {
  call_id: string; seq: number; entered_at: Date; queue_id: string; entry: string; caller_number: string; caller_name: string;
  answered_at: Date | null; ringing_since: Date | null; held_since: Date | null; outcome: string | null; agent_id: string | null;
  entry_position: number | null; first_offered_at: Date | null; wait_ms: string | null; sl_threshold_ms: number;
}

/** A queue figure kept per 15-minute slot (queue_slots) and what it adds. */
type SlotFigures = Partial<Record<'offered' | 'answered' | 'abandoned_waiting' | 'abandoned_ringing' | 'timed_out' | 'overflowed' | 'callback_requests'
  | 'transferred' | 'answered_within_sl' | 'answered_wait_ms' | 'handled' | 'handle_ms', number>>;
export const slotOf = (t: Date) => new Date(Math.floor(t.getTime() / 900_000) * 900_000);

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Folds one stream event into the history tables, inside the writer's transaction. Events come in
 * stream order (the writer's cursor guarantees it), so each step finds the state the previous
 * steps left: the call's open queue visit, the agent's last state.
 */
export class HistoryFold {
  constructor(private readonly db: PoolClient, private readonly ctx: FoldContext) {}

  /** One queue_log line (epoch|callid|queue|agent|EVENT|data1..data5), as app_queue writes it. */
  private async qlog(at: Date, callId: string, queue: string, agent: string, event: string, ...data: string[]): Promise<void> {
    if (!this.ctx.queueLog) return;
    const d = [...data, '', '', '', '', ''].slice(0, 5);
    await this.db.query('INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3, data4, data5) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)',
      [at, callId, queue, agent, event, ...d]);
  }

  /** Adds to the queue's figures of the visit's 15-minute slot (only for the visits a queue's figures count). */
  private async slot(v: { queue_id: string; entry: string; entered_at: Date }, add: SlotFigures, waitMs?: number | null): Promise<void> {
    if (!HistoryFold.logged(v as Segment)) return;
    const cols = Object.keys(add);
    const vals = Object.values(add);
    await this.db.query(`INSERT INTO queue_slots (queue_id, slot, longest_wait_ms${cols.map((c) => `, ${c}`).join('')})
      VALUES ($1, $2, $3${cols.map((_, i) => `, $${i + 4}`).join('')})
      ON CONFLICT (queue_id, slot) DO UPDATE SET longest_wait_ms = greatest(queue_slots.longest_wait_ms, EXCLUDED.longest_wait_ms)
        ${cols.map((c) => `, ${c} = queue_slots.${c} + EXCLUDED.${c}`).join('')}`,
    [v.queue_id, slotOf(v.entered_at), waitMs ?? null, ...vals]);
  }

  /** Visits that queue_log shows as a queue call (a transfer to an agent or a return from parking is not a new one). */
  private static logged(v: Segment): boolean { return v.entry !== 'agent_transfer' && v.entry !== 'unpark'; }

  async apply(e: AcdEvent): Promise<void> {
    const at = new Date(e.at);
    const d = e as Record<string, unknown>;
    const callId = str(d.callId);
    if (callId && e.type.startsWith('call.') && !isCallback(callId)) {
      await this.db.query('INSERT INTO call_events (stream_id, at, call_id, type, queue_id, agent_id, data) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING',
        [e.id, at, callId, e.type, str(d.queueId), str(d.agentId) ?? str(d.fromAgentId), JSON.stringify(stripped(e))]);
      await this.callEvent(e.type, callId, at, d);
      return;
    }
    if (e.type === 'recording.started' && callId) {
      await this.db.query(`UPDATE queue_calls SET recording_ids = array_append(recording_ids, $2)
        WHERE (call_id, seq) = (SELECT call_id, max(seq) FROM queue_calls WHERE call_id = $1 GROUP BY call_id)`, [callId, str(d.recordingId)]);
      return;
    }
    if (e.type === 'phone.call') {
      await this.db.query(`INSERT INTO phone_calls (agent_id, channel_id, started_at, direction, peer, answered_at, ended_at, talk_ms)
        VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
      [String(d.agentId), String(d.channelId), new Date(num(d.startedAt) ?? e.at), String(d.direction), String(d.peer ?? ''),
        num(d.answeredAt) ? new Date(num(d.answeredAt) as number) : null, at, num(d.talkMs) ?? 0]);
      return;
    }
    if (e.type === 'campaign.call' && d.state === 'ended') return this.campaignCall(at, d);
    if (e.type === 'campaign.entry' && typeof d.disposition === 'string') {
      await this.db.query('UPDATE campaign_attempts SET disposition = $3, notes = $4 WHERE entry_id = $1 AND attempt = $2',
        [String(d.entryId), num(d.attempt) ?? 0, d.disposition || null, str(d.notes)]);
      return;
    }
    if (e.type === 'agent.state') return this.agentState(String(d.agentId), at, String(d.state), str(d.reason), Array.isArray(d.queues) ? d.queues as string[] : []);
    if (e.type.startsWith('callback.') || (callId && isCallback(callId))) return this.callbackEvent(e.type, at, d);
  }

  private async latest(callId: string): Promise<Segment | undefined> {
    const r = await this.db.query<Segment>('SELECT * FROM queue_calls WHERE call_id = $1 ORDER BY seq DESC LIMIT 1', [callId]);
    return r.rows[0];
  }

  private async update(s: Segment, set: string, values: unknown[]): Promise<void> {
    // $1..$3 name the row; the caller's values follow
    await this.db.query(`UPDATE queue_calls SET ${set} WHERE call_id = $1 AND seq = $2 AND entered_at = $3`, [s.call_id, s.seq, s.entered_at, ...values]);
  }

  private async open(callId: string, queueId: string, at: Date, entry: string, number: string, name: string, prev?: Segment): Promise<Segment> {
    const seq = (prev?.seq ?? 0) + 1;
    const r = await this.db.query<Segment>(`INSERT INTO queue_calls (call_id, seq, entered_at, queue_id, entry, caller_number, caller_name, sl_threshold_ms)
      VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *`,
      [callId, seq, at, queueId, entry, number || prev?.caller_number || '', name || prev?.caller_name || '', this.ctx.serviceLevelMs(queueId)]);
    await this.slot(r.rows[0], { offered: 1 });
    return r.rows[0];
  }

  private async callEvent(type: string, callId: string, at: Date, d: Record<string, unknown>): Promise<void> {
    const s = await this.latest(callId);
    const live = s && !s.outcome ? s : undefined;
    const ringMs = (x: Segment) => (x.ringing_since ? at.getTime() - x.ringing_since.getTime() : 0);
    switch (type) {
      case 'call.queued': {
        const entry = d.transferred ? 'queue_transfer' : d.fromPark ? 'unpark' : s ? 'overflow' : 'arrival';
        if (live && live.queue_id === d.queueId) return;   // a replay of the same arrival cannot open a second visit
        const v = await this.open(callId, String(d.queueId), at, entry, String(d.callerNumber ?? ''), String(d.callerName ?? ''), s);
        const pos = num(d.position);
        if (pos !== null) await this.update(v, 'entry_position = $4', [pos]);
        if (HistoryFold.logged(v)) await this.qlog(at, callId, v.queue_id, 'NONE', 'ENTERQUEUE', '', v.caller_number, String(pos ?? ''));
        return;
      }
      case 'call.overflowed': {
        const outcome = d.reason === 'timeout' ? 'timed_out' : 'overflowed';
        const target = d.kind ? `${String(d.kind)}:${String(d.target ?? '')}` : null;
        if (!live || live.queue_id !== d.queueId) {
          // refused at the door (full, or empty): a visit of no time
          const v = await this.open(callId, String(d.queueId), at, s ? 'overflow' : 'arrival', String(d.callerNumber ?? ''), '', s);
          await this.update(v, 'outcome = $4, outcome_target = $5, ended_at = $6, wait_ms = 0', [outcome, target, at]);
          await this.slot(v, outcome === 'timed_out' ? { timed_out: 1 } : { overflowed: 1 }, 0);
          await this.qlog(at, callId, v.queue_id, 'NONE', d.reason === 'full' ? 'FULL' : 'JOINEMPTY', '', v.caller_number);
          return;
        }
        await this.update(live, 'outcome = $4, outcome_target = $5, ended_at = $6, wait_ms = $7', [outcome, target, at, num(d.waitMs)]);
        await this.slot(live, outcome === 'timed_out' ? { timed_out: 1 } : { overflowed: 1 }, num(d.waitMs));
        if (HistoryFold.logged(live)) {
          const pos = String(live.entry_position ?? '');
          await this.qlog(at, callId, live.queue_id, 'NONE', d.reason === 'timeout' ? 'EXITWITHTIMEOUT' : 'EXITEMPTY', pos, pos, secs(num(d.waitMs)));
        }
        return;
      }
      case 'call.offered': {
        let v = live;
        if (!v) v = await this.open(callId, String(d.queueId), at, d.transfer ? 'agent_transfer' : 'unpark', String(d.callerNumber ?? ''), '', s);
        await this.update(v, 'offers = offers + 1, offered_to = array_append(offered_to, $4), first_offered_at = coalesce(first_offered_at, $5), ringing_since = $5',
          [str(d.agentId), at]);
        return;
      }
      case 'call.offer_failed':
        if (!live) return;
        await this.update(live, 'ring_ms = ring_ms + $4, ringing_since = NULL', [ringMs(live)]);
        if (HistoryFold.logged(live)) {
          for (const a of Array.isArray(d.agents) ? d.agents as string[] : [String(d.agentId)]) {
            await this.qlog(at, callId, live.queue_id, queueLogAgent(a), 'RINGNOANSWER', String(ringMs(live)));
          }
        }
        return;
      case 'call.answered': {
        if (!live) return;
        const wait = num(d.waitMs) ?? 0;
        await this.update(live, 'answered_at = $4, agent_id = $5, wait_ms = $6::bigint, ring_ms = ring_ms + $7, ringing_since = NULL, sl_met = $6::bigint <= sl_threshold_ms',
          [at, str(d.agentId), wait, ringMs(live)]);
        await this.slot(live, { answered: 1, answered_wait_ms: wait, answered_within_sl: wait <= live.sl_threshold_ms ? 1 : 0 }, wait);
        if (HistoryFold.logged(live)) await this.qlog(at, callId, live.queue_id, queueLogAgent(String(d.agentId)), 'CONNECT', secs(wait), callId, secs(ringMs(live)));
        return;
      }
      case 'call.abandoned': {
        if (!live) return;
        if (live.answered_at) {
          // a parked or held caller hanging up after being answered was answered
          await this.update(live, "outcome = 'answered', ended_at = $4, ended_by = 'caller'", [at]);
          return;
        }
        const outcome = live.ringing_since ? 'abandoned_ringing' : 'abandoned_waiting';
        // lost: the caller's controller died with its Asterisk (src/cluster), nobody hung up
        await this.update(live, 'outcome = $4, ended_at = $5, wait_ms = $6, ring_ms = ring_ms + $7, ringing_since = NULL, ended_by = $8, sl_met = false',
          [outcome, at, num(d.waitMs), ringMs(live), d.lost === true ? 'system' : 'caller']);
        await this.slot(live, outcome === 'abandoned_ringing' ? { abandoned_ringing: 1 } : { abandoned_waiting: 1 }, num(d.waitMs));
        if (HistoryFold.logged(live)) {
          const pos = String(live.entry_position ?? '');
          await this.qlog(at, callId, live.queue_id, 'NONE', 'ABANDON', pos, pos, secs(num(d.waitMs)));
        }
        return;
      }
      case 'call.callback_requested':
        if (live) {
          await this.update(live, "outcome = 'callback', callback_id = $4, ended_at = $5, wait_ms = $6, sl_met = false", [str(d.callbackId), at, num(d.waitMs)]);
          await this.slot(live, { callback_requests: 1 }, num(d.waitMs));
          const pos = String(live.entry_position ?? '');
          if (HistoryFold.logged(live)) {
            await this.qlog(at, callId, live.queue_id, 'NONE', 'EXITWITHKEY', this.ctx.callbackKey?.(live.queue_id) ?? '1', pos, pos, secs(num(d.waitMs)));
          }
        }
        await this.db.query(`INSERT INTO callbacks (callback_id, queue_id, from_call_id, created_at, state) VALUES ($1,$2,$3,$4,'requested')
          ON CONFLICT (callback_id) DO UPDATE SET from_call_id = EXCLUDED.from_call_id`, [str(d.callbackId), String(d.queueId), callId, at]);
        return;
      case 'call.held':
        if (live) await this.update(live, 'held_since = coalesce(held_since, $4)', [at]);
        return;
      case 'call.unheld':
        if (live?.held_since) await this.update(live, 'hold_ms = hold_ms + $4, held_since = NULL', [at.getTime() - live.held_since.getTime()]);
        return;
      case 'call.ended':
      case 'call.transferred':
      case 'call.parked': {
        if (!live || !live.answered_at) return;
        const talk = type === 'call.ended' ? (num(d.talkMs) ?? 0) : at.getTime() - live.answered_at.getTime();
        const hold = live.held_since ? at.getTime() - live.held_since.getTime() : 0;
        const outcome = type === 'call.ended' ? 'answered' : type === 'call.transferred' ? 'transferred' : 'parked';
        const target = type === 'call.transferred' ? `${String(d.kind)}:${String(d.target ?? '')}` : type === 'call.parked' ? `park:${String(d.slot ?? '')}` : null;
        await this.update(live, `outcome = $4, outcome_target = $5, ended_at = $6, talk_ms = $7, hold_ms = hold_ms + $8, held_since = NULL,
          ended_by = $9, wrapup_ms = 0`, [outcome, target, at, talk, hold, type === 'call.ended' ? str(d.endedBy) : 'transfer']);
        await this.slot(live, { handled: 1, handle_ms: talk, ...(type === 'call.transferred' ? { transferred: 1 } : {}) });
        if (HistoryFold.logged(live) && live.agent_id) {
          const ag = queueLogAgent(live.agent_id);
          const wait = secs(Number(live.wait_ms ?? 0));
          const pos = String(live.entry_position ?? '');
          if (type === 'call.ended') await this.qlog(at, callId, live.queue_id, ag, d.endedBy === 'caller' ? 'COMPLETECALLER' : 'COMPLETEAGENT', wait, secs(talk), pos);
          else if (type === 'call.transferred' && d.kind === 'attended') await this.qlog(at, callId, live.queue_id, ag, 'ATTENDEDTRANSFER', 'BRIDGE', String(d.target ?? ''), wait, secs(talk), pos);
          else if (type === 'call.transferred') await this.qlog(at, callId, live.queue_id, ag, 'BLINDTRANSFER', String(d.target ?? ''), String(d.kind ?? ''), wait, secs(talk), pos);
          else await this.qlog(at, callId, live.queue_id, ag, 'COMPLETEAGENT', wait, secs(talk), pos);
        }
        // the agent's wrap-up (if any) that follows belongs to this visit
        const agent = live.agent_id;
        if (agent) await this.db.query('UPDATE agent_status SET wrap_call_id = $2, wrap_seq = $3, wrap_entered_at = $4 WHERE agent_id = $1',
          [agent, live.call_id, live.seq, live.entered_at]);
        return;
      }
      case 'call.disposition': {
        const tags = Array.isArray(d.tags) ? (d.tags as unknown[]).map(String) : [];
        await this.db.query(`UPDATE queue_calls SET disposition = $2, tags = $3 WHERE (call_id, seq) =
          (SELECT call_id, max(seq) FROM queue_calls WHERE call_id = $1 AND answered_at IS NOT NULL GROUP BY call_id)`, [callId, str(d.disposition), tags]);
        return;
      }
      default:
    }
  }

  private async agentState(agentId: string, at: Date, state: string, reason: string | null, queues: string[]): Promise<void> {
    const r = await this.db.query('SELECT * FROM agent_status WHERE agent_id = $1', [agentId]);
    const prev = r.rows[0] as { state: string; reason: string | null; since: Date; queues: string[]; login_at: Date | null; wrap_call_id: string | null; wrap_seq: number | null; wrap_entered_at: Date | null } | undefined;
    const changed = !prev || prev.state !== state || (prev.reason ?? null) !== reason;
    if (changed) {
      if (prev) {
        await this.db.query('UPDATE agent_state_spans SET ended_at = $3 WHERE agent_id = $1 AND started_at = $2 AND ended_at IS NULL', [agentId, prev.since, at]);
        if (prev.state === 'wrap_up' && prev.wrap_call_id) {
          const wrap = at.getTime() - prev.since.getTime();
          const v = await this.db.query('UPDATE queue_calls SET wrapup_ms = coalesce(wrapup_ms, 0) + $4 WHERE call_id = $1 AND seq = $2 AND entered_at = $3 RETURNING queue_id, entry, entered_at',
            [prev.wrap_call_id, prev.wrap_seq, prev.wrap_entered_at, wrap]);
          if (v.rows[0]) await this.slot(v.rows[0], { handle_ms: wrap });
        }
      }
      if (state !== 'logged_out') {
        await this.db.query('INSERT INTO agent_state_spans (agent_id, started_at, state, reason) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING', [agentId, at, state, reason]);
      }
    }
    const before = new Set(prev?.queues ?? []);
    const now = new Set(queues);
    const ag = queueLogAgent(agentId);
    const wasOut = !prev || prev.state === 'logged_out';
    if (wasOut && state !== 'logged_out') await this.qlog(at, 'NONE', 'NONE', ag, 'AGENTLOGIN', `PJSIP/${agentId}`);
    for (const q of now) if (!before.has(q)) {
      await this.db.query('INSERT INTO agent_sessions (agent_id, queue_id, login_at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING', [agentId, q, at]);
      await this.qlog(at, 'NONE', q, ag, 'ADDMEMBER', '');
    }
    for (const q of before) if (!now.has(q)) {
      await this.db.query('UPDATE agent_sessions SET logout_at = $3 WHERE agent_id = $1 AND queue_id = $2 AND logout_at IS NULL', [agentId, q, at]);
      await this.qlog(at, 'NONE', q, ag, 'REMOVEMEMBER', '');
    }
    if (changed && prev?.state === 'paused') {
      for (const q of prev.queues.length ? prev.queues : ['NONE']) await this.qlog(at, 'NONE', q, ag, 'UNPAUSE', prev.reason ?? '');
    }
    if (changed && state === 'paused') {
      for (const q of queues.length ? queues : ['NONE']) await this.qlog(at, 'NONE', q, ag, 'PAUSE', reason ?? '');
    }
    if (prev && prev.state !== 'logged_out' && state === 'logged_out') {
      await this.qlog(at, 'NONE', 'NONE', ag, 'AGENTLOGOFF', `PJSIP/${agentId}`, secs(prev.login_at ? at.getTime() - prev.login_at.getTime() : 0));
    }
    // a wrap-up ends with the state after it: whatever comes next, the handled call is complete
    const keepWrap = state === 'wrap_up' || (prev?.state !== 'wrap_up' && !changed);
    await this.db.query(`INSERT INTO agent_status (agent_id, state, reason, since, queues, login_at) VALUES ($1,$2::text,$3,$4::timestamptz,$5, CASE WHEN $2::text = 'logged_out' THEN NULL ELSE $4::timestamptz END)
      ON CONFLICT (agent_id) DO UPDATE SET state = $2, reason = $3, since = CASE WHEN $6 THEN $4 ELSE agent_status.since END, queues = $5,
        login_at = CASE WHEN $2::text = 'logged_out' THEN NULL WHEN agent_status.state = 'logged_out' THEN $4::timestamptz ELSE agent_status.login_at END,
        wrap_call_id = CASE WHEN $7 THEN agent_status.wrap_call_id END,
        wrap_seq = CASE WHEN $7 THEN agent_status.wrap_seq END,
        wrap_entered_at = CASE WHEN $7 THEN agent_status.wrap_entered_at END`,
    [agentId, state, reason, at, queues, changed, keepWrap]);
  }

  /** A campaign call is over: one attempt row (the customer dialed or not, the agent's part). */
  private async campaignCall(at: Date, d: Record<string, unknown>): Promise<void> {
    const t = (v: unknown) => (num(v) ? new Date(num(v) as number) : null);
    await this.db.query(`INSERT INTO campaign_attempts (entry_id, attempt, campaign_id, agent_id, number, name, dialed_at, agent_answered,
        connected_at, ended_at, outcome, status, talk_ms, handle_ms)
      VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT DO NOTHING`,
    [String(d.entryId), num(d.attempt) ?? 0, String(d.campaignId), str(d.agentId), String(d.number ?? ''), String(d.name ?? ''),
      t(d.dialedAt) ?? at, d.agentAnswered === true, t(d.connectedAt), at, String(d.outcome), str(d.status), num(d.talkMs) ?? 0, num(d.handleMs) ?? 0]);
  }

  private async callbackEvent(type: string, at: Date, d: Record<string, unknown>): Promise<void> {
    const id = str(d.callbackId) ?? str(d.callId);
    if (!id) return;
    switch (type) {
      case 'callback.queued':
      case 'callback.scheduled':
        await this.db.query(`INSERT INTO callbacks (callback_id, queue_id, number, created_at, due_at, state) VALUES ($1,$2,$3,$4,$5,$6)
          ON CONFLICT (callback_id) DO UPDATE SET number = EXCLUDED.number, state = EXCLUDED.state, due_at = coalesce(EXCLUDED.due_at, callbacks.due_at)`,
        [id, String(d.queueId), String(d.number ?? ''), at, num(d.dueAt) ? new Date(num(d.dueAt) as number) : null, type === 'callback.queued' ? 'waiting' : 'scheduled']);
        return;
      case 'callback.attempted':
        await this.db.query('INSERT INTO callback_attempts (callback_id, n, at, queue_id, agent_id, outcome) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING',
          [id, num(d.attempt) ?? 0, at, String(d.queueId), str(d.agentId), String(d.outcome)]);
        await this.db.query('UPDATE callbacks SET attempts = $2, last_outcome = $3, state = $4 WHERE callback_id = $1', [id, num(d.attempt) ?? 0, String(d.outcome), String(d.state)]);
        return;
      case 'callback.completed':
      case 'callback.cancelled':
        await this.db.query('UPDATE callbacks SET state = $2, closed_at = $3 WHERE callback_id = $1', [id, type === 'callback.completed' ? 'completed' : 'cancelled', at]);
        return;
      default:
    }
  }
}

function stripped(e: AcdEvent): Record<string, unknown> {
  const { id: _id, type: _t, at: _a, ...rest } = e;
  return rest;
}
