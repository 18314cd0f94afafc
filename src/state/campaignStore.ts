import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { dayOf, dayStart } from '../metrics/day';
import { StateUnavailable, inRequest } from './connection';
import type { Outcome, WrapUp } from './store';

const LUA_DIR = path.resolve(__dirname, '../../../src/state/lua');
const TRANSITIONS = [
  'campaign_put', 'campaign_delete', 'campaign_state', 'campaign_assign', 'campaign_agent',
  'campaign_entries_add', 'campaign_entries_move', 'campaign_entries_delete',
  'campaign_dial_reserve', 'campaign_dial_answered', 'campaign_dial_connected', 'campaign_dial_end', 'campaign_dnc_put',
] as const;
type Transition = (typeof TRANSITIONS)[number];
type Raw = [number, (string | number)?];

export type EntryStatus = 'waiting' | 'dialing' | 'handled' | 'not_completed';
export const ENTRY_STATUSES: EntryStatus[] = ['waiting', 'dialing', 'handled', 'not_completed'];
export type DialOutcome = 'answered' | 'no_answer' | 'busy' | 'failed' | 'refused' | 'skipped' | 'agent_no_answer' | 'lost' | 'deferred';

/** A campaign's stored fields, as the Lua transitions keep them (campaign:<id>). */
export interface CampaignRecord {
  id: string; name: string; state: 'active' | 'paused'; inboundFirst: boolean;
  outboundPolicy?: unknown; options: Record<string, unknown>; createdAt: number;
  ringTimeoutSec: number; dialTimeoutSec: number; agents: string[];
}

/** One person to call (centry:<id>). Times are ms since epoch. */
export interface EntryRecord {
  id: string; campaignId: string; number: string; name: string; details: Record<string, string>;
  status: EntryStatus; source: 'missed' | 'csv' | 'api'; missedCallId?: string; addedAt: number; attempts: number;
  lastOutcome?: string; agentId?: string; dialedAt?: number; resolvedAt?: number; dueAt?: number;
  token?: string; node?: string; callId?: string; callState?: 'agent_ringing' | 'customer_ringing' | 'connected';
  agentAnsweredAt?: number; connectedAt?: number;
}

export interface NewEntry { id: string; number: string; name?: string; details?: Record<string, string>; source: 'missed' | 'csv' | 'api'; missedCallId?: string }

export interface CampaignStats {
  campaignId: string; total: number; notDialed: number; percentDialed: number; agentsLoggedIn: number; avgHandleSec: number;
  callsToday: number; byStatus: Record<EntryStatus, number>;
}

/**
 * The campaign transitions (src/state/lua/campaign_*.lua), one typed wrapper each, and the reads.
 * The same Redis connections and routing as StateStore: a request's commands go to the request
 * connection, call handling's to the patient one (state/connection.ts).
 */
export class CampaignStore {
  readonly prefix: string;

  constructor(private readonly patient: Redis, prefix: string, private readonly timeZone = 'UTC',
    private readonly now: () => number = Date.now, private readonly requestRedis?: Redis) {
    this.prefix = prefix;
    const lib = fs.readFileSync(path.join(LUA_DIR, '_lib.lua'), 'utf8');
    const campaignLib = fs.readFileSync(path.join(LUA_DIR, 'campaign_lib.lua'), 'utf8');
    for (const redis of requestRedis ? [patient, requestRedis] : [patient]) {
      for (const name of TRANSITIONS) {
        if ((redis as unknown as Record<string, unknown>)[`acd_${name}`]) continue;
        const body = fs.readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
        redis.defineCommand(`acd_${name}`, { numberOfKeys: 0, lua: `${lib}\n${campaignLib}\n${body}` });
      }
    }
  }

  private get redis(): Redis {
    if (!inRequest()) return this.patient;
    if (!this.requestRedis && this.patient.status !== 'ready') throw new StateUnavailable();
    return this.requestRedis ?? this.patient;
  }

  private key(...parts: string[]): string { return this.prefix + parts.join(':'); }

  /** The first instant of today in the contact center's zone: "calls today" counts from it. */
  todayStart(now = this.now()): number { return dayStart(dayOf(now, this.timeZone), this.timeZone); }

