import { Request, Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import type { Principal } from '../../access/users';
import type { CampaignService } from '../../campaigns/campaignService';
import { PayloadTooLarge } from '../../campaigns/csvImport';
import { normalizeNumber } from '../../campaigns/numbers';
import { AcdError, Forbidden } from '../../errors';
import type { CampaignHistory } from '../../history/campaignHistory';
import { sendCsv } from '../../history/csv';
import { HistoryUnavailable, Problem, parseRange, throwIfProblems, wantsCsv } from '../../history/params';
import { dayOf, nextDay } from '../../metrics/day';
import type { CampaignStore } from '../../state/campaignStore';
import { parseOrThrow } from '../../validation/parse';
import { allow, userOf } from '../auth';

export const CAMPAIGN_REPORT_COLUMNS = ['campaignId', 'name', 'dialed', 'handled', 'notCompleted', 'talkSec', 'handleSec'];
const DncBody = z.object({ numbers: z.array(z.string().max(100)).max(1_000_000) }).strict();

class UnsupportedMediaType extends AcdError {
  constructor(message: string) { super(415, 'UNSUPPORTED_MEDIA_TYPE', message); }
}

export interface CampaignRoutesDeps {
  campaigns: CampaignService;
  store: CampaignStore;
  policy: AccessPolicy;
  /** The history's campaign side (absent: no DATABASE_URL), and a wait for the writer to fold what the stream holds. */
  history?: { campaigns: CampaignHistory; catchUp(): Promise<unknown> };
  timeZone: string;
}

/**
 * Campaigns of calls to make (docs/campaigns-api.md). Admins and supervisors manage them; an agent
 * reads the campaigns it is assigned to and logs itself in and out, pauses and unpauses in them.
 */
export function campaignsRouter(d: CampaignRoutesDeps): Router {
  const r = Router();
  const { campaigns } = d;
  const staff = allow('admin', 'supervisor');
  const id = (req: Request) => String(req.params.id);
  /** An agent reaches only the campaigns it is assigned to (404 first for an unknown one). */
  const readable = async (u: Principal, campaignId: string) => {
    const c = await campaigns.record(campaignId);
    if (u.role === 'agent' && !(u.agentId && c.agents.includes(u.agentId))) throw new Forbidden(`agent ${u.agentId} is not assigned to campaign ${campaignId}`);
    return c;
  };

  // the do-not-call list (before /campaigns/:id: it is not a campaign)
  r.get('/campaigns/do-not-call', staff, async (_req, res) => { res.json({ numbers: await d.store.dnc() }); });
  r.put('/campaigns/do-not-call', staff, async (req, res) => {
    const b = parseOrThrow(DncBody, req.body, 'do-not-call list');
    const problems: { path: string; message: string }[] = [];
    const numbers = b.numbers.flatMap((n, i) => {
      const v = normalizeNumber(n);
      if (!v.ok) { problems.push({ path: `numbers.${i}`, message: v.refusal.reason }); return []; }
      return [v.number];
    });
    if (problems.length) throw new AcdError(422, 'INVALID_REQUEST', 'invalid do-not-call list', problems.slice(0, 100));
    await d.store.dncPut([...new Set(numbers)]);
    res.json({ numbers: await d.store.dnc() });
  });

  r.get('/campaigns', async (req, res) => {
    const u = userOf(req);
    const all = await campaigns.list();
    res.json({ campaigns: u.role === 'agent' ? all.filter((c) => u.agentId && c.agents.includes(u.agentId)) : all });
  });
  r.post('/campaigns', staff, async (req, res) => { res.status(201).json(await campaigns.create(req.body)); });
  r.get('/campaigns/:id', async (req, res) => {
    await readable(userOf(req), id(req));
    res.json(await campaigns.get(id(req)));
  });
  r.patch('/campaigns/:id', staff, async (req, res) => { res.json(await campaigns.update(id(req), req.body)); });
  r.delete('/campaigns/:id', staff, async (req, res) => { await campaigns.remove(id(req)); res.status(204).end(); });
  r.post('/campaigns/:id/pause', staff, async (req, res) => { res.json(await campaigns.setState(id(req), 'paused')); });
  r.post('/campaigns/:id/resume', staff, async (req, res) => { res.json(await campaigns.setState(id(req), 'active')); });

  // agents
  r.get('/campaigns/:id/agents', async (req, res) => {
    await readable(userOf(req), id(req));
    res.json({ agents: await campaigns.agents(id(req)) });
  });
  r.put('/campaigns/:id/agents/:agentId', staff, async (req, res) => { res.json({ agents: await campaigns.assign(id(req), String(req.params.agentId), 'add') }); });
  r.delete('/campaigns/:id/agents/:agentId', staff, async (req, res) => { res.json({ agents: await campaigns.assign(id(req), String(req.params.agentId), 'remove') }); });
  for (const action of ['login', 'logout', 'ready', 'pause'] as const) {
    r.post(`/campaigns/:id/agents/:agentId/${action}`, async (req, res) => {
      const u = userOf(req);
      const agentId = String(req.params.agentId);
      // supervisors act for any agent; an agent only for itself
      if (u.role === 'agent' && u.agentId !== agentId) throw new Forbidden(`an agent token may act only on agent ${u.agentId}`);
      res.json(await campaigns.agentAction(id(req), agentId, action, req.body));
    });
  }

  // entries
  r.get('/campaigns/:id/entries', async (req, res) => {
    await readable(userOf(req), id(req));
    res.json(await campaigns.entries(id(req), req.query));
  });
  r.post('/campaigns/:id/entries/import', staff, async (req, res) => {
    await campaigns.record(id(req));
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/csv') throw new UnsupportedMediaType('send the file as text/csv');
    const q = (k: string) => (typeof req.query[k] === 'string' ? String(req.query[k]) : undefined);
    const header = q('header') ?? 'true';
    if (header !== 'true' && header !== 'false') throw new AcdError(400, 'INVALID_QUERY', 'header is true or false', [{ path: 'header', message: 'true or false' }]);
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > campaigns.maxImportBytes) {
      // refused before reading: nothing of the file is taken
      res.setHeader('connection', 'close');
      throw new PayloadTooLarge(campaigns.maxImportBytes);
    }
    const result = await campaigns.importCsv(id(req), req, { phoneColumn: q('phoneColumn'), header: header === 'true' });
    res.json(result);
  });
  r.post('/campaigns/:id/entries', staff, async (req, res) => { res.json(await campaigns.addEntries(id(req), req.body)); });
  r.post('/campaigns/:id/entries/move', staff, async (req, res) => { res.json(await campaigns.move(id(req), req.body)); });
  r.post('/campaigns/:id/entries/delete', staff, async (req, res) => { res.json(await campaigns.deleteEntries(id(req), req.body)); });
  r.delete('/campaigns/:id/entries/:entryId', staff, async (req, res) => {
    await campaigns.deleteEntry(id(req), String(req.params.entryId));
    res.status(204).end();
  });

  // figures
  r.get('/campaigns/:id/stats', async (req, res) => {
    await readable(userOf(req), id(req));
    res.json(await campaigns.stats(id(req)));
  });
  r.get('/campaigns/:id/calls', async (req, res) => {
    await readable(userOf(req), id(req));
    res.json({ calls: await campaigns.calls(id(req)) });
  });

  // the history: calls per campaign
  r.get('/reports/campaigns', async (req, res) => {
    const u = userOf(req);
    d.policy.permission(u, 'viewReports');
    const problems: Problem[] = [];
    const range = parseRange(withTodayDefault(req.query, d.timeZone), d.timeZone, problems);
    const csv = wantsCsv(req.query, req.headers.accept, problems);
    throwIfProblems(problems);
    if (!d.history) throw new AcdError(503, 'HISTORY_DISABLED', 'this controller keeps no history: set DATABASE_URL');
    let rows;
    try {
      await d.history.catchUp();
      rows = await d.history.campaigns.report(range!);
    } catch (err) {
      if (err instanceof AcdError) throw err;
      throw new HistoryUnavailable(`the history query failed: ${(err as Error).message}`);
    }
    const names = new Map((await campaigns.list()).map((c) => [c.id, c.name]));
    const out = rows.map((x) => ({ campaignId: x.campaignId, name: names.get(x.campaignId) ?? x.campaignId, dialed: x.dialed, handled: x.handled,
      notCompleted: x.notCompleted, talkSec: x.talkSec, handleSec: x.handleSec }));
    if (csv) return sendCsv(res, 'campaigns.csv', out, CAMPAIGN_REPORT_COLUMNS);
    res.json({ from: range!.from, to: range!.to, timeZone: range!.timeZone, rows: out });
  });

  return r;
}

/** A range that defaults to today (in the zone) when from and to are both absent. */
export function withTodayDefault(q: Record<string, unknown>, defaultTz: string, now = Date.now()): Record<string, unknown> {
  if (q.from !== undefined || q.to !== undefined) return q;
  const tz = typeof q.tz === 'string' ? q.tz : defaultTz;
  let today: string;
  try { today = dayOf(now, tz); } catch { return q; }
  return { ...q, from: today, to: nextDay(today, 0) };
}
