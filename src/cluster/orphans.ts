import type { Ari } from '../ari/client';
import type { Logger } from '../logger';
import type { StateStore } from '../state/store';

/**
 * Calls of this node that a takeover counted lost while they were still up on its Asterisk — this
 * controller crashed and came back after the lapse while its Asterisk kept running, or it stalled
 * that long — are hung up, caller and agent leg: Redis has closed them and freed their agents, and
 * left in Asterisk the callers would wait with music for nobody. Run after every (re)connect's
 * reconcile and when this node learns it was taken over. The value: how many.
 */
export async function hangUpLostCalls(ari: Ari, state: StateStore, nodeId: string, log: Logger): Promise<number> {
  let hungUp = 0;
  for (const c of await ari.listChannels()) {
    const rec = await state.call(c.id);
    if (!rec || rec.node !== nodeId || rec.lost !== '1') continue;
    hungUp++;
    log.warn('a call counted lost by a takeover is still up on our Asterisk: hung up', { callId: c.id, state: rec.state });
    await ari.hangupQuietly(c.id);
    if (rec.agentChannelId) await ari.hangupQuietly(rec.agentChannelId);
  }
  return hungUp;
}
