import { ALONE, type LineView } from '../../cluster/liveness';
import { CoalescedRuns } from '../../coalescing/coalescedRuns';
import type { Queue } from '../../config/schema';
import type { AcdEvent } from '../../events/bus';
import type { Logger } from '../../logger';
import type { Registry } from '../../registry/registry';
import { Candidate, RoutingContext, eligible, needs, requirement, strategyFor, wideningPointsMs } from '../../routing';
import type { StateStore } from '../../state/store';
import type { OfferSource } from '../core';
import type { CallService } from './callService';

/** The queue entries that are not callers on a channel, by the feature that owns them (CallCore.offerSourceFor). */
export type OfferSources = (entryId: string) => OfferSource | undefined;

/** The line is read this many callers at a time, then twice as many, up to WAITING_PAGE_MAX. */
const WAITING_PAGE = 4;
const WAITING_PAGE_MAX = 64;
/** The most callers one run looks at (as many as it read before it read in pages). */
const WAITING_SCAN_MAX = 1000;
/** Ready agents are read this many at a time (longest-idle), then twice as many, up to READY_PAGE_MAX. */
const READY_PAGE = 8;
const READY_PAGE_MAX = 256;

/** How many of another queue's earliest callers fairness looks at for a shared agent. */
const FAIRNESS_LOOKAHEAD = 5;
/** When an agent was left to another queue's earlier caller, look again this soon in case it was not taken. */
const FAIRNESS_RECHECK_MS = 250;
/**
 * The longest an agent is kept for another queue's caller that does not take it (a caller keying
 * into the callback IVR, one whose controller lost Asterisk): then fairness gives way, no agent
 * idles while callers wait.
 */
const FAIRNESS_MAX_DEFER_MS = 3000;

/** When an agent was left to a caller another controller holds, look again this soon in case it was not taken. */
const HOLDER_RECHECK_MS = 250;
/**
 * The longest an agent is left to another controller's caller that the holder does not take (its
 * caller is in the callback IVR, its ARI is down, it stalls): then the agent serves this
 * controller's later callers, so no agent idles while callers wait. A dead holder is not waited
 * for at all (LineView.isLive).
 */
const HOLDER_MAX_DEFER_MS = 2000;

/**
 * Matches waiting callers with ready agents. It runs when something changes that could make a
 * match — a caller queued, an agent became ready, an offer failed — as seen on the event stream,
 * whichever controller caused it, and when a waiting caller's requirement widens with time
 * (skill relaxation, agent tiers). No polling. Runs per queue are coalesced: a change during a run
 * makes one more run, never two at once.
 */
export class Dispatcher {
  private readonly runs = new CoalescedRuns((queueId) => this.dispatch(queueId),
    (queueId, err) => this.log.error('dispatch failed', { queueId, error: err.message }));
  /** Per queue: the next moment a waiting caller's set of eligible agents grows. */
  private readonly looks = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Agents being left to another queue's earlier caller, since when. */
  private readonly deferred = new Map<string, number>();
  /** Agents being left to an earlier caller another controller holds, since when. */
  private readonly leftToHolder = new Map<string, number>();

  constructor(
    private readonly calls: CallService,
    private readonly sources: OfferSources,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly log: Logger,
    /** Offers need Asterisk: while ARI is down nothing is offered (reconnect dispatches every queue). */
    private readonly online: () => boolean = () => true,
    /** Today's handled calls and talk time per agent (fewest-calls, least-talk-time), from the metrics. */
    private readonly today: (agentId: string) => Promise<{ calls: number; talkMs: number }> = async () => ({ calls: 0, talkMs: 0 }),
    private readonly random: () => number = Math.random,
    /** Which controllers are alive (src/cluster): whose callers in the line this one waits for. */
    private readonly line: LineView = ALONE,
  ) {}

