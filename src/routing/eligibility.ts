import type { Queue, SkillMap } from '../config/schema';
import type { Candidate } from './longestIdle';

/**
 * Which ready agents may take a caller who has waited `waitedMs`: those with the required skills
 * (widened by the queue's relaxation steps as the wait grows) and whose tier's wait has passed;
 * of those, only the lowest tier present. Pure: the dispatcher passes the facts in.
 */
export function eligible(candidates: readonly Candidate[], queue: Queue, caller: SkillMap, waitedMs: number): Candidate[] {
  const need = requirement(queue, caller, waitedMs);
  const open = candidates.filter((c) => meets(c.skills ?? {}, need) && waitedMs >= tierWaitMs(queue, c.penalty ?? 0));
  const low = Math.min(...open.map((c) => c.penalty ?? 0));
  return open.filter((c) => (c.penalty ?? 0) === low);
}

/** The minimum levels that apply after this wait: the queue's and the caller's (the caller's win), relaxed. */
export function requirement(queue: Queue, caller: SkillMap, waitedMs: number): SkillMap {
  const step = [...queue.skillRelaxation].reverse().find((s) => waitedMs >= s.afterSec * 1000);
  const out: SkillMap = {};
  for (const [skill, level] of Object.entries({ ...queue.requiredSkills, ...caller })) {
    const relaxed = level - (step?.lowerBy ?? 0);
    if (relaxed > 0) out[skill] = relaxed;
  }
  return out;
}

export function meets(has: SkillMap, need: SkillMap): boolean {
  return Object.entries(need).every(([skill, level]) => (has[skill] ?? 0) >= level);
}

/** How long a caller waits before an agent of this tier (penalty) may get it. */
export function tierWaitMs(queue: Queue, penalty: number): number {
  if (penalty <= 0 || !queue.tierWaitSec.length) return 0;
  return queue.tierWaitSec[Math.min(penalty, queue.tierWaitSec.length) - 1] * 1000;
}

/**
 * The moments (ms of waiting) at which a caller's set of eligible agents can grow: relaxation
 * steps and tier openings. The dispatcher looks again then; nothing else changes with time alone.
 */
export function wideningPointsMs(queue: Queue): number[] {
  return [...queue.skillRelaxation.map((s) => s.afterSec * 1000), ...queue.tierWaitSec.map((s) => s * 1000)].filter((t) => t > 0);
}
