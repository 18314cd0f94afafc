import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { StateUnavailable, inRequest } from './connection';
import { Keys } from './keys';

export type RegistryKind = 'queues' | 'agents' | 'users' | 'pauseReasons' | 'settings';
/** The organisation settings are one entry of the registry (kind settings): stored, seeded and announced alike. */
const SETTINGS_ID = 'organisation';

export type AgentStateName = 'logged_out' | 'ready' | 'reserved' | 'on_call' | 'wrap_up' | 'paused';

/** After-call work for one call: 0 ms means the agent is ready at once. */
export interface WrapUp { ms: number; maxMs: number; stepMs: number }
export const NO_WRAPUP: WrapUp = { ms: 0, maxMs: 0, stepMs: 0 };
export interface AgentState {
  agentId: string;
  state: AgentStateName;
  reason: string | null;
  since: number | null;
  idleSince: number | null;
  callId: string | null;
  offerToken: string | null;
  callsToday: number;
  queues: string[];
  wrapUpUntil: number | null;
  wrapUpQueue: string | null;
  /** Queues where the agent is paused on its own (queue → reason) while taking calls from the others. */
  pausedQueues: Record<string, string>;
  /** The phone as the ACD last saw it: offline (unregistered) or busy (a call not ours) take no offers. */
  device: 'online' | 'offline' | 'busy';
}

export type CallStateName = 'waiting' | 'offered' | 'connected' | 'ended' | 'abandoned' | 'callback'
  | 'scheduled' | 'attempted' | 'completed' | 'cancelled' | 'parked';
/** A caller's call, or (kind 'callback') a callback request: both wait in the same queue order. */
export interface CallRecord {
  id: string;
  kind?: 'callback';
  queueId: string;
  node: string;
  state: CallStateName;
  callerNumber: string;
  callerName: string;
  channelId: string;
  enqueuedAt: number;
  vtime: number;
  agentId?: string;
  offerToken?: string;
  agentChannelId?: string;
  bridgeId?: string;
  answeredAt?: number;
  endedAt?: number;
  // callback requests
  message?: string;
  attempts?: number;
  maxAttempts?: number;
  preferredAgentId?: string;
  preferredUntil?: number;
  dueAt?: number;
  createdAt?: number;
  lastOutcome?: string;
  lastAgentId?: string;
  fromCallId?: string;
  servedBy?: string;
  disposition?: string;
  parkSlot?: string;
  parkedBy?: string;
  tags?: string;
  notes?: string;
  /** Caller priority and the caller's own required skills (JSON), set from the dialplan or the API. */
  priority?: number;
  skills?: string;
  /** When the caller joined its current queue (enqueuedAt stays the first arrival). */
  queuedAt?: number;
  /** Ring-all: the agents ringing (JSON: agentId → channel id). */
  ringAll?: string;
}

export interface CallbackAttempt { n: number; at: number; agentId: string; outcome: string; talkMs: number }

/** A call recording's metadata. Offsets (ms) are positions in the file: a pause is silence in it. */
export interface RecordingRecord {
  id: string; callId: string; queueId: string; agentId: string; node: string; name: string;
  state: 'recording' | 'paused' | 'stopped' | 'failed';
  startedAt: number; startedBy: string; endedAt?: number; durationMs?: number;
  pausedIntervals: { fromMs: number; toMs: number }[];
  pausedFrom?: number;
}

/** A prepared audio clip: personal (ownerAgentId set) or public. `file` is its name in the clips directory. */
export interface ClipRecord {
  id: string; name: string; scope: 'personal' | 'public'; ownerAgentId?: string; createdBy: string;
  createdAt: number; updatedAt: number; archived: boolean; file: string; sampleRate: number; durationMs: number; bytes: number;
}

/** Expected outcomes of a transition are values, not exceptions: {ok:false, code} names why. */
export type Outcome<T = undefined> = { ok: true; value: T } | { ok: false; code: string };