  onEvent(e: AcdEvent): void {
    if (['call.queued', 'call.offer_failed', 'callback.queued', 'callback.preference_ended', 'call.updated'].includes(e.type)) this.kick(String(e.queueId));
    else if (e.type === 'agent.state' && e.state === 'ready') for (const q of e.queues as string[]) this.kick(q);
    // a deferral lasts while the agent stays ready: an agent that took a call starts afresh
    if (e.type === 'agent.state' && e.state !== 'ready') { this.deferred.delete(String(e.agentId)); this.leftToHolder.delete(String(e.agentId)); }
  }

  kick(queueId: string): void {
    this.runs.kick(queueId);
  }

  /** Stop the widening timers (shutdown). */
  stop(): void {
    for (const l of this.looks.values()) clearTimeout(l.timer);
    this.looks.clear();
  }

  /**
   * One run for a queue. It reads a bounded amount whatever the queue holds: the ready agents a page
   * at a time in longest-idle order (the ready set's own order) for the strategies that take the
   * first suitable agent in that order, and the line a page at a time in service order, going on
   * only while there are both agents left and callers not yet looked at (at most the first
   * WAITING_SCAN_MAX callers, as before). Strategies that compare every ready agent (round-robin,
   * linear, random, fewest-calls, least-talk-time, skills-based) and ring-all read them all.
   */
  private async dispatch(queueId: string): Promise<void> {
    const queue = this.registry.findQueue(queueId);
    if (!queue || !this.online()) return;
    const need = needs(queue);
    const ready = new ReadyAgents(queue, (limit, from) => this.state.readyAgents(queueId, limit, from), async (rows) => {
      const out: Candidate[] = rows.map((c) => {
        const agent = this.registry.findAgent(c.agentId);
        return { ...c, skills: agent?.skills ?? {}, penalty: agent?.penalties[queueId] ?? 0 };
      });
      if (!need.today) return out;
      return Promise.all(out.map(async (c) => {
        const t = await this.today(c.agentId);
        return { ...c, callsToday: t.calls, talkTodayMs: t.talkMs };
      }));
    });
    if (!(await ready.any())) return;
    const pick = strategyFor(queue);
    const fairness = new FairnessView(this.state, queueId);
    const ctx = { order: queue.agentOrder, random: this.random, lastAgentId: need.last ? await this.state.lastOfferedAgent(queueId) : undefined };
    const now = Date.now();
    const widenings = wideningPointsMs(queue);
    let nextLook = Infinity;
    // Callers in service order, a page at a time: one line across controllers. A caller held by
    // another live controller is that controller's to offer (only its Asterisk has the caller's
    // channel), and its dispatcher runs on the same events as this one; so this one takes from its
    // pool the agent that caller gets (by the same strategy) and leaves it for the holder, instead of
    // giving it to a later caller of its own. Leaving rather than handing over (reserving the agent
    // here for the holder's caller and telling the holder) keeps one path to an offer, costs no
    // extra round trip or message, and needs no new failure handling when the holder is slow or
    // gone: the offer is still reserved atomically by whoever makes it (offer_reserve), the wait for
    // a holder that does not take is bounded (HOLDER_MAX_DEFER_MS), and a dead holder's callers are
    // not waited for. A callback request has no channel yet, so any controller may serve it.
    const line = new ZsetCursor((limit, from) => this.state.waiting(queueId, limit, from), (w) => w.callId, (w) => w.vtime);
    let scanned = 0;
    let page = WAITING_PAGE;
    let leftToHolders = false;
    lines: while (scanned < WAITING_SCAN_MAX && (await ready.any())) {
      const batch = await line.next(Math.min(page, WAITING_SCAN_MAX - scanned));
      if (!batch.length) break;
      scanned += batch.length;
      page = Math.min(page * 2, WAITING_PAGE_MAX);
      // (one read for the page, as before: the facts say who holds each caller)
      const facts = await this.state.waitingFacts(batch.map((e) => e.callId));
      for (const { callId, vtime } of batch) {
        if (!(await ready.any())) break lines;
        const f = facts.get(callId);
        if (!f) continue;
        const source = this.sources(callId);
        const here = this.calls.isWaitingHere(queueId, callId);
        // held by another live controller (not this one's caller in the callback IVR, not a dead one's)
        const holder = !here && !source && f.node !== undefined && f.node !== this.line.self && this.line.isLive(f.node);
        if (!here && !source && !holder) continue;
        const waited = now - f.enqueuedAt;
        const poolNow = async () => {
          const p = eligible(ready.list, queue, f.skills, waited);
          // some ready agents do not qualify yet: look again when the requirement widens
          const later = widenings.filter((t) => t > waited);
          if (p.length < ready.list.length && later.length) nextLook = Math.min(nextLook, f.enqueuedAt + Math.min(...later));
          return source ? source.candidates(queueId, callId, p, now) : p;
        };
        let pool = await poolNow();
        if (holder) {
          if (await this.leaveToHolder(queue, pool, ready, { ...ctx, required: requirement(queue, f.skills, waited) }, poolNow)) leftToHolders = true;
          continue;
        }
        if (queue.strategy === 'ring-all' && !source) {
          const owed = await this.owedElsewhere(queue, vtime, pool, fairness);
          pool = pool.filter((c) => !owed.has(c.agentId));
          if (!pool.length) continue;
          const ringing = new Set(pool.map((c) => c.agentId));
          const r = await this.calls.offerAll(queue, callId, [...ringing]);
          // offered or not, these agents are taken or not ready: the next caller rings whoever is left
          if (r !== 'call') for (const id of ringing) ready.remove(id);
          continue;
        }
        const required = requirement(queue, f.skills, waited);
        for (;;) {
          const agent = pick(pool, { ...ctx, required });
          if (!agent) {
            // nobody suitable among the agents read so far: read on, or the next caller may still be served
            if (await ready.more()) { pool = await poolNow(); continue; }
            break;
          }
          ready.remove(agent.agentId);
          pool = pool.filter((c) => c.agentId !== agent.agentId);
          // owed to an earlier caller elsewhere: left for that queue (and so for this queue's later callers too)
          if ((await this.owedElsewhere(queue, vtime, [agent], fairness)).size) continue;
          const r = source
            ? await source.offer(queue, callId, agent.agentId)
            : await this.calls.offer(queue, callId, agent.agentId);
          if (r === 'offered') ctx.lastAgentId = agent.agentId;
          if (r !== 'agent') break;     // offered, or this entry is gone: next entry
        }
      }
    }
    // an agent left to an earlier caller elsewhere comes back here if that queue does not take it
    if (fairness.skipped) nextLook = Math.min(nextLook, Date.now() + FAIRNESS_RECHECK_MS);
    // and one left to another controller's caller, if that controller does not take it
    if (leftToHolders) nextLook = Math.min(nextLook, Date.now() + HOLDER_RECHECK_MS);
    this.lookAgainAt(queueId, nextLook);
  }

