import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { DestinationPolicyOverride } from '../destinations/policy';
import { AcdError, Conflict, NotFound } from '../errors';
import type { Registry } from '../registry/registry';
import type { CampaignRecord, CampaignStats, CampaignStore, EntryRecord, EntryStatus, NewEntry } from '../state/campaignStore';
import { ENTRY_STATUSES } from '../state/campaignStore';
import type { StateStore } from '../state/store';
import { parseOrThrow } from '../validation/parse';
import { ImportOptions, ImportResult, importCsv } from './csvImport';
import { normalizeNumber } from './numbers';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const TimeZone = z.string().min(1).max(64).refine((tz) => { try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; } }, 'an IANA time zone');
const RetryRule = z.object({ attempts: z.number().int().min(1).max(10), afterSec: z.number().int().min(0).max(7 * 86400) }).strict();
export const CampaignOptions = z.object({
  retry: z.object({ busy: RetryRule.optional(), noAnswer: RetryRule.optional(), failed: RetryRule.optional() }).strict().optional(),
  callingHours: z.object({ from: HHMM, to: HHMM, defaultTimeZone: TimeZone }).strict().optional(),
  doNotCall: z.boolean().optional(),
  skipIfAnsweredInbound: z.boolean().optional(),
  onePerNumberPerDay: z.boolean().optional(),
}).strict();
export type CampaignOptions = z.infer<typeof CampaignOptions>;

const CampaignId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ and -, 1 to 64, starting with a letter or digit');
const Editable = {
  name: z.string().trim().min(1).max(80),
  inboundFirst: z.boolean(),
  outboundPolicy: DestinationPolicyOverride.nullable(),
  options: CampaignOptions,
  ringTimeoutSec: z.number().int().min(5).max(120),
  dialTimeoutSec: z.number().int().min(5).max(120),
};
const CreateBody = z.object({ id: CampaignId.optional(), agents: z.array(z.string().min(1).max(64)).max(1000).optional(), ...Editable })
  .partial({ inboundFirst: true, outboundPolicy: true, options: true, ringTimeoutSec: true, dialTimeoutSec: true }).strict();
const PatchBody = z.object(Editable).partial().strict();
const EntryInput = z.object({ number: z.string().max(100), name: z.string().max(80).optional(), details: z.record(z.string().max(64), z.string().max(500)).optional() }).strict();
const AddBody = z.union([
  z.object({ entries: z.array(EntryInput).min(1).max(10_000) }).strict(),
  z.object({ missedCallIds: z.array(z.string().min(1).max(200)).min(1).max(10_000) }).strict(),
]);
const IdsBody = z.object({ entryIds: z.array(z.string().min(1).max(200)).min(1).max(100_000) }).strict();
const MoveBody = IdsBody.extend({ toCampaignId: z.string().min(1).max(64) }).strict();
const PauseBody = z.object({ reason: z.string().trim().min(1).max(64).default('paused') }).strict();

export interface CampaignView {
  id: string; name: string; state: 'active' | 'paused'; agents: string[]; inboundFirst: boolean; outboundPolicy?: unknown;
  options: CampaignOptions; createdAt: string; ringTimeoutSec: number; dialTimeoutSec: number;
}
export interface EntryView {
  id: string; campaignId: string; number: string; name?: string; details: Record<string, string>; status: EntryStatus;
  source: 'missed' | 'csv' | 'api'; missedCallId?: string; addedAt: string; attempts: number; lastOutcome?: string;
  agentId?: string; dialedAt?: string; resolvedAt?: string; dueAt?: string;
}
export interface CampaignAgentView { agentId: string; name: string; loggedIn: boolean; paused: boolean; pauseReason?: string; agentState: string }
export interface CampaignCallView { entryId: string; campaignId: string; agentId: string; number: string; name?: string; state: string; since: string }

/** A missed call as the history knows it, for adding it to a campaign. */
export interface MissedLookup { callId: string; number: string; name: string; queueId: string }

const iso = (ms?: number) => (ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString());

