import type { Queue } from '../config/schema';
import { Candidate, longestIdle } from './longestIdle';
import { RoutingContext, fewestCalls, leastTalkTime, linear, random, roundRobin, skillsBased } from './strategies';

export type { Candidate } from './longestIdle';
export type { RoutingContext } from './strategies';
export { eligible, requirement, wideningPointsMs } from './eligibility';

/** A strategy picks one of the ready agents for the call at the head of the queue. Pure. */
export type Strategy = (candidates: readonly Candidate[], ctx: RoutingContext) => Candidate | undefined;

const STRATEGY: Record<Queue['strategy'], Strategy> = {
  'longest-idle': longestIdle,
  'round-robin': roundRobin,
  'fewest-calls': fewestCalls,
  'least-talk-time': leastTalkTime,
  // ring-all rings every eligible agent at once (the dispatcher's own path); this is its first
  'ring-all': longestIdle,
  random,
  linear,
  'skills-based': skillsBased,
};

export function strategyFor(queue: Queue): Strategy {
  return STRATEGY[queue.strategy];
}

/** Which extra facts a queue's strategy reads (the dispatcher fetches only those). */
export function needs(queue: Queue): { today: boolean; last: boolean } {
  return { today: queue.strategy === 'fewest-calls' || queue.strategy === 'least-talk-time', last: queue.strategy === 'round-robin' };
}
