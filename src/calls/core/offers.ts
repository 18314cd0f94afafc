import type { Queue } from '../../config/schema';
import type { Candidate } from '../../routing';

/** What an offer came to: 'agent': that agent was not ready; 'call': the entry no longer waits. */
export type OfferResult = 'offered' | 'agent' | 'call';

/**
 * A kind of queue entry that is not a caller on a channel (a callback request, a campaign call...):
 * the dispatcher asks the source that owns an entry instead of knowing the feature. Waiting callers
 * themselves are the queueing feature's and need no source.
 */
export interface OfferSource {
  /** Is this queue entry (a call id in the waiting list) one of this source's? */
  isMine(entryId: string): boolean;
  /** Which of the eligible ready agents may take this entry now; [] when none (or it is gone). */
  candidates(queueId: string, entryId: string, pool: Candidate[], now: number): Promise<Candidate[]>;
  /** May this agent take this source's entries of that queue at all (fairness across queues). */
  takes(agentId: string, queueId: string): boolean;
  /** Reserve the agent and ring its phone for the entry (one agent: no ring-all for these entries). */
  offer(queue: Queue, entryId: string, agentId: string): Promise<OfferResult>;
  /** The offer's Redis deadline passed (its controller may have died). */
  offerExpired(entryId: string, token: string): Promise<void>;
}