/**
 * Campaigns of calls to make: their settings, agents and entries (the dialing is CampaignDialer's).
 * Every change is one Lua transition in CampaignStore; this validates, maps outcomes to errors and
 * shapes the API's views (docs/campaigns-api.md).
 */
export class CampaignService {
  constructor(
    private readonly store: CampaignStore,
    private readonly state: StateStore,
    private readonly registry: Registry,
    /** Missed calls by id, from the history (absent: the controller keeps no history). */
    private readonly missed?: (callIds: string[]) => Promise<Map<string, MissedLookup>>,
    private readonly importMaxBytes = 20 * 1024 * 1024,
  ) {}

  get maxImportBytes(): number { return this.importMaxBytes; }

  static view(c: CampaignRecord): CampaignView {
    return {
      id: c.id, name: c.name, state: c.state, agents: c.agents, inboundFirst: c.inboundFirst,
      ...(c.outboundPolicy ? { outboundPolicy: c.outboundPolicy } : {}), options: c.options as CampaignOptions,
      createdAt: new Date(c.createdAt).toISOString(), ringTimeoutSec: c.ringTimeoutSec, dialTimeoutSec: c.dialTimeoutSec,
    };
  }

  static entryView(e: EntryRecord): EntryView {
    return {
      id: e.id, campaignId: e.campaignId, number: e.number, ...(e.name ? { name: e.name } : {}), details: e.details, status: e.status,
      source: e.source, ...(e.missedCallId ? { missedCallId: e.missedCallId } : {}), addedAt: new Date(e.addedAt).toISOString(),
      attempts: e.attempts, ...(e.lastOutcome ? { lastOutcome: e.lastOutcome } : {}), ...(e.agentId ? { agentId: e.agentId } : {}),
      ...(e.dialedAt ? { dialedAt: iso(e.dialedAt) } : {}), ...(e.resolvedAt ? { resolvedAt: iso(e.resolvedAt) } : {}),
      ...(e.dueAt ? { dueAt: iso(e.dueAt) } : {}),
    };
  }

  async record(id: string): Promise<CampaignRecord> {
    const c = await this.store.campaign(id);
    if (!c) throw new NotFound('campaign', id);
    return c;
  }

  async list(): Promise<CampaignView[]> {
    const all = await Promise.all((await this.store.ids()).map((id) => this.store.campaign(id)));
    return all.filter((c): c is CampaignRecord => !!c).map(CampaignService.view);
  }

  async get(id: string): Promise<CampaignView> { return CampaignService.view(await this.record(id)); }

  async create(body: unknown): Promise<CampaignView> {
    const b = parseOrThrow(CreateBody, body, 'campaign');
    for (const a of b.agents ?? []) if (!this.registry.findAgent(a)) throw new NotFound('agent', a);
    const id = b.id ?? `c-${randomUUID().slice(0, 8)}`;
    const { id: _id, agents, ...fields } = b;
    const r = await this.store.put(id, 'create', fields, [...new Set(agents ?? [])]);
    if (!r.ok) throw new Conflict('CAMPAIGN_EXISTS', `a campaign with id ${id} exists`, { id });
    return this.get(id);
  }

  async update(id: string, body: unknown): Promise<CampaignView> {
    await this.record(id);
    const b = parseOrThrow(PatchBody, body, 'campaign change');
    const r = await this.store.put(id, 'update', b);
    if (!r.ok) throw new NotFound('campaign', id);
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const r = await this.store.delete(id);
    if (r.ok) return;
    if (r.code === 'CAMPAIGN_DIALING') throw new Conflict('CAMPAIGN_DIALING', 'a call of this campaign is in progress: pause the campaign and wait for it to end', { id });
    throw new NotFound('campaign', id);
  }

  async setState(id: string, state: 'active' | 'paused'): Promise<CampaignView> {
    const r = await this.store.setState(id, state);
    if (!r.ok) throw new NotFound('campaign', id);
    return this.get(id);
  }

  // --- agents ------------------------------------------------------------------------------
  async agents(id: string): Promise<CampaignAgentView[]> {
    const c = await this.record(id);
    const { login, paused } = await this.store.logins(id);
    return Promise.all(c.agents.map(async (agentId) => this.agentView(agentId, login, paused)));
  }