  /**
   * A caller another controller holds is next in line: the agent (ring-all: the agents) it gets by
   * this queue's strategy is left for that controller to offer, and so kept from this one's later
   * callers. An agent left this way for HOLDER_MAX_DEFER_MS and still ready was not taken: it is
   * not left again (until it has been busy), and then nothing is kept for that caller here.
   * True when some agent was left.
   */
  private async leaveToHolder(queue: Queue, pool: Candidate[], ready: ReadyAgents, ctx: RoutingContext,
    poolNow: () => Promise<Candidate[]>): Promise<boolean> {
    const now = Date.now();
    const mayLeave = (agentId: string) => {
      const since = this.leftToHolder.get(agentId);
      if (since !== undefined && now - since >= HOLDER_MAX_DEFER_MS) return false;
      if (since === undefined) this.leftToHolder.set(agentId, now);
      return true;
    };
    if (queue.strategy === 'ring-all') {
      let left = false;
      for (const c of pool) if (mayLeave(c.agentId)) { ready.remove(c.agentId); left = true; }
      return left;
    }
    const pick = strategyFor(queue);
    for (;;) {
      const agent = pick(pool, ctx);
      if (!agent) {
        if (await ready.more()) { pool = await poolNow(); continue; }
        return false;
      }
      if (!mayLeave(agent.agentId)) return false;
      ready.remove(agent.agentId);
      return true;
    }
  }

