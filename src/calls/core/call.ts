import type { Queue } from '../../config/schema';
import type { Logger } from '../../logger';

/**
 * What this controller holds in memory about a call whose caller's channel lives on its Asterisk.
 * It is a cache for event handling: Redis holds the truth, and reconcile rebuilds it from there.
 * What a feature adds to a call (a conference's parties, a consultation, a recording) the feature
 * keeps in its own table by call id, not here.
 */
export interface CallSession {
  callId: string;
  queueId: string;
  callerChannelId: string;
  callerNumber: string;
  /**
   * waiting: in line (music or ringback); offered: an agent's phone rings; connected: bridged with an
   * agent; ivr: a feature took the caller out of routing (the callback IVR), keeping their place in
   * Redis; parked: in a parking slot with music, no agent.
   */
  state: 'waiting' | 'offered' | 'connected' | 'ivr' | 'parked';
  /**
   * The agent's phone ringing for this call. Ring-all rings several at once: `legs` maps each
   * ringing channel to its agent (agentId and agentChannelId are '' until one answers).
   * `ariOutages`: the ARI connection's drop count when the agent was rung (an agent leg that ends
   * after a drop may have been answered with nobody here to take it).
   */
  offer?: { token: string; agentId: string; agentChannelId: string; legs?: Map<string, string>; ariOutages?: number };
  connected?: { agentId: string; agentChannelId: string; bridgeId: string };
  /** Taken over from Redis at a reconcile (a restart or an ARI reconnect), not begun in this process. */
  recovered?: boolean;
  log: Logger;
}

/** A call known to be connected (the in-call features work on these). */
export type ConnectedCall = CallSession & { connected: NonNullable<CallSession['connected']> };

/**
 * The typed lifecycle of calls, one emitter for every feature (CallCore.events). Features that ride
 * on a live call listen here instead of being called by name.
 */
export interface CallEventMap {
  /** A caller of ours started (or went back to) waiting in this queue. */
  queued: [CallSession, Queue];
  /** Caller and agent are bridged (session.connected has the bridge); again after a reconcile. */
  connected: [CallSession];
  /** The connected call is about to end: features with legs of their own in it hang them up. */
  ending: [CallSession];
  /** The connected call is over (or the agent left it: transfer, park) and its bridge about to go. */
  ended: [CallSession];
  /**
   * Something in this queue waits for an agent (a caller of ours joined it, an offer failed, a caller came back from a
   * feature). The dispatcher also reacts to the stream event, but that event can arrive before this
   * controller has updated its session; this closes the gap.
   */
  waiting: [string];
  /** The caller hung up while a feature held them out of the line (state 'ivr'): not an abandon. */
  ivrCallerGone: [CallSession];
}
