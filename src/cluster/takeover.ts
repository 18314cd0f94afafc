import { wrapUpFor } from '../calls/wrapUp/policy';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import { NO_WRAPUP, type StateStore } from '../state/store';

/** Settles another node's callback requests or campaign calls as its own reconcile would, with none of their channels alive; the value: how many. */
export type NodeSettler = (deadNode: string) => Promise<number>;

/**
 * What a live controller does with a dead one's state (the dead node's Asterisk died with it, so
 * every channel it held is gone): each call leaves through call_lost — waiting, ringing and parked
 * callers are lost (counted once, as abandoned by the system), connected calls end and their agents
 * go to after-call work; callback requests it was serving go back to the line or end their attempt,
 * and its campaign calls are settled, through the same transitions its own reconcile uses. Every
 * step is one idempotent transition: run twice (a second claimant, or the node back with the same
 * id) it counts nothing twice.
 */
export class NodeTakeover {
  constructor(
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly self: string,
    private readonly settlers: { callbacks: NodeSettler; campaigns: NodeSettler },
    private readonly log: Logger,
  ) {}

  async run(dead: string): Promise<void> {
    let callersLost = 0;
    let callsEnded = 0;
    for (const callId of await this.state.nodeCalls(dead)) {
      const rec = await this.state.call(callId);
      const wrap = rec?.state === 'connected' && rec.agentId ? wrapUpFor(this.registry, rec.queueId, rec.agentId) : NO_WRAPUP;
      const r = await this.state.callLost(callId, dead, wrap);
      if (r.ok && r.value === 'lost') callersLost++;
      if (r.ok && r.value === 'ended') callsEnded++;
    }
    const callbacks = await this.settlers.callbacks(dead);
    const campaignCalls = await this.settlers.campaigns(dead);
    await this.state.nodeTakeoverDone(dead, this.self, { callersLost, callsEnded, callbacks, campaignCalls });
    this.log.warn('dead controller taken over', { node: dead, callersLost, callsEnded, callbacks, campaignCalls });
  }
}
