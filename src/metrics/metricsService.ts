import { EventEmitter } from 'node:events';
import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { CallRecord, StateStore } from '../state/store';
import { DayTable, dayOf, dayTable } from './day';

/** Days kept around today in the table handed to metrics_apply: older events are not aggregated. */
const DAYS_BACK = 3;
const DAYS_AHEAD = 1;
const BATCH = 500;
/** At most one metrics.queue push per queue per this many ms. */
export const PUSH_INTERVAL_MS = 500;

export interface QueueStats {
  queueId: string;
  /** The day the `today` figures are for (ACD_TIMEZONE), and that zone. */
  day: string;
  timeZone: string;
  serviceLevelSec: number;
  waiting: { callers: number; longestWaitMs: number; oldestEnqueuedAt: string | null; callbacks: number };
  agents: { loggedIn: number; ready: number; ringing: number; onCall: number; wrapUp: number; paused: number };
  today: {
    answered: number; abandoned: number; callbackRequests: number; timedOut: number; overflowed: number;
    handled: number; answeredWithinSl: number; abandonedWithinSl: number;
    answerWaitMs: number; abandonWaitMs: number; talkMs: number; handleCompleted: number; handleMs: number; wrapUpMs: number;
    averageSpeedOfAnswerMs: number | null; averageHandleMs: number | null;
    serviceLevel: number | null; serviceLevel2: number | null;
  };
}

export interface AgentStats {
  agentId: string;
  day: string;
  timeZone: string;
  state: string; reason: string | null; stateSince: string | null; timeInStateMs: number | null;
  callId: string | null; loggedInQueues: string[];
  today: { handled: number; talkMs: number; pauseMs: number; wrapUpMs: number };
}

export interface WaitingCaller {
  queueId: string; callId: string; callerNumber: string; callerName: string;
  /** Place in the queue's line (callback requests hold places too); null while an agent's phone rings for it. */
  position: number | null;
  state: 'waiting' | 'offered'; agentId: string | null; enqueuedAt: string; waitMs: number;
}

/** Events that can change a queue's figures (live or today's). */
const RELEVANT = /^(call\.|callback\.|agent\.state$)/;

/**
 * Real-time metrics. Day aggregates are folded from the event stream by metrics_apply.lua (the
 * consumer group keeps them current; reads first catch up to the stream's end, so a figure always
 * includes every event already in the stream); live figures (who waits, agent states) are read
 * from the state at request time. Emits 'queue' (QueueStats) when a queue's figures change,
 * at most once per queue per PUSH_INTERVAL_MS, for the WebSocket hub.
 */
export class MetricsService extends EventEmitter {
  private days?: { today: string; table: DayTable };
  private readonly pushTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastPush = new Map<string, number>();
  private readonly lastPushed = new Map<string, string>();
  private readonly pushing = new Map<string, Promise<void>>();

