import { longestIdle } from './longestIdle';
import type { Candidate } from './longestIdle';

/** What some strategies need beyond the candidates themselves. */
export interface RoutingContext {
  /** The agent this queue last offered a call to (round-robin goes on after it). */
  lastAgentId?: string;
  /** The queue's fixed agent order (linear, round-robin); agents not listed follow by id. */
  order?: readonly string[];
  /** A number in [0, 1) (random); injectable so a test can know the draw. */
  random?: () => number;
  /** The skills (minimum levels) the caller needs now (skills-based ranks by them). */
  required?: Readonly<Record<string, number>>;
}

/** The ring order linear and round-robin walk: the queue's order, then by id. */
function byOrder(order: readonly string[] = []): (a: string, b: string) => number {
  const rank = (id: string) => { const i = order.indexOf(id); return i < 0 ? order.length : i; };
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

function ranked(candidates: readonly Candidate[], order?: readonly string[]): Candidate[] {
  const cmp = byOrder(order);
  return [...candidates].sort((a, b) => cmp(a.agentId, b.agentId));
}

/** The lowest value wins; ties go to the longest idle. */
function fewest(candidates: readonly Candidate[], value: (c: Candidate) => number): Candidate | undefined {
  const low = Math.min(...candidates.map(value));
  return longestIdle(candidates.filter((c) => value(c) === low));
}

/** Linear: always the first ready agent in the queue's fixed order. */
export const linear = (c: readonly Candidate[], ctx: RoutingContext) => ranked(c, ctx.order)[0];

/** Round-robin: the next ready agent after the one offered last, around the queue's order. */
export function roundRobin(c: readonly Candidate[], ctx: RoutingContext): Candidate | undefined {
  const cmp = byOrder(ctx.order);
  const ring = ranked(c, ctx.order);
  const last = ctx.lastAgentId;
  return (last !== undefined && ring.find((x) => cmp(x.agentId, last) > 0)) || ring[0];
}

/** Fewest calls today (ties: longest idle). */
export const fewestCalls = (c: readonly Candidate[]) => fewest(c, (x) => x.callsToday ?? 0);

/** Least talk time today (ties: longest idle). */
export const leastTalkTime = (c: readonly Candidate[]) => fewest(c, (x) => x.talkTodayMs ?? 0);

/**
 * Skills-based: the best qualified (the highest sum of levels in the skills the caller needs);
 * ties go to the longest idle. The dispatcher has already kept only the agents that qualify.
 */
export function skillsBased(c: readonly Candidate[], ctx: RoutingContext): Candidate | undefined {
  const need = Object.keys(ctx.required ?? {});
  const score = (x: Candidate) => need.reduce((sum, s) => sum + (x.skills?.[s] ?? 0), 0);
  return fewest(c, (x) => -score(x));
}

/** Random: any ready agent, each as likely. */
export function random(c: readonly Candidate[], ctx: RoutingContext): Candidate | undefined {
  if (!c.length) return undefined;
  const sorted = ranked(c);
  return sorted[Math.min(sorted.length - 1, Math.floor((ctx.random ?? Math.random)() * sorted.length))];
}

/** A seeded draw in [0, 1) (mulberry32): the same seed gives the same sequence, for tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
