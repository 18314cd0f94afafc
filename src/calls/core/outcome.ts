/** Why an offered agent leg ended without answer, from the Q.850 cause, and how the agent is paused. */
export function unansweredOutcome(cause: number): { outcome: string; pauseReason: string } {
  switch (cause) {
    case 18: case 19: return { outcome: 'no-answer', pauseReason: 'no-answer' };
    case 17: return { outcome: 'busy', pauseReason: 'busy' };
    case 21: return { outcome: 'rejected', pauseReason: 'rejected' };
    default: return { outcome: 'unreachable', pauseReason: 'unreachable' };
  }
}
