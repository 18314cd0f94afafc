import type { Queue } from '../../config/schema';
import type { AcdEvent } from '../../events/bus';
import type { Logger } from '../../logger';
import type { Registry } from '../../registry/registry';
import { Candidate, eligible, needs, requirement, strategyFor, wideningPointsMs } from '../../routing';
import type { StateStore } from '../../state/store';
import type { OfferSource } from '../core';
import type { CallService } from './callService';

/** The queue entries that are not callers on a channel, by the feature that owns them (CallCore.offerSourceFor). */
export type OfferSources = (entryId: string) => OfferSource | undefined;

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

/**
 * Matches waiting callers with ready agents. It runs when something changes that could make a
 * match — a caller queued, an agent became ready, an offer failed — as seen on the event stream,
 * whichever controller caused it, and when a waiting caller's requirement widens with time
 * (skill relaxation, agent tiers). No polling. Runs per queue are coalesced: a change during a run
 * makes one more run, never two at once.
 */
export class Dispatcher {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  /** Per queue: the next moment a waiting caller's set of eligible agents grows. */
  private readonly looks = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Agents being left to another queue's earlier caller, since when. */
  private readonly deferred = new Map<string, number>();

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
  ) {}

  onEvent(e: AcdEvent): void {
    if (['call.queued', 'call.offer_failed', 'callback.queued', 'callback.preference_ended', 'call.updated'].includes(e.type)) this.kick(String(e.queueId));
    else if (e.type === 'agent.state' && e.state === 'ready') for (const q of e.queues as string[]) this.kick(q);
    // a deferral lasts while the agent stays ready: an agent that took a call starts afresh
    if (e.type === 'agent.state' && e.state !== 'ready') this.deferred.delete(String(e.agentId));
  }

  kick(queueId: string): void {
    if (this.running.has(queueId)) { this.again.add(queueId); return; }
    this.running.add(queueId);
    void (async () => {
      try {
        do {
          this.again.delete(queueId);
          await this.dispatch(queueId);
        } while (this.again.has(queueId));
      } catch (err) {
        this.log.error('dispatch failed', { queueId, error: (err as Error).message });
      } finally {
        this.running.delete(queueId);
      }
    })();
  }

  /** Stop the widening timers (shutdown). */
  stop(): void {
    for (const l of this.looks.values()) clearTimeout(l.timer);
    this.looks.clear();
  }

  private async dispatch(queueId: string): Promise<void> {
    const queue = this.registry.findQueue(queueId);
    if (!queue || !this.online()) return;
    const local = this.calls.localWaiting(queueId);
    // Callers in service order. A caller held by another controller is that controller's to offer;
    // an entry of an offer source (a callback request) has no channel yet, so any controller may serve it.
    const entries = (await this.state.waiting(queueId)).filter((w) => local.has(w.callId) || this.sources(w.callId));
    if (!entries.length) return;
    let candidates: Candidate[] = (await this.state.readyAgents(queueId)).map((c) => {
      const agent = this.registry.findAgent(c.agentId);
      return { ...c, skills: agent?.skills ?? {}, penalty: agent?.penalties[queueId] ?? 0 };
    });
    if (!candidates.length) return;
    const pick = strategyFor(queue);
    const need = needs(queue);
    if (need.today) {
      candidates = await Promise.all(candidates.map(async (c) => {
        const t = await this.today(c.agentId);
        return { ...c, callsToday: t.calls, talkTodayMs: t.talkMs };
      }));
    }
    const facts = await this.state.waitingFacts(entries.map((e) => e.callId));
    const fairness = new FairnessView(this.state, queueId);
    const ctx = { order: queue.agentOrder, random: this.random, lastAgentId: need.last ? await this.state.lastOfferedAgent(queueId) : undefined };
    const now = Date.now();
    const widenings = wideningPointsMs(queue);
    let nextLook = Infinity;
    for (const { callId, vtime } of entries) {
      if (!candidates.length) break;
      const f = facts.get(callId);
      if (!f) continue;
      const waited = now - f.enqueuedAt;
      const source = this.sources(callId);
      let pool = eligible(candidates, queue, f.skills, waited);
      // some ready agents do not qualify yet: look again when the requirement widens
      const later = widenings.filter((t) => t > waited);
      if (pool.length < candidates.length && later.length) nextLook = Math.min(nextLook, f.enqueuedAt + Math.min(...later));
      if (source) pool = await source.candidates(queueId, callId, pool, now);
      if (queue.strategy === 'ring-all' && !source) {
        const owed = await this.owedElsewhere(queue, vtime, pool, fairness);
        pool = pool.filter((c) => !owed.has(c.agentId));
        if (!pool.length) continue;
        const ringing = new Set(pool.map((c) => c.agentId));
        const r = await this.calls.offerAll(queue, callId, [...ringing]);
        // offered or not, these agents are taken or not ready: the next caller rings whoever is left
        if (r !== 'call') candidates = candidates.filter((c) => !ringing.has(c.agentId));
        continue;
      }
      const required = requirement(queue, f.skills, waited);
      for (;;) {
        const agent = pick(pool, { ...ctx, required });
        if (!agent) break;            // nobody suitable for this one: the next may still be served
        candidates = candidates.filter((c) => c.agentId !== agent.agentId);
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
    // an agent left to an earlier caller elsewhere comes back here if that queue does not take it
    if (fairness.skipped) nextLook = Math.min(nextLook, Date.now() + FAIRNESS_RECHECK_MS);
    this.lookAgainAt(queueId, nextLook);
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
