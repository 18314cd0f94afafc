import { StoreBase, outcome, refusal, type Raw } from './base';
import { AccessStore } from './access';
import { CallbackStore } from './callbacks';
import { ClipStore } from './clips';
import { ClusterStore } from './cluster';
import { ConferenceStore } from './conference';
import { ConsultStore } from './consult';
import { HoldStore } from './hold';
import { MetricsStore } from './metrics';
import { MonitorStore } from './monitoring';
import { ParkStore } from './park';
import { PhoneCallStore } from './phones';
import { RecordingStore } from './recordings';
import { RegistryStore } from './registry';
import { TransferStore } from './transfer';
import { WallboardStore } from './wallboards';
import { WrapUpStore } from './wrapup';

// The live state's types have their home in src/domain/live.ts; re-exported here for existing readers.
export { NO_WRAPUP } from '../domain/live';
export type {
  RegistryKind, AgentStateName, WrapUp, AgentState, CallStateName, CallRecord, CallbackAttempt, RecordingRecord, ClipRecord,
  CallRecordBase, QueueingFields, OfferFields, CallbackFields, ParkFields, DispositionFields,
} from '../domain/live';
import { NO_WRAPUP } from '../domain/live';
import type { AgentStateName, WrapUp, AgentState, CallRecord } from '../domain/live';
import type { Outcome, ResultCode, TransitionOutcome } from './results';
export type { Outcome, TransitionOutcome } from './results';
export { ResultCode } from './results';
export type { UnparkResult } from './park';

/**
 * The only writer of shared state. Each method is one Lua transition; reads are plain commands.
 * `now` is injectable so integration tests can steer time (timers, wait times).
 *
 * Grouped by the feature each wrapper serves: this file holds the ACD's core (agent state, queueing
 * and offers, the reads routing and reconcile use); every other feature's wrappers live in their own
 * file beside it (hold.ts, transfer.ts, conference.ts, consult.ts, park.ts, wrapup.ts, callbacks.ts,
 * monitoring.ts, recordings.ts, clips.ts, registry.ts, metrics.ts, access.ts, wallboards.ts,
 * phones.ts) and are composed into this one class, so callers keep one `StateStore`.
 */
export class StateStore extends StoreBase {
  /** One transition's raw result as an Outcome (kept here for the wrappers below; features use base.ts's). */
  protected static outcome<T, C extends string = ResultCode>(r: Raw, value: (v: string | number | undefined) => T): Outcome<T, C> {
    return outcome<T, C>(r, value);
  }