  private async agentView(agentId: string, login: Record<string, string>, paused: Record<string, string>): Promise<CampaignAgentView> {
    const st = await this.state.agentState(agentId);
    return {
      agentId, name: this.registry.findAgent(agentId)?.name ?? agentId, loggedIn: agentId in login, paused: agentId in paused,
      ...(paused[agentId] ? { pauseReason: paused[agentId] } : {}), agentState: st.state,
    };
  }

  async assign(id: string, agentId: string, what: 'add' | 'remove'): Promise<CampaignAgentView[]> {
    await this.record(id);
    if (!this.registry.findAgent(agentId)) throw new NotFound('agent', agentId);
    const r = await this.store.assign(id, agentId, what);
    if (!r.ok) {
      if (r.code === 'AGENT_NOT_ASSIGNED') throw new Conflict('AGENT_NOT_ASSIGNED', `agent ${agentId} is not assigned to campaign ${id}`, { agentId });
      throw new NotFound('campaign', id);
    }
    return this.agents(id);
  }

  async agentAction(id: string, agentId: string, what: 'login' | 'logout' | 'pause' | 'ready', body?: unknown): Promise<CampaignAgentView> {
    await this.record(id);
    if (!this.registry.findAgent(agentId)) throw new NotFound('agent', agentId);
    const reason = what === 'pause' ? parseOrThrow(PauseBody, body, 'pause').reason : '';
    const r = await this.store.agent(id, agentId, what, reason);
    if (!r.ok) {
      if (r.code === 'AGENT_NOT_ASSIGNED') throw new Conflict('AGENT_NOT_ASSIGNED', `agent ${agentId} is not assigned to campaign ${id}`, { agentId });
      if (r.code === 'AGENT_NOT_LOGGED_IN') throw new Conflict('AGENT_NOT_LOGGED_IN', `agent ${agentId} is not logged in to campaign ${id}`, { agentId });
      throw new NotFound('campaign', id);
    }
    const { login, paused } = await this.store.logins(id);
    return this.agentView(agentId, login, paused);
  }

  // --- entries -----------------------------------------------------------------------------
  async entries(id: string, q: { status?: unknown; limit?: unknown; offset?: unknown }): Promise<{ entries: EntryView[]; total: number }> {
    await this.record(id);
    const status = q.status === undefined || q.status === '' ? undefined : String(q.status);
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    const problems: { path: string; message: string }[] = [];
    if (status !== undefined && !ENTRY_STATUSES.includes(status as EntryStatus)) problems.push({ path: 'status', message: `one of ${ENTRY_STATUSES.join(', ')}` });
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.push({ path: 'limit', message: 'an integer from 1 to 1000' });
    if (!Number.isInteger(offset) || offset < 0) problems.push({ path: 'offset', message: 'an integer from 0' });
    if (problems.length) throw new AcdError(400, 'INVALID_QUERY', 'invalid entries query', problems);
    const { ids, total } = await this.store.entryIds(id, status as EntryStatus | undefined, offset, limit);
    return { entries: (await this.store.entries(ids)).map(CampaignService.entryView), total };
  }

