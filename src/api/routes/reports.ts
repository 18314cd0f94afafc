import { Request, Response, Router } from 'express';
import type { AccessPolicy } from '../../access/policy';
import type { Principal } from '../../access/users';
import { AcdError, Forbidden, NotFound } from '../../errors';
import { sendCsv, streamCsv } from '../../history/csv';
import type { History } from '../../history/history';
import {
  HistoryUnavailable, Problem, list, parseCallerNumber, parseDay, parseInterval, parseLimit, parseOutcome, parseRange, parseTz, throwIfProblems, wantsCsv,
} from '../../history/params';
import { decodeCursor, Filters } from '../../history/reports';
import { dayOf, nextDay } from '../../metrics/day';
import type { Registry } from '../../registry/registry';
import { userOf } from '../auth';
import type { CampaignHistory } from '../../history/campaignHistory';
import { withTodayDefault } from './campaigns';

export const QUEUE_COLUMNS = ['queueId', 'intervalStart', 'offered', 'answered', 'abandoned', 'abandonedWaiting', 'abandonedRinging', 'timedOut', 'overflowed',
  'callbackRequests', 'transferred', 'answeredWithinSl', 'averageSpeedOfAnswerMs', 'averageHandleMs', 'longestWaitMs', 'serviceLevel'];
export const AGENT_COLUMNS = ['agentId', 'callsTaken', 'callbackAttempts', 'nonQueueCallsTaken', 'nonQueueCallsMade', 'talkMs', 'holdMs', 'wrapUpMs', 'loginMs', 'pauseMs', 'pauseByReason', 'occupancy', 'callsPerHour',
  'averageHandleMs', 'byQueue'];
export const CALL_COLUMNS = ['callId', 'seq', 'enteredAt', 'queueId', 'entry', 'callerNumber', 'callerName', 'offers', 'offeredTo', 'firstOfferedAt', 'answeredAt',
  'agentId', 'endedAt', 'waitMs', 'ringMs', 'talkMs', 'holdMs', 'wrapUpMs', 'outcome', 'outcomeTarget', 'callbackId', 'disposition', 'tags', 'notes',
  'recordingIds', 'serviceLevelMet'];

class HistoryDisabled extends AcdError {
  constructor() { super(503, 'HISTORY_DISABLED', 'this controller keeps no history: set DATABASE_URL'); }
}

/**
 * History reports and the call list (JSON, or CSV of the same rows). They need the "view reports"
 * permission (supervisors within their queues and those queues' agents, admins everything);
 * recording ids only with accessRecordings. An agent reads its own productivity, nobody else's.
 * Every report first folds what the event stream holds beyond the history: a figure includes every
 * event already in the stream.
 */