  // --- agent state -------------------------------------------------------------------------
  async agentLogin(agentId: string, queues: string[]): Promise<TransitionOutcome<'agent_login', AgentStateName>> {
    return StateStore.outcome(await this.run('agent_login', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  async agentLogout(agentId: string, queues: string[]): Promise<TransitionOutcome<'agent_logout', AgentStateName>> {
    return StateStore.outcome(await this.run('agent_logout', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  async agentDevice(agentId: string, device: 'online' | 'offline' | 'busy'): Promise<TransitionOutcome<'agent_device'>> {
    return StateStore.outcome(await this.run('agent_device', agentId, device), () => undefined);
  }
  async agentReady(agentId: string, queues: string[] = []): Promise<TransitionOutcome<'agent_ready', AgentStateName>> {
    return StateStore.outcome(await this.run('agent_ready', agentId, JSON.stringify(queues)), (v) => v as AgentStateName);
  }
  async agentPause(agentId: string, reason: string, queues: string[] = []): Promise<TransitionOutcome<'agent_pause', AgentStateName>> {
    return StateStore.outcome(await this.run('agent_pause', agentId, reason, JSON.stringify(queues)), (v) => v as AgentStateName);
  }

  // --- calls ---------------------------------------------------------------------------------
  // (queueing and offers: their refusals read as the general ResultCode while the bounded-offer
  // work changes these wrappers; narrow them to TransitionOutcome<'script', T> after it lands)
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
  async accept(callId: string, token: string, bridgeId: string, agentId = ''): Promise<TransitionOutcome<'offer_accept', { agentId: string; others: string[] }>> {
    const r = await this.runKeyed('offer_accept', [this.keys.call(callId), this.keys.timers(), this.keys.events()], callId, token, bridgeId, agentId) as unknown as [number, string, string?];
    return r[0] === 1 ? { ok: true, value: { agentId: r[1], others: JSON.parse(r[2] ?? '[]') as string[] } } : refusal('offer_accept', r);
  }
  /** `leg`: one ring-all agent's phone stopped ringing (the others go on). The value says whether the caller waits again. */
  async failOffer(callId: string, token: string, outcome: string, pauseReason: string | null, fromTimer = false, leg = ''): Promise<Outcome<'waiting' | 'ringing'>> {
    const r = await this.run('offer_fail', callId, token, outcome, pauseReason ?? '', fromTimer ? '1' : '0', leg) as unknown as [number, string, string?];
    return r[0] === 1 ? { ok: true, value: (r[2] ?? 'waiting') as 'waiting' | 'ringing' } : { ok: false, code: String(r[1]) as ResultCode };
  }
  async abandon(callId: string): Promise<Outcome<string>> {
    return StateStore.outcome(await this.run('call_abandon', callId), String);
  }
  async release(callId: string, endedBy: 'caller' | 'agent' | 'api' | 'system', wrap: WrapUp = NO_WRAPUP): Promise<TransitionOutcome<'call_release', string>> {
    return StateStore.outcome(await this.runKeyed('call_release', [this.keys.call(callId), this.keys.events()], callId, endedBy, wrap.ms, wrap.maxMs, wrap.stepMs), String);
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

  /**
   * What routing needs to know of waiting calls: when each first arrived, its own required skills,
   * and the controller holding it (a callback request has none: any controller serves it).
   */
  async waitingFacts(callIds: string[]): Promise<Map<string, { enqueuedAt: number; skills: Record<string, number>; node?: string }>> {
    const out = new Map<string, { enqueuedAt: number; skills: Record<string, number>; node?: string }>();
    if (!callIds.length) return out;
    const p = this.redis.pipeline();
    for (const id of callIds) p.hmget(this.keys.call(id), 'enqueuedAt', 'skills', 'node');
    const rows = (await p.exec()) ?? [];
    callIds.forEach((id, i) => {
      const [err, v] = rows[i] ?? [];
      const [at, skills, node] = (v ?? []) as (string | null)[];
      if (!err && at) out.set(id, { enqueuedAt: Number(at), skills: skills ? JSON.parse(skills) as Record<string, number> : {}, ...(node ? { node } : {}) });
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

// The feature groups' wrappers become StateStore's own methods: one class for every caller, one
// file per feature for whoever changes one.
const FEATURES = [
  PhoneCallStore, HoldStore, TransferStore, ConferenceStore, ConsultStore, ParkStore, WrapUpStore, CallbackStore,
  RegistryStore, MonitorStore, RecordingStore, ClipStore, MetricsStore, AccessStore, WallboardStore, ClusterStore,
];
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface StateStore extends PhoneCallStore, HoldStore, TransferStore, ConferenceStore, ConsultStore, ParkStore, WrapUpStore,
  CallbackStore, RegistryStore, MonitorStore, RecordingStore, ClipStore, MetricsStore, AccessStore, WallboardStore, ClusterStore {}
for (const feature of FEATURES) {
  for (const name of Object.getOwnPropertyNames(feature.prototype)) {
    if (name === 'constructor') continue;
    if (Object.prototype.hasOwnProperty.call(StateStore.prototype, name)) throw new Error(`StateStore.${name} is defined twice`);
    Object.defineProperty(StateStore.prototype, name, Object.getOwnPropertyDescriptor(feature.prototype, name)!);
  }
}