  /**
   * Fairness across queues: an agent logged in to several queues goes to the caller who has waited
   * longest among them — the lowest virtual enqueue time, less each queue's weight. Of these agents,
   * those owed to an earlier caller elsewhere (one they may serve) are left for that queue, which is
   * told to look. Checked for the agent a strategy picked, not for every ready agent: one read each.
   */
  private async owedElsewhere(queue: Queue, vtime: number, agents: Candidate[], view: FairnessView): Promise<Set<string>> {
    const mine = vtime - queue.weight * 1000;
    const owed = new Set<string>();
    const now = Date.now();
    for (const c of agents) {
      let owedTo: string | undefined;
      const since = this.deferred.get(c.agentId);
      if (since === undefined || now - since < FAIRNESS_MAX_DEFER_MS) {
        for (const qid of await view.otherQueues(c.agentId)) {
          const other = this.registry.findQueue(qid);
          if (!other) continue;
          const earlier = (await view.head(qid)).filter((w) => w.vtime - other.weight * 1000 < mine
            || (w.vtime - other.weight * 1000 === mine && qid < queue.id));
          // an offer source's entry (a callback request) only counts for agents who take those in that queue
          const servable = earlier.filter((w) => { const src = this.sources(w.callId); return !src || src.takes(c.agentId, qid); });
          if (servable.some((w) => eligible([c], other, w.skills, now - w.enqueuedAt).length > 0)) { owedTo = qid; break; }
        }
      }
      if (owedTo) {
        view.skipped = true;
        if (since === undefined) this.deferred.set(c.agentId, now);
        owed.add(c.agentId);
        this.kick(owedTo);
      } else {
        this.deferred.delete(c.agentId);
      }
    }
    return owed;
  }

  /** One timer per queue, at the earliest moment a waiting caller's requirement widens. */
  private lookAgainAt(queueId: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const current = this.looks.get(queueId);
    if (current && current.at <= at && current.at > Date.now()) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => { this.looks.delete(queueId); this.kick(queueId); }, Math.max(0, at - Date.now()) + 20);
    timer.unref();
    this.looks.set(queueId, { at, timer });
  }
}

/**
 * What fairness reads of the other queues during one dispatch run, each read once: an agent's
 * other queues (logged in and not paused there: a queue the agent is paused in has no claim on
 * it), and the earliest callers of those queues.
 */
class FairnessView {
  /** An agent was left to another queue during this run. */
  skipped = false;
  private readonly queues = new Map<string, Promise<string[]>>();
  private readonly heads = new Map<string, Promise<{ callId: string; vtime: number; enqueuedAt: number; skills: Record<string, number> }[]>>();

  constructor(private readonly state: StateStore, private readonly queueId: string) {}

  otherQueues(agentId: string): Promise<string[]> {
    let q = this.queues.get(agentId);
    if (!q) {
      q = this.state.agentServingQueues(agentId).then((qs) => qs.filter((x) => x !== this.queueId));
      this.queues.set(agentId, q);
    }
    return q;
  }

  head(queueId: string): Promise<{ callId: string; vtime: number; enqueuedAt: number; skills: Record<string, number> }[]> {
    let h = this.heads.get(queueId);
    if (!h) {
      h = (async () => {
        const w = await this.state.waiting(queueId, FAIRNESS_LOOKAHEAD);
        const facts = await this.state.waitingFacts(w.map((x) => x.callId));
        return w.flatMap((x) => { const f = facts.get(x.callId); return f ? [{ ...x, ...f }] : []; });
      })();
      this.heads.set(queueId, h);
    }
    return h;
  }
}