// Lua lives in .lua files next to the sources; the compiled code reads them from src/ at run time.
const LUA_DIR = path.resolve(__dirname, '../../../src/state/lua');
const TRANSITIONS = [
  'agent_login', 'agent_logout', 'agent_ready', 'agent_pause',
  'call_enqueue', 'call_priority', 'call_overflow', 'offer_reserve', 'offer_reserve_all', 'offer_accept', 'offer_fail', 'call_abandon', 'call_release',
  'registry_put', 'registry_delete',
  'callback_create', 'callback_due', 'callback_prefer_end', 'callback_attempt_end', 'callback_complete',
  'callback_reschedule', 'callback_cancel',
  'token_issue', 'token_revoke',
  'monitor_start', 'monitor_connected', 'monitor_mode', 'monitor_end',
  'recording_start', 'recording_pause', 'recording_resume', 'recording_stop', 'recording_delete',
  'wrapup_extend', 'wrapup_end', 'call_disposition', 'call_hold', 'call_transfer', 'call_party',
  'consult_start', 'consult_answered', 'consult_complete', 'consult_cancel', 'call_park', 'call_unpark', 'agent_device',
  'clip_create', 'clip_update', 'clip_delete', 'clip_played',
  'metrics_apply',
  'retention_set',
  'session_open', 'password_set', 'signin_failed', 'signin_succeeded',
  'wallboard_put', 'wallboard_archive', 'wallboard_delete', 'wallboard_display_issue', 'wallboard_display_revoke',
  'phone_call',
] as const;
type Transition = (typeof TRANSITIONS)[number];

type Raw = [number, (string | number)?];

/**
 * The only writer of shared state. Each method is one Lua transition; reads are plain commands.
 * `now` is injectable so integration tests can steer time (timers, wait times).
 */
export class StateStore {
  readonly keys: Keys;

  /**
   * `requestRedis`: the connection API requests use (no offline queue, no resending: see
   * state/connection.ts); while a request is open its commands go there, all others to the patient one.
   */
  constructor(private readonly patient: Redis, prefix: string, private readonly now: () => number = Date.now, private readonly requestRedis?: Redis) {
    this.keys = new Keys(prefix);
    const lib = fs.readFileSync(path.join(LUA_DIR, '_lib.lua'), 'utf8');
    for (const redis of requestRedis ? [patient, requestRedis] : [patient]) {
      for (const name of TRANSITIONS) {
        if ((redis as unknown as Record<string, unknown>)[`acd_${name}`]) continue;
        const body = fs.readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
        redis.defineCommand(`acd_${name}`, { numberOfKeys: 0, lua: `${lib}\n${body}` });
      }
    }
  }

  private get redis(): Redis {
    if (!inRequest()) return this.patient;
    if (!this.requestRedis && this.patient.status !== 'ready') throw new StateUnavailable();
    return this.requestRedis ?? this.patient;
  }

