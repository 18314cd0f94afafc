import { NO_WRAPUP, type WrapUp } from '../domain/live';
import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** A JSON array from a script (Lua's cjson writes an empty table as {}). */
const list = (v: unknown): string[] => {
  const parsed: unknown = JSON.parse(String(v ?? '[]'));
  return Array.isArray(parsed) ? parsed.map(String) : [];
};

/**
 * Controllers' liveness and the takeover of a dead one's state (src/cluster). Part of StateStore
 * (src/state/store.ts).
 */
export class ClusterStore extends StoreBase {
  /** This controller's heartbeat; the live controllers and those due for a takeover. `fresh`: this node was not known as live before. */
  /** `awayMs`: a planned restart: count this node live that much longer. `heartbeatMs`: a longer gap between this node's beats means it was away itself. */
  async nodeHeartbeat(nodeId: string, lapseMs: number, awayMs = 0, heartbeatMs = Math.floor(lapseMs / 3)): Promise<{ live: string[]; due: string[]; fresh: boolean }> {
    const r = await this.runKeyed('node_heartbeat', [this.keys.nodes(), this.keys.nodesLost(), this.keys.events(), this.keys.nodesSince()], nodeId, lapseMs, awayMs, heartbeatMs) as unknown as [number, string, string, string];
    return { live: list(r[1]), due: list(r[2]), fresh: r[3] === '1' };
  }

  /** Claim a dead controller's state; the value is its last heartbeat (ms). */
  async nodeTakeover(dead: string, claimant: string, lapseMs: number, claimMs: number): Promise<TransitionOutcome<'node_takeover', number>> {
    return outcome(await this.runKeyed('node_takeover', [this.keys.nodes(), this.keys.nodesLost(), this.keys.events()], dead, claimant, lapseMs, claimMs), Number);
  }

  /** The takeover is done: what it settled goes into the node.taken_over event. */
  async nodeTakeoverDone(dead: string, claimant: string, settled: { callersLost: number; callsEnded: number; callbacks: number; campaignCalls: number }): Promise<void> {
    await this.runKeyed('node_takeover_done', [this.keys.nodesLost(), this.keys.events()], dead, claimant,
      settled.callersLost, settled.callsEnded, settled.callbacks, settled.campaignCalls);
  }

  /** A dead controller's call ends with it: 'lost' (never reached an agent) or 'ended' (connected; the agent goes to after-call work). */
  async callLost(callId: string, deadNode: string, wrap: WrapUp = NO_WRAPUP): Promise<TransitionOutcome<'call_lost', 'lost' | 'ended'>> {
    return outcome(await this.runKeyed('call_lost', [this.keys.call(callId), this.keys.events()], callId, deadNode, wrap.ms, wrap.maxMs, wrap.stepMs),
      (v) => v as 'lost' | 'ended');
  }
}