export function reportsRouter(history: History | undefined, registry: Registry, policy: AccessPolicy, defaultTz: string, now: () => number = Date.now,
  /** The campaign side of /history/missed: missed calls one by one, and the campaigns each was added to. */
  campaignSide?: { history: CampaignHistory; missedCampaigns(callIds: string[]): Promise<Map<string, string[]>> }): Router {
  const r = Router();

  const ready = async (): Promise<History> => {
    if (!history) throw new HistoryDisabled();
    try {
      await history.writer.catchUp();
    } catch {
      throw new HistoryUnavailable();
    }
    return history;
  };
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try { return await p; } catch (err) {
      if (err instanceof AcdError) throw err;
      throw new HistoryUnavailable(`the history query failed: ${(err as Error).message}`);
    }
  };

  /** The queues and agents a report covers: those asked for (each known and within reach), else all within reach. */
  // (a call report is limited by queue only: a caller who hung up before any agent has no agent;
  // the agent report is also limited to the agents within reach)
  function scope(u: Principal, req: Request, problems: Problem[], agentReport: boolean): Pick<Filters, 'queues' | 'agents'> {
    const queues = list(req.query, 'queue');
    const agents = list(req.query, 'agent');
    for (const q of queues ?? []) if (!registry.findQueue(q)) problems.push({ field: 'queue', message: `unknown queue ${q}` });
    for (const a of agents ?? []) if (!registry.findAgent(a)) problems.push({ field: 'agent', message: `unknown agent ${a}` });
    throwIfProblems(problems);
    for (const q of queues ?? []) policy.queue(u, q);
    for (const a of agents ?? []) policy.agent(u, a);
    const limited = u.role !== 'admin' && u.permissions.limitToAssignedQueues;
    return {
      queues: queues ?? (limited ? registry.listQueues().filter((q) => policy.canQueue(u, q.id)).map((q) => q.id) : undefined),
      agents: agents ?? (limited && agentReport ? registry.listAgents().filter((a) => policy.canAgent(u, a.id)).map((a) => a.id) : undefined),
    };
  }

  function reportArgs(req: Request, agentReport = false) {
    const u = userOf(req);
    policy.permission(u, 'viewReports');
    const problems: Problem[] = [];
    const range = parseRange(req.query, defaultTz, problems);
    const interval = parseInterval(req.query, problems);
    const outcome = parseOutcome(req.query, problems);
    const callerNumber = parseCallerNumber(req.query, problems);
    const csv = wantsCsv(req.query, req.headers.accept, problems);
    throwIfProblems(problems);
    const filters: Filters = { ...scope(u, req, problems, agentReport), outcome, callerNumber };
    return { u, range: range!, interval, filters, csv };
  }

  r.get('/reports/queues', async (req: Request, res: Response) => {
    const a = reportArgs(req);
    const h = await ready();
    const report = await guard(h.reports.queues(a.range, a.filters, a.interval));
    if (a.csv) return sendCsv(res, 'queues.csv', report.rows as never, QUEUE_COLUMNS);
    res.json({ from: a.range.from, to: a.range.to, timeZone: a.range.timeZone, interval: a.interval, ...report });
  });

  r.get('/reports/agents', async (req, res) => {
    const a = reportArgs(req, true);
    const h = await ready();
    const agents = await guard(h.reports.agents(a.range, a.filters));
    if (a.csv) return sendCsv(res, 'agents.csv', agents, AGENT_COLUMNS);
    res.json({ from: a.range.from, to: a.range.to, timeZone: a.range.timeZone, agents });
  });

  r.get('/reports/dispositions', async (req, res) => {
    const a = reportArgs(req);
    const h = await ready();
    const d = await guard(h.reports.dispositions(a.range, a.filters));
    if (a.csv) {
      const rows = [...d.dispositions.map((x) => ({ kind: 'disposition', name: x.disposition, ...x })), ...d.tags.map((x) => ({ kind: 'tag', name: x.tag, ...x }))];
      return sendCsv(res, 'dispositions.csv', rows, ['kind', 'name', 'queueId', 'agentId', 'calls']);
    }
    res.json({ from: a.range.from, to: a.range.to, timeZone: a.range.timeZone, ...d });
  });

  r.get('/history/calls', async (req, res) => {
    const a = reportArgs(req);
    const problems: Problem[] = [];
    const limit = parseLimit(req.query, problems);
    const raw = req.query.cursor === undefined ? undefined : String(req.query.cursor);
    const after = raw === undefined ? undefined : decodeCursor(raw);
    if (raw !== undefined && !after) problems.push({ field: 'cursor', message: 'a nextCursor from a previous page' });
    throwIfProblems(problems);
    const h = await ready();
    const withRecordings = a.u.permissions.accessRecordings;
    if (a.csv) {
      const { stream, done } = await guard(h.reports.streamCalls(a.range, a.filters, withRecordings));
      try { await streamCsv(res, 'calls.csv', stream, CALL_COLUMNS); } finally { done(); }
      return;
    }
    res.json(await guard(h.reports.calls(a.range, a.filters, limit, after, withRecordings)));
  });

  r.get('/history/calls/:id', async (req, res) => {
    const u = userOf(req);
    policy.permission(u, 'viewReports');
    const id = String(req.params.id);
    const h = await ready();
    const call = await guard(h.reports.call(id, u.permissions.accessRecordings));
    if (!call) throw new NotFound('call', id);
    // a supervisor sees a call that visited one of their queues
    if (!call.visits.some((v) => policy.canQueue(u, v.queueId))) throw new Forbidden(`call ${id} did not visit a queue you supervise`);
    res.json({ callId: id, ...call });
  });

  r.get('/history/missed', async (req, res) => {
    // today by default; ?queueId= as well as ?queue= (docs/campaigns-api.md)
    const q = withTodayDefault(req.query, defaultTz, now());
    if (q.queueId !== undefined && q.queue === undefined) q.queue = q.queueId;
    Object.defineProperty(req, 'query', { value: q, configurable: true });   // express 5: query is a getter
    const a = reportArgs(req);
    const problems: Problem[] = [];
    const limit = parseLimit(req.query, problems);
    throwIfProblems(problems);
    const h = await ready();
    const missed = await guard(h.reports.missed(a.range, a.filters));
    if (a.csv) return sendCsv(res, 'missed.csv', missed, ['callerNumber', 'queueId', 'attempts', 'lastAttemptAt', 'lastCallId']);
    // each missed call, with the campaigns it was already added to
    const calls = campaignSide ? await guard(campaignSide.history.missed(a.range, a.filters.queues, limit)) : [];
    const added = campaignSide ? await campaignSide.missedCampaigns(calls.map((c) => c.callId)) : new Map<string, string[]>();
    res.json({
      from: a.range.from, to: a.range.to, timeZone: a.range.timeZone, callers: missed,
      missed: calls.map((c) => ({ callId: c.callId, queueId: c.queueId, number: c.number, ...(c.name ? { name: c.name } : {}), at: c.at.toISOString(),
        waitedSec: c.waitedSec, outcome: c.outcome, campaignIds: added.get(c.callId) ?? [] })),
    });
  });

  r.get('/agents/:id/productivity', async (req, res) => {
    const u = userOf(req);
    const id = String(req.params.id);
    if (!registry.findAgent(id)) throw new NotFound('agent', id);
    if (u.role === 'agent') {
      if (u.agentId !== id) throw new Forbidden(`an agent token may read only agent ${u.agentId}'s productivity`);
    } else {
      policy.permission(u, 'viewReports');
      policy.agent(u, id);
    }
    const problems: Problem[] = [];
    const tz = parseTz(req.query, defaultTz, problems);
    const compareTo = parseDay(req.query, 'compareTo', problems);
    throwIfProblems(problems);
    const h = await ready();
    const today = dayOf(now(), tz);
    const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;   // Monday 0
    const monday = nextDay(today, -weekday);
    const days = await guard(h.reports.agentDays(id, monday, today, tz));
    const cmp = compareTo ? await guard(h.reports.agentDays(id, compareTo, compareTo, tz)) : undefined;
    const dayOfFigures = (day: string, m: Map<string, { queueCallsTaken: number; nonQueueCallsTaken: number; nonQueueCallsMade: number; talkMs: number }>) => {
      const v = m.get(day);
      return { day, queueCallsTaken: v?.queueCallsTaken ?? 0, nonQueueCallsTaken: v?.nonQueueCallsTaken ?? 0, nonQueueCallsMade: v?.nonQueueCallsMade ?? 0, talkMs: v?.talkMs ?? 0 };
    };
    const week = Array.from({ length: weekday + 1 }, (_, i) => dayOfFigures(nextDay(monday, i), days));
    res.json({ agentId: id, timeZone: tz, today: week[week.length - 1], week, comparison: compareTo && cmp ? dayOfFigures(compareTo, cmp) : null });
  });

  return r;
}
