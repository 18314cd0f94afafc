import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import { strategyFor } from '../routing';
import type { StateStore } from '../state/store';
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
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  onEvent(e: AcdEvent): void {
    if (e.type === 'call.queued' || e.type === 'call.offer_failed') this.kick(String(e.queueId));
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
    const local = this.calls.localWaiting(queueId);
    if (!queue || local.size === 0) return;
    const [waiting, ready] = await Promise.all([this.state.waiting(queueId), this.state.readyAgents(queueId)]);
    const pick = strategyFor(queue);
    let candidates = ready;
    // Callers in service order; a caller held by another controller is that controller's to offer.
    for (const { callId } of waiting) {
      if (!local.has(callId)) continue;
      for (;;) {
        const agent = pick(candidates);
        if (!agent) return;
        candidates = candidates.filter((c) => c.agentId !== agent.agentId);
        const r = await this.calls.offer(queue, callId, agent.agentId);
        if (r !== 'agent') break;     // offered, or this caller is gone: next caller
      }
    }
  }
}
