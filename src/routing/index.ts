import type { Queue } from '../config/schema';
import { Candidate, longestIdle } from './longestIdle';

export type { Candidate } from './longestIdle';

/** A strategy picks one of the ready agents for the call at the head of the queue. Pure. */
export type Strategy = (candidates: readonly Candidate[]) => Candidate | undefined;

const STRATEGY: Record<Queue['strategy'], Strategy> = {
  'longest-idle': longestIdle,
};

export function strategyFor(queue: Queue): Strategy {
  return STRATEGY[queue.strategy];
}