  private async run(name: Transition, ...args: (string | number)[]): Promise<Raw> {
    const fn = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<Raw>>)[`acd_${name}`];
    const now = this.now();
    return fn.call(this.redis, this.prefix, now, this.todayStart(now), ...args);
  }

  private static outcome<T>(r: Raw, value: (v: string | number | undefined) => T): Outcome<T> {
    return r[0] === 1 ? { ok: true, value: value(r[1]) } : { ok: false, code: String(r[1]) };
  }

  // --- campaigns ---------------------------------------------------------------------------
  async put(id: string, mode: 'create' | 'update', fields: Record<string, unknown>, agents: string[] = []): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_put', id, mode, JSON.stringify(fields), JSON.stringify(agents)), () => undefined);
  }
  async delete(id: string): Promise<Outcome<number>> {
    return CampaignStore.outcome(await this.run('campaign_delete', id), Number);
  }
  async setState(id: string, state: 'active' | 'paused'): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_state', id, state), () => undefined);
  }
  async assign(id: string, agentId: string, what: 'add' | 'remove'): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_assign', id, agentId, what), () => undefined);
  }
  async agent(id: string, agentId: string, what: 'login' | 'logout' | 'pause' | 'ready', reason = ''): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_agent', id, agentId, what, reason), () => undefined);
  }

  // --- entries -----------------------------------------------------------------------------
  async addEntries(id: string, entries: NewEntry[]): Promise<Outcome<{ added: string[]; refused: { index: number; code: string }[] }>> {
    const batch = entries.map((e) => ({ ...e, details: JSON.stringify(e.details ?? {}) }));
    return CampaignStore.outcome(await this.run('campaign_entries_add', id, JSON.stringify(batch)), (v) => JSON.parse(String(v)));
  }
  async moveEntries(from: string, to: string, ids: string[]): Promise<Outcome<number>> {
    return CampaignStore.outcome(await this.run('campaign_entries_move', from, to, JSON.stringify(ids)), Number);
  }
  async deleteEntries(id: string, ids: string[]): Promise<Outcome<number>> {
    return CampaignStore.outcome(await this.run('campaign_entries_delete', id, JSON.stringify(ids)), Number);
  }

  // --- dialing -----------------------------------------------------------------------------
  async reserve(id: string, agentId: string, token: string, expiresAt: number, node: string, callId: string): Promise<Outcome<string>> {
    return CampaignStore.outcome(await this.run('campaign_dial_reserve', id, agentId, token, expiresAt, node, callId), String);
  }
  async agentAnswered(entryId: string, token: string): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_dial_answered', entryId, token), () => undefined);
  }
  async customerConnected(entryId: string, token: string): Promise<Outcome> {
    return CampaignStore.outcome(await this.run('campaign_dial_connected', entryId, token), () => undefined);
  }
  async dialEnd(entryId: string, token: string, outcome: DialOutcome, o: { talkMs?: number; wrap?: WrapUp; retryAfterMs?: number; pauseReason?: string; fromTimer?: boolean } = {}): Promise<Outcome<EntryStatus>> {
    const w = o.wrap ?? { ms: 0, maxMs: 0, stepMs: 0 };
    return CampaignStore.outcome(await this.run('campaign_dial_end', entryId, token, outcome, Math.round(o.talkMs ?? 0), w.ms, w.maxMs, w.stepMs,
      o.retryAfterMs ?? -1, o.pauseReason ?? '', o.fromTimer ? '1' : '0'), (v) => v as EntryStatus);
  }

  /** Replace the do-not-call list (normalized numbers). */
  async dncPut(numbers: string[]): Promise<Outcome<number>> {
    return CampaignStore.outcome(await this.run('campaign_dnc_put', JSON.stringify(numbers)), Number);
  }
  async dnc(): Promise<string[]> { return (await this.redis.smembers(this.key('campaigns', 'dnc'))).sort(); }

  // --- reads -------------------------------------------------------------------------------
  async ids(): Promise<string[]> { return (await this.redis.smembers(this.key('campaigns'))).sort(); }

  async campaign(id: string): Promise<CampaignRecord | undefined> {
    const [h, agents] = await Promise.all([this.redis.hgetall(this.key('campaign', id)), this.redis.smembers(this.key('campaign', id, 'agents'))]);
    if (!h.id) return undefined;
    return {
      id, name: h.name ?? id, state: h.state === 'paused' ? 'paused' : 'active', inboundFirst: h.inboundFirst !== '0',
      outboundPolicy: h.outboundPolicy ? JSON.parse(h.outboundPolicy) : undefined, options: h.options ? JSON.parse(h.options) : {},
      createdAt: Number(h.createdAt), ringTimeoutSec: Number(h.ringTimeoutSec || 20), dialTimeoutSec: Number(h.dialTimeoutSec || 30),
      agents: agents.sort(),
    };
  }

  /** Agents logged in to the campaign (agent → login time) and those paused in it (agent → reason). */
  async logins(id: string): Promise<{ login: Record<string, string>; paused: Record<string, string> }> {
    const [login, paused] = await Promise.all([this.redis.hgetall(this.key('campaign', id, 'login')), this.redis.hgetall(this.key('campaign', id, 'paused'))]);
    return { login, paused };
  }

  /** The campaigns an agent is logged in to. */
  async agentCampaigns(agentId: string): Promise<string[]> { return (await this.redis.smembers(this.key('agent', agentId, 'campaigns'))).sort(); }

  async entryIds(id: string, status: EntryStatus | undefined, offset: number, limit: number): Promise<{ ids: string[]; total: number }> {
    const key = status ? this.key('campaign', id, 'st', status) : this.key('campaign', id, 'entries');
    const [ids, total] = await Promise.all([this.redis.zrange(key, offset, offset + limit - 1), this.redis.zcard(key)]);
    return { ids, total };
  }

  async entries(ids: string[]): Promise<EntryRecord[]> {
    if (!ids.length) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.key('centry', id));
    const rows = (await p.exec()) ?? [];
    const out: EntryRecord[] = [];
    for (const [err, h] of rows) {
      const r = h as Record<string, string>;
      if (err || !r?.id) continue;
      out.push(CampaignStore.entryOf(r));
    }
    return out;
  }

  async entry(id: string): Promise<EntryRecord | undefined> { return (await this.entries([id]))[0]; }

  private static entryOf(h: Record<string, string>): EntryRecord {
    const n = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
    const s = (v?: string) => (v === undefined || v === '' ? undefined : v);
    return {
      id: h.id, campaignId: h.campaignId, number: h.number, name: h.name ?? '', details: h.details ? JSON.parse(h.details) : {},
      status: h.status as EntryStatus, source: h.source as EntryRecord['source'], missedCallId: s(h.missedCallId), addedAt: Number(h.addedAt),
      attempts: Number(h.attempts ?? 0), lastOutcome: s(h.lastOutcome), agentId: s(h.agentId), dialedAt: n(h.dialedAt), resolvedAt: n(h.resolvedAt),
      dueAt: n(h.dueAt), token: s(h.token), node: s(h.node), callId: s(h.callId), callState: s(h.callState) as EntryRecord['callState'],
      agentAnsweredAt: n(h.agentAnsweredAt), connectedAt: n(h.connectedAt),
    };
  }

  async stats(id: string): Promise<CampaignStats> {
    const p = this.redis.pipeline();
    for (const s of ENTRY_STATUSES) p.zcard(this.key('campaign', id, 'st', s));
    p.hlen(this.key('campaign', id, 'login'));
    p.hmget(this.key('campaign', id), 'handleMs', 'handledCalls');
    p.zcount(this.key('campaign', id, 'calls'), this.todayStart(), '+inf');
    const r = ((await p.exec()) ?? []).map(([, v]) => v);
    const byStatus = Object.fromEntries(ENTRY_STATUSES.map((s, i) => [s, Number(r[i])])) as Record<EntryStatus, number>;
    const total = ENTRY_STATUSES.reduce((a, s) => a + byStatus[s], 0);
    const [handleMs, handled] = (r[5] as (string | null)[]).map((v) => Number(v ?? 0));
    return {
      campaignId: id, total, notDialed: byStatus.waiting,
      percentDialed: total ? Math.round(((total - byStatus.waiting) * 1000) / total) / 10 : 0,
      agentsLoggedIn: Number(r[4]), avgHandleSec: handled ? Math.round(handleMs / handled / 1000) : 0,
      callsToday: Number(r[6]), byStatus,
    };
  }

  /** The campaigns each missed call was already added to. */
  async missedCampaigns(callIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!callIds.length) return out;
    const p = this.redis.pipeline();
    for (const id of callIds) p.smembers(this.key('missed', id, 'campaigns'));
    const r = (await p.exec()) ?? [];
    callIds.forEach((id, i) => out.set(id, ((r[i]?.[1] as string[]) ?? []).sort()));
    return out;
  }

  // --- CSV import staging: rows wait in Redis (not in the controller's memory) until the file is whole
  async stagePush(importId: string, rows: string[]): Promise<void> {
    if (!rows.length) return;
    const key = this.key('campaign-import', importId);
    await this.redis.multi().rpush(key, ...rows).expire(key, 3600).exec();
  }
  async stageRange(importId: string, from: number, count: number): Promise<string[]> {
    return this.redis.lrange(this.key('campaign-import', importId), from, from + count - 1);
  }
  async stageDrop(importId: string): Promise<void> { await this.redis.del(this.key('campaign-import', importId)); }
}
