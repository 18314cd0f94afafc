import type { Logger } from '../logger';

/**
 * What this controller holds in memory about a call whose channels live on its Asterisk. It is a
 * cache for event handling: Redis holds the truth, and reconcile() rebuilds sessions from it.
 */
export interface CallSession {
  callId: string;
  queueId: string;
  callerChannelId: string;
  callerNumber: string;
  /** ivr: the caller is requesting a callback (prompts, recording); no agent is offered meanwhile. */
  state: 'waiting' | 'offered' | 'connected' | 'ivr' | 'parked';
  /**
   * The agent's phone ringing for this call. Ring-all rings several at once: `legs` maps each
   * ringing channel to its agent (agentId and agentChannelId are '' until one answers).
   */
  /** `ariOutages`: the ARI connection's drop count when the agent was rung (see CallService.onChannelGone). */
  offer?: { token: string; agentId: string; agentChannelId: string; legs?: Map<string, string>; ariOutages?: number };
  connected?: { agentId: string; agentChannelId: string; bridgeId: string };
  /** Third parties in a three-way call: party id → their channel. */
  parties?: Map<string, { channelId: string; target: string; joined: boolean }>;
  /** Attended transfer in progress: the target being consulted while the caller holds. */
  consult?: { id: string; channelId: string; kind: 'agent' | 'extension'; target: string; answered: boolean };
  log: Logger;
}

/** Which call a channel belongs to, and as which party. */
export interface ChannelRef { callId: string; role: 'caller' | 'agent' | 'party' | 'consult'; partyId?: string }

/** Why an offered agent leg ended without answer, from the Q.850 cause, and how the agent is paused. */
export function unansweredOutcome(cause: number): { outcome: string; pauseReason: string } {
  switch (cause) {
    case 18: case 19: return { outcome: 'no-answer', pauseReason: 'no-answer' };
    case 17: return { outcome: 'busy', pauseReason: 'busy' };
    case 21: return { outcome: 'rejected', pauseReason: 'rejected' };
    default: return { outcome: 'unreachable', pauseReason: 'unreachable' };
  }
}