  constructor(
    private readonly state: StateStore,
    private readonly registry: Registry,
    readonly timeZone: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /**
   * Day boundaries around today, recomputed when the day changes. While `now` is within today (the
   * table's own boundaries) the zone is not asked again: Intl's formatting was a per-apply cost.
   */
  dayTable(): DayTable {
    const now = this.now();
    const t = this.days?.table;
    if (t && now >= t[DAYS_BACK][0] && now < t[DAYS_BACK + 1][0]) return t;
    const today = dayOf(now, this.timeZone);
    if (this.days?.today !== today) this.days = { today, table: dayTable(now, this.timeZone, DAYS_BACK, DAYS_AHEAD) };
    return this.days.table;
  }

  /**
   * Applies every stream entry up to `upTo` ('+': the end) not applied yet, by whichever
   * controller, and acknowledges `ack` (entries the consumer group gave us) once applied.
   */
  async catchUp(upTo = '+', ack: string[] = []): Promise<void> {
    for (;;) {
      const r = await this.state.metricsApply(upTo, this.dayTable(), BATCH, ack);
      if (!r.more) return;
    }
  }

  async queueStats(queueId: string): Promise<QueueStats> {
    const q = this.registry.queue(queueId);
    await this.catchUp();
    const now = this.now();
    const day = dayOf(now, this.timeZone);
    const [t, waiting, agents] = await Promise.all([
      this.state.metricsDay('queue', q.id, day), this.waitingIn(q.id), this.agentsIn(q.id),
    ]);
    const n = (f: string) => t[f] ?? 0;
    const ratio = (a: number, b: number) => (b ? a / b : null);
    const callers = waiting.filter((w) => w.kind !== 'callback');
    const oldest = callers.reduce<number | null>((m, w) => (m === null || w.enqueuedAt < m ? w.enqueuedAt : m), null);
    const answered = n('answered');
    const abandoned = n('abandoned');
    return {
      queueId: q.id, day, timeZone: this.timeZone, serviceLevelSec: q.serviceLevelSec ?? 20,
      waiting: {
        callers: callers.length, longestWaitMs: oldest === null ? 0 : now - oldest,
        oldestEnqueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
        callbacks: waiting.filter((w) => w.kind === 'callback' && w.position !== null).length,
      },
      agents,
      today: {
        answered, abandoned, callbackRequests: n('callbackRequests'), timedOut: n('timedOut'), overflowed: n('overflowed'),
        handled: n('handled'), answeredWithinSl: n('answeredWithinSl'), abandonedWithinSl: n('abandonedWithinSl'),
        answerWaitMs: n('answerWaitMs'), abandonWaitMs: n('abandonWaitMs'), talkMs: n('talkMs'),
        handleCompleted: n('handleCompleted'), handleMs: n('handleMs'), wrapUpMs: n('wrapUpMs'),
        averageSpeedOfAnswerMs: ratio(n('answerWaitMs'), answered),
        averageHandleMs: ratio(n('handleMs'), n('handleCompleted')),
        serviceLevel: answered ? (100 * n('answeredWithinSl')) / answered : null,
        serviceLevel2: answered + abandoned ? (100 * (n('answeredWithinSl') + n('abandonedWithinSl'))) / (answered + abandoned) : null,
      },
    };
  }

  async agentStats(agentId: string): Promise<AgentStats> {
    const a = this.registry.agent(agentId);
    await this.catchUp();
    const now = this.now();
    const day = dayOf(now, this.timeZone);
    const [live, tracked, t] = await Promise.all([
      this.state.agentState(a.id), this.state.metricsAgent(a.id), this.state.metricsDay('agent', a.id, day),
    ]);
    // The metrics' own "since" changes only when the state does (the agent hash's also moves on
    // same-state updates such as logging in to one more queue).
    const since = tracked.state === live.state && tracked.since !== undefined ? tracked.since : live.since;
    const today = { handled: t.handled ?? 0, talkMs: t.talkMs ?? 0, pauseMs: t.pauseMs ?? 0, wrapUpMs: t.wrapUpMs ?? 0 };
    // the state the agent is in now counts for today up to now (from midnight if it began before)
    const ongoing = { on_call: 'talkMs', paused: 'pauseMs', wrap_up: 'wrapUpMs' }[live.state as string] as keyof typeof today | undefined;
    if (ongoing && since !== null) {
      const start = this.dayTable().find(([, d]) => d === day)?.[0] ?? since;
      today[ongoing] += Math.max(0, now - Math.max(since, start));
    }
    return {
      agentId: a.id, day, timeZone: this.timeZone,
      state: live.state, reason: live.reason, stateSince: since === null ? null : new Date(since).toISOString(),
      timeInStateMs: since === null ? null : now - since,
      callId: live.callId, loggedInQueues: live.queues, today,
    };
  }

  /** Every caller waiting in these queues (in line, or ringing an agent), longest wait first. */
  async waitingCallers(queueIds: string[]): Promise<WaitingCaller[]> {
    const now = this.now();
    const all = (await Promise.all(queueIds.map((q) => this.waitingIn(q)))).flat().filter((w) => w.kind !== 'callback');
    return all.sort((x, y) => x.enqueuedAt - y.enqueuedAt).map((w) => ({
      queueId: w.queueId, callId: w.id, callerNumber: w.callerNumber, callerName: w.callerName, position: w.position,
      state: w.position === null ? 'offered' : 'waiting', agentId: w.agentId ?? null,
      enqueuedAt: new Date(w.enqueuedAt).toISOString(), waitMs: now - w.enqueuedAt,
    }));
  }

  /** A queue's line (calls and callback requests, with their place) plus its calls ringing an agent now. */
  private async waitingIn(queueId: string): Promise<(CallRecord & { position: number | null })[]> {
    const line = await this.state.waiting(queueId);
    const inLine = (await Promise.all(line.map((w) => this.state.call(w.callId))))
      .map((c, i) => (c ? { ...c, position: i + 1 } : undefined));
    const agents = await Promise.all((await this.state.loggedInAgents(queueId)).map((id) => this.state.agentState(id)));
    const ringing = await Promise.all(agents.filter((a) => a.state === 'reserved' && a.callId).map((a) => this.state.call(a.callId as string)));
    const offered = ringing.filter((c): c is CallRecord => c?.state === 'offered' && c.queueId === queueId)
      .map((c) => ({ ...c, position: null }));
    return [...inLine.filter((c): c is CallRecord & { position: number } => c !== undefined), ...offered];
  }

  private async agentsIn(queueId: string): Promise<QueueStats['agents']> {
    const states = await Promise.all((await this.state.loggedInAgents(queueId)).map((id) => this.state.agentState(id)));
    const count = (pred: (s: (typeof states)[number]) => boolean) => states.filter(pred).length;
    // paused in this queue alone counts as paused here, though the agent takes other queues' calls
    const pausedHere = (s: (typeof states)[number]) => s.state === 'paused' || (s.state === 'ready' && Boolean(s.pausedQueues?.[queueId]));
    return {
      loggedIn: states.length,
      ready: count((s) => s.state === 'ready' && !pausedHere(s)),
      ringing: count((s) => s.state === 'reserved'),
      onCall: count((s) => s.state === 'on_call'),
      wrapUp: count((s) => s.state === 'wrap_up'),
      paused: count(pausedHere),
    };
  }

  /** Every controller sees every event: each pushes to its own WebSocket clients. */
  onEvent(e: AcdEvent): void {
    if (!RELEVANT.test(e.type)) return;
    const queues = new Set<string>();
    if (typeof e.queueId === 'string') queues.add(e.queueId);
    if (e.type === 'agent.state') {
      for (const q of (e.queues as string[] | undefined) ?? []) queues.add(q);
      // logging out of a queue leaves it out of `queues`: the agent's assigned queues cover it
      for (const q of this.registry.findAgent(String(e.agentId))?.queues ?? []) queues.add(q);
    }
    for (const q of queues) if (this.registry.findQueue(q)) this.schedulePush(q);
  }

  private schedulePush(queueId: string): void {
    if (this.pushTimers.has(queueId) || this.listenerCount('queue') === 0) return;   // the push already due reads the newest figures
    const wait = Math.max(0, (this.lastPush.get(queueId) ?? 0) + PUSH_INTERVAL_MS - Date.now());
    this.pushTimers.set(queueId, setTimeout(() => {
      this.pushTimers.delete(queueId);   // a change from now on schedules the next push
      // one push per queue at a time, in order: a slow read never overtakes a newer one
      const next = (this.pushing.get(queueId) ?? Promise.resolve()).then(() => this.push(queueId));
      this.pushing.set(queueId, next);
      void next.finally(() => { if (this.pushing.get(queueId) === next) this.pushing.delete(queueId); });
    }, wait));
  }

  private async push(queueId: string): Promise<void> {
    try {
      // the previous push may have gone out after this one was scheduled: keep the interval from it
      const wait = (this.lastPush.get(queueId) ?? 0) + PUSH_INTERVAL_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const s = await this.queueStats(queueId);
      // "changed" leaves out what moves with the clock alone
      const key = JSON.stringify({ ...s, waiting: { ...s.waiting, longestWaitMs: 0 } });
      if (this.lastPushed.get(queueId) === key) return;
      this.lastPushed.set(queueId, key);
      this.emit('queue', s);
      this.lastPush.set(queueId, Date.now());
    } catch (err) {
      this.log.warn('metrics push failed', { queueId, error: (err as Error).message });
    }
  }

  stop(): void {
    for (const t of this.pushTimers.values()) clearTimeout(t);
    this.pushTimers.clear();
  }
}
