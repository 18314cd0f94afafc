/** A ready agent as routing sees it (today's figures only where the strategy needs them). */
export interface Candidate {
  agentId: string; idleSince: number; callsToday?: number; talkTodayMs?: number;
  /** From the agent's definition: proficiencies, and the agent's tier in this queue. */
  skills?: Record<string, number>; penalty?: number;
}

/**
 * Longest-idle: the ready agent whose last call ended (or who logged in) longest ago.
 * Ties go to the lower agent id so the choice is deterministic.
 */
export function longestIdle(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!best || c.idleSince < best.idleSince || (c.idleSince === best.idleSince && c.agentId < best.agentId)) best = c;
  }
  return best;
}