  private async run(name: Transition, ...args: (string | number)[]): Promise<Raw> {
    const fn = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<Raw>>)[`acd_${name}`];
    return fn.call(this.redis, this.keys.prefix, this.now(), ...args);
  }

  private static outcome<T>(r: Raw, value: (v: string | number | undefined) => T): Outcome<T> {
    return r[0] === 1 ? { ok: true, value: value(r[1]) } : { ok: false, code: String(r[1]) };
  }

  // --- agent state -------------------------------------------------------------------------
  async agentLogin(agentId: string, queues: string[]): Promise<Outcome<AgentStateName>> {
    return StateStore.outcome(await this.run('agent_login', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  async agentLogout(agentId: string, queues: string[]): Promise<Outcome<AgentStateName>> {
    return StateStore.outcome(await this.run('agent_logout', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  /** A non-queue call of an agent's phone is over (recorded once across controllers). */
  async phoneCall(c: { channelId: string; agentId: string; direction: 'in' | 'out'; peer: string; startedAt: number; answeredAt?: number }): Promise<Outcome> {
    return StateStore.outcome(await this.run('phone_call', c.channelId, c.agentId, c.direction, c.peer, c.startedAt, c.answeredAt ?? ''), () => undefined);
  }
  async agentDevice(agentId: string, device: 'online' | 'offline' | 'busy'): Promise<Outcome> {
    return StateStore.outcome(await this.run('agent_device', agentId, device), () => undefined);
  }
  async agentReady(agentId: string, queues: string[] = []): Promise<Outcome<AgentStateName>> {
    return StateStore.outcome(await this.run('agent_ready', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  async agentPause(agentId: string, reason: string, queues: string[] = []): Promise<Outcome<AgentStateName>> {
    return StateStore.outcome(await this.run('agent_pause', agentId, reason, JSON.stringify(queues)), (v) => v as AgentStateName);
  }

  // --- calls ---------------------------------------------------------------------------------
  /** 'QUEUE_FULL' / 'QUEUE_EMPTY': the queue's policy refused the caller (the caller overflows). */
  async enqueue(c: {
    callId: string; queueId: string; node: string; callerNumber: string; callerName: string; channelId: string;
    priority?: number; skills?: Record<string, number>; priorityStepMs?: number; maxCallers?: number; joinWhenEmpty?: string;
  }): Promise<Outcome<number>> {
    const r = await this.run('call_enqueue', c.callId, c.queueId, c.node, c.callerNumber, c.callerName, c.channelId,
      c.priority ?? 0, c.skills && Object.keys(c.skills).length ? JSON.stringify(c.skills) : '', c.priorityStepMs ?? 0,
      c.maxCallers ?? 0, c.joinWhenEmpty ?? 'yes');
    return StateStore.outcome(r, Number);
  }
  /** Change a waiting caller's priority and/or required skills; the result is the new position. */
  async callPriority(callId: string, change: { priority?: number; skills?: Record<string, number> }, priorityStepMs: number, userId: string): Promise<Outcome<number>> {
    const r = await this.run('call_priority', callId, change.priority ?? '', change.skills ? JSON.stringify(change.skills) : '', priorityStepMs, userId);
    return StateStore.outcome(r, Number);
  }
  /** A waiting caller leaves by policy; to a queue it keeps its time (the result: its position there). */
  async overflow(callId: string, reason: 'full' | 'empty' | 'timeout', kind: 'queue' | 'extension' | 'voicemail' | 'none', target: string, leaveWhenEmpty = ''): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('call_overflow', callId, reason, kind, target, leaveWhenEmpty), Number);
  }
  /** Ring-all: reserve these agents together; the value lists those that were ready. */
  async reserveAll(callId: string, token: string, expiresAt: number, legs: { agentId: string; channelId: string }[], servedBy = ''): Promise<Outcome<string[]>> {
    const r = await this.run('offer_reserve_all', callId, token, expiresAt, servedBy, JSON.stringify(legs));
    return StateStore.outcome(r, (v) => JSON.parse(String(v)) as string[]);
  }
  async reserve(callId: string, agentId: string, token: string, expiresAt: number, agentChannelId: string, servedBy = ''): Promise<Outcome> {
    return StateStore.outcome(await this.run('offer_reserve', callId, agentId, token, expiresAt, agentChannelId, servedBy), () => undefined);
  }
  /** The value: the agent, and (ring-all) the channels of the other agents, still ringing, to hang up. */
  async accept(callId: string, token: string, bridgeId: string, agentId = ''): Promise<Outcome<{ agentId: string; others: string[] }>> {
    const r = await this.run('offer_accept', callId, token, bridgeId, agentId) as unknown as [number, string, string?];
    return r[0] === 1 ? { ok: true, value: { agentId: r[1], others: JSON.parse(r[2] ?? '[]') as string[] } } : { ok: false, code: String(r[1]) };
  }
  /** `leg`: one ring-all agent's phone stopped ringing (the others go on). The value says whether the caller waits again. */
  async failOffer(callId: string, token: string, outcome: string, pauseReason: string | null, fromTimer = false, leg = ''): Promise<Outcome<'waiting' | 'ringing'>> {
    const r = await this.run('offer_fail', callId, token, outcome, pauseReason ?? '', fromTimer ? '1' : '0', leg) as unknown as [number, string, string?];
    return r[0] === 1 ? { ok: true, value: (r[2] ?? 'waiting') as 'waiting' | 'ringing' } : { ok: false, code: String(r[1]) };
  }
  async abandon(callId: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('call_abandon', callId), String);
  }
  async release(callId: string, endedBy: 'caller' | 'agent' | 'api' | 'system', wrap: WrapUp = NO_WRAPUP): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('call_release', callId, endedBy, wrap.ms, wrap.maxMs, wrap.stepMs), String);
  }
  async callDisposition(callId: string, d: { disposition: string; tags: string[]; notes: string }, userId: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('call_disposition', callId, d.disposition, JSON.stringify(d.tags), d.notes, userId), () => undefined);
  }
  async callHold(callId: string, hold: boolean, userId: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('call_hold', callId, hold ? '1' : '0', userId), () => undefined);
  }
  async callTransfer(callId: string, t: { kind: 'agent' | 'queue' | 'external'; target: string; token?: string; expiresAt?: number; agentChannelId?: string },
    wrap: WrapUp, userId: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('call_transfer', callId, t.kind, t.target, t.token ?? '', t.expiresAt ?? 0, t.agentChannelId ?? '',
      wrap.ms, wrap.maxMs, wrap.stepMs, userId), String);
  }
  async callParty(callId: string, partyId: string, what: 'join' | 'leave', target: string, userId: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('call_party', callId, partyId, what, target, userId), () => undefined);
  }
  async consultStart(callId: string, consultId: string, kind: 'agent' | 'extension', target: string, userId: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('consult_start', callId, consultId, kind, target, userId), () => undefined);
  }
  async consultAnswered(callId: string, consultId: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('consult_answered', callId, consultId), () => undefined);
  }
  async consultComplete(callId: string, consultId: string, wrap: WrapUp, userId: string): Promise<Outcome<'agent' | 'extension'>> {
    return StateStore.outcome(await this.run('consult_complete', callId, consultId, wrap.ms, wrap.maxMs, wrap.stepMs, userId), (v) => v as 'agent' | 'extension');
  }
  async consultCancel(callId: string, consultId: string, reason: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('consult_cancel', callId, consultId, reason), () => undefined);
  }
  async park(callId: string, timeoutAt: number, wrap: WrapUp, userId: string): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('call_park', callId, timeoutAt, wrap.ms, wrap.maxMs, wrap.stepMs, userId), Number);
  }
  /** Raw result: [1, 'offered', agentId] | [1, 'queued'] | [0, code]. */
  async unpark(callId: string, agentId: string, token: string, expiresAt: number, agentChannelId: string, fromTimer = false): Promise<(string | number)[]> {
    return this.run('call_unpark', callId, agentId, token, expiresAt, agentChannelId, fromTimer ? '1' : '0') as unknown as Promise<(string | number)[]>;
  }
  async parkedCalls(): Promise<{ slot: number; callId: string }[]> {
    const h = await this.redis.hgetall(this.keys.parked());
    return Object.entries(h).map(([slot, callId]) => ({ slot: Number(slot), callId })).sort((a, b) => a.slot - b.slot);
  }
  async wrapupExtend(agentId: string): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('wrapup_extend', agentId), Number);
  }
  async wrapupEnd(agentId: string, token = '', fromTimer = false): Promise<Outcome> {
    return StateStore.outcome(await this.run('wrapup_end', agentId, token, fromTimer ? '1' : '0'), () => undefined);
  }

  // --- callbacks -----------------------------------------------------------------------------
  async callbackCreate(c: {
    callbackId: string; queueId: string; number: string; name: string; fromCallId?: string; message?: string;
    preferredAgentId?: string; preferMs: number; dueAt?: number; maxAttempts: number; preferLastAgent: boolean;
  }): Promise<Outcome<'waiting' | 'scheduled'>> {
    const r = await this.run('callback_create', c.callbackId, c.queueId, c.number, c.name, c.fromCallId ?? '', c.message ?? '',
      c.preferredAgentId ?? '', c.preferMs, c.dueAt ?? '', c.maxAttempts, c.preferLastAgent ? '1' : '0');
    return StateStore.outcome(r, (v) => v as 'waiting' | 'scheduled');
  }
  async callbackDue(id: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('callback_due', id), () => undefined);
  }
  async callbackPreferEnd(id: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('callback_prefer_end', id), () => undefined);
  }
  async callbackAttemptEnd(id: string, outcome: string, talkMs: number, wrap: WrapUp = NO_WRAPUP): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('callback_attempt_end', id, outcome, talkMs, wrap.ms, wrap.maxMs, wrap.stepMs), String);
  }
  async callbackComplete(id: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('callback_complete', id), String);
  }
  async callbackReschedule(id: string, dueAt: number): Promise<Outcome> {
    return StateStore.outcome(await this.run('callback_reschedule', id, dueAt), () => undefined);
  }
  async callbackCancel(id: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('callback_cancel', id), () => undefined);
  }
  /** How long what is over stays in Redis (seconds): finished call and monitor records, finished callbacks, last agents. */
  async retentionSet(r: { recordSec: number; finishedCallbackSec: number; lastAgentSec: number }): Promise<void> {
    await this.run('retention_set', r.recordSec, r.finishedCallbackSec, r.lastAgentSec);
  }
  /** Finished (completed, cancelled) callback requests still within their retention. */
  async finishedCallbackIds(): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.keys.callbacks()}:finished`, this.now(), '+inf');
  }
  async callbackIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.callbacks());
  }
  async callbackAttempts(id: string): Promise<CallbackAttempt[]> {
    return (await this.redis.lrange(this.keys.callbackAttempts(id), 0, -1)).map((s) => JSON.parse(s) as CallbackAttempt);
  }

  // --- registry ------------------------------------------------------------------------------
  async registryPut(kind: RegistryKind, id: string, def: unknown, mode: 'create' | 'replace' | 'seed'): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('registry_put', kind, id, JSON.stringify(def), mode), String);
  }
  async registryDelete(kind: RegistryKind, id: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('registry_delete', kind, id), () => undefined);
  }
  async registryAll<T>(kind: RegistryKind): Promise<T[]> {
    const h = await this.redis.hgetall(this.keys.registry(kind));
    return Object.values(h).map((v) => JSON.parse(v) as T);
  }
  async registryGet<T>(kind: RegistryKind, id: string): Promise<T | undefined> {
    const v = await this.redis.hget(this.keys.registry(kind), id);
    return v ? (JSON.parse(v) as T) : undefined;
  }

  // --- organisation settings ---------------------------------------------------------------
  /** The stored settings (raw: the caller validates them); undefined before the first seed. */
  async settingsGet(): Promise<unknown> {
    return this.registryGet('settings', SETTINGS_ID);
  }
  /** seed: only when none are stored yet (the config file's); replace: the API's change. */
  async settingsPut(settings: object, mode: 'replace' | 'seed'): Promise<Outcome<string>> {
    return this.registryPut('settings', SETTINGS_ID, settings, mode);
  }

  // --- monitoring ----------------------------------------------------------------------------
  async monitorStart(m: { monitorId: string; callId: string; agentId: string; queueId: string; supervisorId: string; mode: string; endpoint: string }): Promise<Outcome> {
    const r = await this.run('monitor_start', m.monitorId, m.callId, m.agentId, m.queueId, m.supervisorId, m.mode, m.endpoint);
    return StateStore.outcome(r, () => undefined);
  }
  async monitorConnected(id: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('monitor_connected', id), () => undefined);
  }
  async monitorMode(id: string, mode: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('monitor_mode', id, mode), String);
  }
  async monitorEnd(id: string, reason: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('monitor_end', id, reason), () => undefined);
  }
  async monitor(id: string): Promise<Record<string, string> | undefined> {
    const h = await this.redis.hgetall(this.keys.monitor(id));
    return h.id ? h : undefined;
  }
  async activeMonitorIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.monitors());
  }

  // --- recordings ----------------------------------------------------------------------------
  async recordingStart(callId: string, startedBy: string, onlyIfNeverRecorded = false): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('recording_start', callId, startedBy, onlyIfNeverRecorded ? '1' : '0'), String);
  }
  async recordingPause(id: string): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('recording_pause', id), Number);
  }
  async recordingResume(id: string): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('recording_resume', id), Number);
  }
  async recordingStop(id: string, outcome: 'stopped' | 'failed'): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('recording_stop', id, outcome), Number);
  }
  async recordingDelete(id: string, retentionMs: number): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('recording_delete', id, retentionMs), String);
  }
  async recording(id: string): Promise<RecordingRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.recording(id));
    if (!h.id) return undefined;
    const n = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
    const intervals = JSON.parse(h.pausedIntervals || '[]');
    return {
      ...(h as unknown as RecordingRecord),
      startedAt: Number(h.startedAt), endedAt: n(h.endedAt), durationMs: n(h.durationMs), pausedFrom: n(h.pausedFrom),
      pausedIntervals: Array.isArray(intervals) ? intervals : [],   // cjson writes an empty list as {}
    };
  }
  /** Recording ids, oldest first; `startedBefore` limits them to those started before that time. */
  async recordingIds(startedBefore = Infinity): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.recordings(), '-inf', startedBefore === Infinity ? '+inf' : `(${startedBefore}`);
  }
  async activeRecordingId(callId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.callRecording(callId), 'active')) ?? undefined;
  }

  // --- prepared audio clips -----------------------------------------------------------------
  async clipCreate(c: Omit<ClipRecord, 'createdAt' | 'updatedAt' | 'archived'>): Promise<Outcome<string>> {
    const r = await this.run('clip_create', c.id, c.name, c.scope, c.ownerAgentId ?? '', c.createdBy, c.file, c.sampleRate, c.durationMs, c.bytes);
    return StateStore.outcome(r, String);
  }
  async clipUpdate(id: string, change: { name?: string; archived?: boolean }, by: string): Promise<Outcome<'updated' | 'unchanged'>> {
    const archived = change.archived === undefined ? '' : change.archived ? '1' : '0';
    return StateStore.outcome(await this.run('clip_update', id, change.name ?? '', archived, by), (v) => v as 'updated' | 'unchanged');
  }
  /** The deleted clip's file name. */
  async clipDelete(id: string, by: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('clip_delete', id, by), String);
  }
  async clipPlayed(p: { callId: string; clipId: string; queueId: string; agentId: string; by: string; then: string; outcome: string }): Promise<void> {
    await this.run('clip_played', p.callId, p.clipId, p.queueId, p.agentId, p.by, p.then, p.outcome);
  }
  async clip(id: string): Promise<ClipRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.clip(id));
    if (!h.id) return undefined;
    return {
      ...(h as unknown as ClipRecord), ownerAgentId: h.ownerAgentId || undefined, archived: h.archived === '1',
      createdAt: Number(h.createdAt), updatedAt: Number(h.updatedAt), sampleRate: Number(h.sampleRate), durationMs: Number(h.durationMs), bytes: Number(h.bytes),
    };
  }
  /** Every clip, oldest first. */
  async clips(): Promise<ClipRecord[]> {
    const all = await Promise.all((await this.redis.zrange(this.keys.clips(), 0, -1)).map((id) => this.clip(id)));
    return all.filter((c): c is ClipRecord => c !== undefined);
  }

  // --- real-time metrics --------------------------------------------------------------------
  /** Folds stream entries after the metrics cursor up to `upTo` into the day aggregates (see metrics_apply.lua). */
  async metricsApply(upTo: string, days: [number, string][], max: number, ack: string[]): Promise<{ applied: number; cursor: string; more: boolean }> {
    const r = await this.run('metrics_apply', upTo, JSON.stringify(days), max, JSON.stringify(ack)) as unknown as [number, number, string, string];
    return { applied: Number(r[1]), cursor: String(r[2]), more: r[3] === '1' };
  }
  /** A day aggregate (metrics:queue:<q>:<day> or metrics:agent:<a>:<day>) as numbers; absent fields are 0. */
  async metricsDay(kind: 'queue' | 'agent', id: string, day: string): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(kind === 'queue' ? this.keys.metricsQueueDay(id, day) : this.keys.metricsAgentDay(id, day));
    return Object.fromEntries(Object.entries(h).map(([f, v]) => [f, Number(v)]));
  }
  /** The agent's state as the metrics last applied it, and since when (unchanged by same-state updates). */
  async metricsAgent(agentId: string): Promise<{ state?: string; since?: number }> {
    const h = await this.redis.hmget(this.keys.metricsAgent(agentId), 'state', 'since');
    return { state: h[0] ?? undefined, since: h[1] ? Number(h[1]) : undefined };
  }

  // --- API tokens ----------------------------------------------------------------------------
  async tokenIssue(userId: string, tokenId: string, sha256: string, label: string, seed = false): Promise<Outcome> {
    return StateStore.outcome(await this.run('token_issue', userId, tokenId, sha256, label, seed ? 'seed' : 'issue'), () => undefined);
  }
  async tokenRevoke(userId: string, tokenId: string | '*'): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('token_revoke', userId, tokenId), Number);
  }
  async tokenLookup(sha256: string): Promise<{ userId: string; tokenId: string; label: string; createdAt: number; kind?: 'session'; expiresAt?: number } | undefined> {
    const v = await this.redis.hget(this.keys.tokens(), sha256);
    const t = v ? JSON.parse(v) : undefined;
    // a session past its expiry is no token at all (session_open drops it for good later)
    return t && !(typeof t.expiresAt === 'number' && t.expiresAt <= this.now()) ? t : undefined;
  }
  async userTokens(userId: string): Promise<{ tokenId: string; label: string; createdAt: number }[]> {
    const shas = Object.values(await this.redis.hgetall(this.keys.userTokens(userId)));
    if (!shas.length) return [];
    const vals = await this.redis.hmget(this.keys.tokens(), ...shas);
    return vals.filter((v): v is string => !!v).map((v) => { const t = JSON.parse(v); return { tokenId: t.tokenId, label: t.label, createdAt: t.createdAt }; });
  }

  // --- sign-in: sessions, passwords, slowing guessers ----------------------------------------
  async sessionOpen(userId: string, tokenId: string, sha256: string, expiresAt: number, label: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('session_open', userId, tokenId, sha256, expiresAt, label), () => undefined);
  }
  async passwordSet(userId: string, hash: string, mode: 'set' | 'seed', by: string): Promise<Outcome<'set' | 'kept'>> {
    return StateStore.outcome(await this.run('password_set', userId, hash, mode, by), (v) => v as 'set' | 'kept');
  }
  async passwordHash(userId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.passwords(), userId)) ?? undefined;
  }
  async signInFailed(name: string, address: string, o: { freeName: number; freeAddress: number; maxMs: number; windowMs: number }): Promise<number> {
    const r = await this.run('signin_failed', name, address, o.freeName, o.freeAddress, o.maxMs, o.windowMs);
    return Number(r[1]);
  }
  async signInSucceeded(name: string): Promise<void> { await this.run('signin_succeeded', name); }
  /** Until when (ms) sign-in for this name or from this address must wait; 0 when it need not. */
  async signInWaitUntil(name: string, address: string): Promise<number> {
    const [a, b] = await Promise.all([this.redis.hget(this.keys.signIn('name', name), 'until'), this.redis.hget(this.keys.signIn('addr', address), 'until')]);
    return Math.max(Number(a ?? 0), Number(b ?? 0));
  }

  // --- wallboards and their display tokens ---------------------------------------------------
  async wallboardPut(id: string, wallboard: unknown, mode: 'create' | 'replace', by: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('wallboard_put', id, JSON.stringify(wallboard), mode, by), () => undefined);
  }
  async wallboardArchive(id: string, archived: boolean, by: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('wallboard_archive', id, archived ? '1' : '0', by), () => undefined);
  }
  async wallboardDelete(id: string, by: string): Promise<Outcome<number>> {
    return StateStore.outcome(await this.run('wallboard_delete', id, by), Number);
  }
  async wallboardDisplayIssue(id: string, tokenId: string, sha256: string, label: string, by: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('wallboard_display_issue', id, tokenId, sha256, label, by), () => undefined);
  }
  async wallboardDisplayRevoke(id: string, tokenId: string, by: string): Promise<Outcome> {
    return StateStore.outcome(await this.run('wallboard_display_revoke', id, tokenId, by), () => undefined);
  }
  async wallboardGet<T>(id: string): Promise<T | undefined> {
    const v = await this.redis.hget(this.keys.wallboards(), id);
    return v ? JSON.parse(v) as T : undefined;
  }
  async wallboardAll<T>(): Promise<T[]> {
    return Object.values(await this.redis.hgetall(this.keys.wallboards())).map((v) => JSON.parse(v) as T);
  }
  /** Archived wallboards: id → when archived (ms). */
  async wallboardsArchived(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.wallboardsArchived());
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
  async wallboardDisplayLookup(sha256: string): Promise<{ wallboardId: string; tokenId: string; label: string; createdAt: number; createdBy: string } | undefined> {
    const v = await this.redis.hget(this.keys.wallboardDisplay(), sha256);
    return v ? JSON.parse(v) : undefined;
  }
  async wallboardDisplays(id: string): Promise<{ tokenId: string; label: string; createdAt: number; createdBy: string }[]> {
    const shas = Object.values(await this.redis.hgetall(this.keys.wallboardDisplays(id)));
    if (!shas.length) return [];
    const vals = await this.redis.hmget(this.keys.wallboardDisplay(), ...shas);
    return vals.filter((v): v is string => !!v).map((v) => { const t = JSON.parse(v); return { tokenId: t.tokenId, label: t.label, createdAt: t.createdAt, createdBy: t.createdBy }; });
  }

  // --- reads ---------------------------------------------------------------------------------
  async agentState(agentId: string): Promise<AgentState> {
    const [h, queues, pausedQueues] = await Promise.all([
      this.redis.hgetall(this.keys.agent(agentId)), this.redis.smembers(this.keys.agentQueues(agentId)),
      this.redis.hgetall(this.keys.agentPausedQueues(agentId)),
    ]);
    const num = (v?: string) => (v === undefined || v === '' ? null : Number(v));
    return {
      agentId,
      state: (h.state as AgentStateName) ?? 'logged_out',
      reason: h.reason || null,
      since: num(h.since),
      idleSince: num(h.idleSince),
      callId: h.callId || null,
      offerToken: h.offerToken || null,
      callsToday: Number(h.callsToday ?? 0),
      queues: queues.sort(),
      wrapUpUntil: h.state === 'wrap_up' ? num(h.wrapupUntil) : null,
      wrapUpQueue: h.state === 'wrap_up' ? h.wrapupQueue ?? null : null,
      pausedQueues,
      device: (h.device as AgentState['device']) ?? 'online',
    };
  }

  async call(callId: string): Promise<CallRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.call(callId));
    if (!h.id) return undefined;
    const n = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
    return {
      ...(h as unknown as CallRecord),
      enqueuedAt: Number(h.enqueuedAt), vtime: Number(h.vtime),
      answeredAt: n(h.answeredAt), endedAt: n(h.endedAt),
      attempts: n(h.attempts), maxAttempts: n(h.maxAttempts), preferredUntil: n(h.preferredUntil),
      dueAt: n(h.dueAt), createdAt: n(h.createdAt), priority: n(h.priority), queuedAt: n(h.queuedAt),
      preferredAgentId: h.preferredAgentId || undefined, message: h.message || undefined,
    };
  }

  /**
   * Waiting calls of a queue in service order (lowest virtual enqueue time first): the first `limit`,
   * or (`from`) the first `limit` from that virtual time on, so that a reader can go on a page at a
   * time from where it stopped without reading the line again (the dispatcher).
   */
  async waiting(queueId: string, limit = 1000, from?: number): Promise<{ callId: string; vtime: number }[]> {
    const key = this.keys.queueWaiting(queueId);
    const r = from === undefined
      ? await this.redis.zrange(key, 0, limit - 1, 'WITHSCORES')
      : await this.redis.zrangebyscore(key, from, '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
    const out: { callId: string; vtime: number }[] = [];
    for (let i = 0; i < r.length; i += 2) out.push({ callId: r[i], vtime: Number(r[i + 1]) });
    return out;
  }

  /** What routing needs to know of waiting calls: when each first arrived, and its own required skills. */
  async waitingFacts(callIds: string[]): Promise<Map<string, { enqueuedAt: number; skills: Record<string, number> }>> {
    const out = new Map<string, { enqueuedAt: number; skills: Record<string, number> }>();
    if (!callIds.length) return out;
    const p = this.redis.pipeline();
    for (const id of callIds) p.hmget(this.keys.call(id), 'enqueuedAt', 'skills');
    const rows = (await p.exec()) ?? [];
    callIds.forEach((id, i) => {
      const [err, v] = rows[i] ?? [];
      const [at, skills] = (v ?? []) as (string | null)[];
      if (!err && at) out.set(id, { enqueuedAt: Number(at), skills: skills ? JSON.parse(skills) as Record<string, number> : {} });
    });
    return out;
  }

  /** The queues an agent takes calls from: logged in and not paused there. */
  async agentServingQueues(agentId: string): Promise<string[]> {
    const [queues, paused] = await Promise.all([this.redis.smembers(this.keys.agentQueues(agentId)), this.redis.hkeys(this.keys.agentPausedQueues(agentId))]);
    return queues.filter((q) => !paused.includes(q));
  }

  /**
   * Ready agents of a queue with the time each has been idle since, longest idle first: all of them,
   * or the first `limit` (from idle-since `from` on), for a reader that goes a page at a time.
   */
  async readyAgents(queueId: string, limit?: number, from?: number): Promise<{ agentId: string; idleSince: number }[]> {
    const key = this.keys.queueReady(queueId);
    const r = limit === undefined
      ? await this.redis.zrange(key, 0, -1, 'WITHSCORES')
      : await this.redis.zrangebyscore(key, from ?? '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
    const out: { agentId: string; idleSince: number }[] = [];
    for (let i = 0; i < r.length; i += 2) out.push({ agentId: r[i], idleSince: Number(r[i + 1]) });
    return out;
  }

  /** The agent this queue offered a call to last (round-robin). */
  async lastOfferedAgent(queueId: string): Promise<string | undefined> {
    return (await this.redis.hget(`${this.keys.prefix}queue:${queueId}:meta`, 'lastAgent')) ?? undefined;
  }

  async loggedInAgents(queueId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.queueAgents(queueId));
  }

  async nodeCalls(node: string): Promise<string[]> {
    return this.redis.smembers(this.keys.nodeCalls(node));
  }

  /** Due timers (member strings), earliest first. */
  async dueTimers(now = this.now(), limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.timers(), '-inf', now, 'LIMIT', 0, limit);
  }
  async nextTimerAt(): Promise<number | undefined> {
    const r = await this.redis.zrange(this.keys.timers(), 0, 0, 'WITHSCORES');
    return r.length ? Number(r[1]) : undefined;
  }
}