/**
 * Reads a sorted set in score order a page at a time, each page from where the last one ended (by
 * score, so that members removed meanwhile — callers offered, agents reserved — shift nothing).
 * Members sharing the boundary score are told apart by id. A member that comes in meanwhile ahead
 * of where the reading is (an agent ready again with its old idle time) is for the next run: the
 * change that brought it kicks one.
 */
class ZsetCursor<T> {
  private from: number | undefined;
  private atFrom = new Set<string>();
  exhausted = false;

  constructor(
    private readonly fetch: (limit: number, from?: number) => Promise<T[]>,
    private readonly id: (t: T) => string,
    private readonly score: (t: T) => number,
  ) {}

  async next(count: number): Promise<T[]> {
    if (this.exhausted) return [];
    const ask = Number.isFinite(count) ? count + this.atFrom.size : count;
    const raw = await this.fetch(ask, this.from);
    const from = this.from;
    const fresh = from === undefined ? raw : raw.filter((t) => this.score(t) > from || (this.score(t) === from && !this.atFrom.has(this.id(t))));
    if (!(raw.length >= ask) || !fresh.length) this.exhausted = true;
    for (const t of fresh) {
      if (this.from === undefined || this.score(t) > this.from) { this.from = this.score(t); this.atFrom = new Set(); }
      this.atFrom.add(this.id(t));
    }
    return fresh;
  }
}

/**
 * The ready agents one run works with. For longest-idle the strategy takes the first suitable agent
 * in idle order, which is the ready set's order: a page is enough until nobody in it suits, then the
 * next page. Agent tiers need the lowest tier present among all suitable agents: as soon as an agent
 * of a higher tier is read, the rest are read too. Every other strategy reads all of them at once.
 */
class ReadyAgents {
  /** Read, not yet taken, in idle order. */
  list: Candidate[] = [];
  private readonly seen = new Set<string>();
  private readonly cursor: ZsetCursor<{ agentId: string; idleSince: number }>;
  private readonly paged: boolean;
  private page = READY_PAGE;

  constructor(
    queue: Queue,
    fetch: (limit?: number, from?: number) => Promise<{ agentId: string; idleSince: number }[]>,
    private readonly enrich: (rows: { agentId: string; idleSince: number }[]) => Promise<Candidate[]>,
  ) {
    this.paged = queue.strategy === 'longest-idle';
    this.cursor = new ZsetCursor((limit, from) => (Number.isFinite(limit) ? fetch(limit, from) : fetch()), (r) => r.agentId, (r) => r.idleSince);
  }

  /** Some agent is left (reading the next page if those read are all taken). */
  async any(): Promise<boolean> {
    return this.list.length > 0 || this.more();
  }

  /** Read the next page; false when there was nothing more to read. */
  async more(): Promise<boolean> {
    let added = false;
    let all = !this.paged;
    while (!this.cursor.exhausted) {
      // (an agent read already can come again, ready anew with a later idle time: skipped)
      const rows = (await this.cursor.next(all ? Infinity : this.page)).filter((r) => !this.seen.has(r.agentId));
      this.page = Math.min(this.page * 2, READY_PAGE_MAX);
      for (const r of rows) this.seen.add(r.agentId);
      const read = await this.enrich(rows);
      this.list.push(...read);
      if (read.length) added = true;
      // a higher tier read: which tier is the lowest present is known only from all of them
      if (read.some((c) => (c.penalty ?? 0) > 0)) all = true;
      if (added && !all) break;
    }
    return added;
  }

  remove(agentId: string): void {
    this.list = this.list.filter((c) => c.agentId !== agentId);
  }
}
