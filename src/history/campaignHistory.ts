import type { Pool } from 'pg';
import type { Range } from './reports';
import { querySchema } from './schemaQuery';

export interface MissedCallRow { callId: string; queueId: string; number: string; name: string; at: Date; waitedSec: number; outcome: 'abandoned' | 'timeout' }
export interface CampaignReportRow { campaignId: string; dialed: number; handled: number; notCompleted: number; talkSec: number; handleSec: number }

/**
 * The history's campaign side: missed calls (the people a campaign calls back), campaign calls per
 * campaign, and whether a number was answered since (skipIfAnsweredInbound).
 */
export class CampaignHistory {
  constructor(private readonly pool: Pool, private readonly schema: string) {}

  private async q<T>(sql: string, params: unknown[]): Promise<T[]> {
    return querySchema<T>(this.pool, this.schema, sql, params);
  }

  /**
   * Calls that abandoned or timed out in the range and were not answered later: not by a later call
   * of the same number, an answered callback, or an answered campaign call. One row per call (its
   * last missed visit), newest first.
   */
  async missed(range: Range, queues: string[] | undefined, limit: number, callIds?: string[]): Promise<MissedCallRow[]> {
    const p: unknown[] = [range.from, range.to];
    let filter = '';
    if (queues) { p.push(queues); filter += ` AND v.queue_id = ANY($${p.length})`; }
    if (callIds) { p.push(callIds); filter += ` AND v.call_id = ANY($${p.length})`; }
    p.push(limit);
    return this.q<MissedCallRow>(`SELECT DISTINCT ON (v.call_id) v.call_id AS "callId", v.queue_id AS "queueId", v.caller_number AS number,
        v.caller_name AS name, v.entered_at AS at,
        round(coalesce(v.wait_ms, extract(epoch FROM (coalesce(v.ended_at, v.entered_at) - v.entered_at)) * 1000) / 1000.0)::int AS "waitedSec",
        CASE WHEN v.outcome = 'timed_out' THEN 'timeout' ELSE 'abandoned' END AS outcome
      FROM queue_calls v
      WHERE v.entered_at >= $1 AND v.entered_at < $2 AND v.entry IN ('arrival', 'overflow', 'queue_transfer')
        AND (v.outcome LIKE 'abandoned%' OR v.outcome = 'timed_out') AND v.caller_number <> ''${filter}
        AND NOT EXISTS (SELECT 1 FROM queue_calls a WHERE a.call_id = v.call_id AND a.answered_at IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM queue_calls a WHERE a.caller_number = v.caller_number AND a.answered_at IS NOT NULL AND a.entered_at > v.entered_at)
        AND NOT EXISTS (SELECT 1 FROM callbacks c JOIN callback_attempts t ON t.callback_id = c.callback_id
                         WHERE c.number = v.caller_number AND t.outcome = 'answered' AND t.at > v.entered_at)
        AND NOT EXISTS (SELECT 1 FROM campaign_attempts ca WHERE ca.number = regexp_replace(v.caller_number, '[^0-9+]', '', 'g')
                         AND ca.outcome = 'answered' AND ca.ended_at > v.entered_at)
      ORDER BY v.call_id, v.entered_at DESC
      LIMIT $${p.length}`, p).then((rows) => rows.sort((a, b) => b.at.getTime() - a.at.getTime()));
  }

  /** Per campaign over the range (by the calls' end): dialed (the agent answered and the customer was tried), handled, not completed, talk and handle time. */
  async report(range: Range, campaigns?: string[]): Promise<CampaignReportRow[]> {
    const p: unknown[] = [range.from, range.to];
    let filter = '';
    if (campaigns) { p.push(campaigns); filter = ` AND campaign_id = ANY($${p.length})`; }
    return this.q<CampaignReportRow>(`SELECT campaign_id AS "campaignId",
        count(*) FILTER (WHERE agent_answered)::int AS dialed,
        count(*) FILTER (WHERE status = 'handled')::int AS handled,
        count(*) FILTER (WHERE status = 'not_completed')::int AS "notCompleted",
        round(coalesce(sum(talk_ms), 0) / 1000.0)::int AS "talkSec",
        round(coalesce(sum(handle_ms), 0) / 1000.0)::int AS "handleSec"
      FROM campaign_attempts WHERE ended_at >= $1 AND ended_at < $2${filter}
      GROUP BY campaign_id ORDER BY campaign_id`, p);
  }

  /** Whether a call from this number was answered in a queue after `sinceMs`. */
  async answeredInboundSince(number: string, sinceMs: number): Promise<boolean> {
    const rows = await this.q(`SELECT 1 FROM queue_calls WHERE regexp_replace(caller_number, '[^0-9+]', '', 'g') = $1 AND answered_at IS NOT NULL
      AND entered_at > $2 LIMIT 1`, [number, new Date(sinceMs)]);
    return rows.length > 0;
  }
}