  async addEntries(id: string, body: unknown): Promise<{ added: EntryView[]; refused: { index: number; value: string; code: string; reason: string }[] }> {
    await this.record(id);
    const b = parseOrThrow(AddBody, body, 'entries');
    const refused: { index: number; value: string; code: string; reason: string }[] = [];
    const batch: NewEntry[] = [];
    const indexOf: number[] = [];
    if ('entries' in b) {
      b.entries.forEach((e, index) => {
        const n = normalizeNumber(e.number);
        if (!n.ok) { refused.push({ index, value: e.number, ...n.refusal }); return; }
        batch.push({ id: `ce-${randomUUID()}`, number: n.number, name: e.name ?? '', details: e.details ?? {}, source: 'api' });
        indexOf.push(index);
      });
    } else {
      if (!this.missed) throw new AcdError(503, 'HISTORY_DISABLED', 'this controller keeps no history: missed calls cannot be added (set DATABASE_URL)');
      const found = await this.missed([...new Set(b.missedCallIds)]);
      const seen = new Set<string>();
      b.missedCallIds.forEach((callId, index) => {
        const m = found.get(callId);
        if (!m) { refused.push({ index, value: callId, code: 'MISSED_CALL_NOT_FOUND', reason: 'no missed call with this id (abandoned or timed out, not answered later)' }); return; }
        if (seen.has(callId)) { refused.push({ index, value: callId, code: 'DUPLICATE', reason: 'listed twice' }); return; }
        seen.add(callId);
        const n = normalizeNumber(m.number);
        if (!n.ok) { refused.push({ index, value: m.number, ...n.refusal }); return; }
        batch.push({ id: `ce-${randomUUID()}`, number: n.number, name: m.name, details: { queueId: m.queueId }, source: 'missed', missedCallId: callId });
        indexOf.push(index);
      });
    }
    const r = batch.length ? await this.store.addEntries(id, batch) : { ok: true as const, value: { added: [] as string[], refused: [] as { index: number; code: string }[] } };
    if (!r.ok) throw new NotFound('campaign', id);
    for (const x of r.value.refused) {
      refused.push({ index: indexOf[x.index], value: batch[x.index].missedCallId ?? batch[x.index].number, code: x.code, reason: 'this missed call is in the campaign already' });
    }
    refused.sort((a, c) => a.index - c.index);
    return { added: (await this.store.entries(r.value.added)).map(CampaignService.entryView), refused };
  }

  async importCsv(id: string, body: Readable, o: Omit<ImportOptions, 'maxBytes'>): Promise<ImportResult> {
    await this.record(id);
    return importCsv(body, id, this.store, { ...o, maxBytes: this.importMaxBytes });
  }

  async move(id: string, body: unknown): Promise<{ moved: number }> {
    await this.record(id);
    const b = parseOrThrow(MoveBody, body, 'move');
    const r = await this.store.moveEntries(id, b.toCampaignId, b.entryIds);
    if (r.ok) return { moved: r.value };
    if (r.code === 'TARGET_CAMPAIGN_NOT_FOUND') throw new NotFound('campaign', b.toCampaignId);
    if (r.code === 'SAME_CAMPAIGN') throw new AcdError(422, 'SAME_CAMPAIGN', 'the entries are in that campaign already', { toCampaignId: b.toCampaignId });
    throw new NotFound('campaign', id);
  }

  async deleteEntries(id: string, body: unknown): Promise<{ deleted: number }> {
    await this.record(id);
    const b = parseOrThrow(IdsBody, body, 'delete');
    const r = await this.store.deleteEntries(id, b.entryIds);
    if (!r.ok) throw new NotFound('campaign', id);
    return { deleted: r.value };
  }

  async deleteEntry(id: string, entryId: string): Promise<void> {
    await this.record(id);
    const e = await this.store.entry(entryId);
    if (!e || e.campaignId !== id) throw new NotFound('entry', entryId);
    if (e.status === 'dialing') throw new Conflict('ENTRY_DIALING', 'the entry is being dialed', { entryId });
    const r = await this.store.deleteEntries(id, [entryId]);
    if (!r.ok || r.value === 0) throw new Conflict('ENTRY_DIALING', 'the entry is being dialed', { entryId });
  }

  async stats(id: string): Promise<CampaignStats> {
    await this.record(id);
    return this.store.stats(id);
  }

  async calls(id: string): Promise<CampaignCallView[]> {
    await this.record(id);
    const { ids } = await this.store.entryIds(id, 'dialing', 0, 1000);
    return (await this.store.entries(ids)).filter((e) => e.callState && e.agentId).map((e) => ({
      entryId: e.id, campaignId: id, agentId: e.agentId!, number: e.number, ...(e.name ? { name: e.name } : {}), state: e.callState!,
      since: new Date((e.callState === 'connected' ? e.connectedAt : e.callState === 'customer_ringing' ? e.agentAnsweredAt : e.dialedAt) ?? e.addedAt).toISOString(),
    }));
  }
}
