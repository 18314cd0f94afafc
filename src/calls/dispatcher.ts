import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import { Candidate, needs, strategyFor } from '../routing';
import type { CallRecord, StateStore } from '../state/store';
import { CallbackService, isCallback } from '../callbacks/callbackService';
import type { CallService } from './callService';

/**
 * Matches waiting callers with ready agents. It runs when something changes that could make a
 * match — a caller queued, an agent became ready, an offer failed — as seen on the event stream,
 * whichever controller caused it. No polling. Runs per queue are coalesced: a change during a run
 * makes one more run, never two at once.
 */
export class Dispatcher {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();

  constructor(
    private readonly calls: CallService,
    private readonly callbacks: CallbackService,
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
    if (['call.queued', 'call.offer_failed', 'callback.queued', 'callback.preference_ended'].includes(e.type)) this.kick(String(e.queueId));
    else if (e.type === 'agent.state' && e.state === 'ready') for (const q of e.queues as string[]) this.kick(q);
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

  private async dispatch(queueId: string): Promise<void> {
    const queue = this.registry.findQueue(queueId);
    if (!queue || !this.online()) return;
    const local = this.calls.localWaiting(queueId);
    // Callers in service order. A caller held by another controller is that controller's to offer;
    // a callback request has no channel yet, so any controller may serve it.
    const entries = (await this.state.waiting(queueId)).filter((w) => local.has(w.callId) || isCallback(w.callId));
    if (!entries.length) return;
    let candidates: Candidate[] = await this.state.readyAgents(queueId);
    const pick = strategyFor(queue);
    const need = needs(queue);
    if (need.today) {
      candidates = await Promise.all(candidates.map(async (c) => {
        const t = await this.today(c.agentId);
        return { ...c, callsToday: t.calls, talkTodayMs: t.talkMs };
      }));
    }
    const ctx = { order: queue.agentOrder, random: this.random, lastAgentId: need.last ? await this.state.lastOfferedAgent(queueId) : undefined };
    const now = Date.now();
    for (const { callId } of entries) {
      if (!candidates.length) return;
      const callback = isCallback(callId) ? await this.state.call(callId) : undefined;
      let pool = callback ? this.callbackCandidates(queueId, callback, candidates, now) : candidates;
      for (;;) {
        const agent = pick(pool, ctx);
        if (!agent) break;            // nobody suitable for this one: the next may still be served
        candidates = candidates.filter((c) => c.agentId !== agent.agentId);
        pool = pool.filter((c) => c.agentId !== agent.agentId);
        const r = callback
          ? await this.callbacks.offer(queue, callId, agent.agentId)
          : await this.calls.offer(queue, callId, agent.agentId);
        if (r === 'offered') ctx.lastAgentId = agent.agentId;
        if (r !== 'agent') break;     // offered, or this entry is gone: next entry
      }
    }
  }

  /** Only agents with callbacks enabled in this queue; only the preferred one while its window lasts. */
  private callbackCandidates(queueId: string, cb: CallRecord, candidates: Candidate[], now: number): Candidate[] {
    const able = candidates.filter((c) => this.registry.findAgent(c.agentId)?.callbackQueues.includes(queueId));
    if (cb.preferredAgentId && (cb.preferredUntil ?? 0) > now) return able.filter((c) => c.agentId === cb.preferredAgentId);
    return able;
  }
}
