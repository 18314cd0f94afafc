import type { Logger } from '../../logger';

/**
 * How an agent-first call ended, for the feature that placed it:
 * - answered: the customer answered and talked with the agent (talkMs > 0);
 * - no_answer, busy, rejected: the customer's line (Q.850 18/19, 17, 21);
 * - failed: the customer could not be dialed or the network failed the call;
 * - refused: the destination policy refused the number, nothing was dialed;
 * - agent_hung_up: the agent hung up before the customer answered.
 */
export type AgentFirstOutcome = 'answered' | 'no_answer' | 'busy' | 'rejected' | 'failed' | 'refused' | 'agent_hung_up';

/** One call to place: the agent's phone first, then, once the agent answered, the customer. */
export interface AgentFirstRequest {
  /** The id of the call in the placing feature (a callback id, a campaign attempt id): the channel table's call id. */
  id: string;
  /** The offer's token (state/store reserve): it names the channels and the bridge, so a stale leg is recognised. */
  token: string;
  agentId: string;
  /** What the agent's phone shows, e.g. callerIdOf(`Callback ${queue.name}`, number): built with ari/callerId.ts. */
  agentCallerId: string;
  ringTimeoutSec: number;
  /** The customer's number as stored; dialed through the outbound route after the destination policy allows it. */
  number: string;
  /** Whose destination rules apply (queue id). */
  policyScope: string;
  /** What the customer's phone shows, e.g. callerIdOf(queue.name, queue.extension). */
  customerCallerId: string;
  dialTimeoutSec: number;
  log: Logger;
}

/**
 * One dialer per placing feature: its own Stasis kinds and channel names, so each feature's legs
 * (and its reconcile) are its own. Channels are `${prefix}offer-<token>` (agent) and
 * `${prefix}cust-<token>` (customer), the bridge `${prefix}-<token>`.
 */
export interface AgentFirstOptions {
  /** The owner name of the legs in the channel table (a CallFeature name). */
  name: string;
  prefix: string;
  /** StasisStart kinds of the agent's leg (args: id, token) and the customer's (args: id). */
  agentKind: string;
  customerKind: string;
  /** The outbound dial template, `PJSIP/{number}@trunk` (config outboundDial). */
  outboundDial: string;
}

/** What the placing feature does at each step; every step's state change is its Redis transition. */
export interface AgentFirstHooks {
  /** The agent answered: take the call in Redis (state.accept). false: the offer is stale, the agent leg is hung up. */
  agentAnswered(bridgeId: string): Promise<boolean>;
  /** With the agent on the line, before the customer is dialed (a callback plays the caller's message here). */
  beforeDial?(agentChannelId: string): Promise<void>;
  /**
   * The agent's phone did not answer (or could not be rung): nothing was dialed. `outcome` and
   * `pauseReason` from the Q.850 cause (calls/core unansweredOutcome).
   */
  agentNotReached(outcome: string, pauseReason: string | null): Promise<void>;
  /** The customer answered and is bridged with the agent (optional: a campaign records it, so a restart knows the call was connected). */
  customerAnswered?(): Promise<void>;
  /** The call is over and the agent's leg gone (or it took too long): record it; this is what frees the agent. */
  finished(outcome: AgentFirstOutcome, talkMs: number): Promise<void>;
}

/** Agent-first outbound calls (callbacks today, campaign calls next). */
export interface AgentFirstDialer {
  /** Ring the agent with the request's caller ID; on answer, dial the customer with ringback to the agent, then bridge. */
  start(req: AgentFirstRequest, hooks: AgentFirstHooks): Promise<void>;
  /** The offer expired (its Redis deadline): stop ringing the agent. true when this controller was placing it with this token. */
  cancel(id: string, token: string): Promise<boolean>;
  /** Is this controller placing the call now? */
  isPlacing(id: string): boolean;
  /** The agent's leg of the call with this token (known before start: the offer's Redis record names it). */
  agentChannelOf(token: string): string;
  /** The customer's leg of the call with this token (reconcile looks for it). */
  customerChannelOf(token: string): string;
}
