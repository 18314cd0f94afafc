import { dayOf } from '../metrics/day';
import type { StateStore } from '../state/store';

/**
 * What a waiting caller is told, as ARI media lists of Asterisk's English core sounds. The wording
 * follows app_queue's (say_position) so a caller hears what any Asterisk queue says:
 *
 *   position 1:  queue-youarenext    "Your call is now first in line and will be answered by the
 *                                     next available representative."
 *   position N:  queue-thereare N queue-callswaiting
 *                                    "You are currently caller number N, waiting to speak with a representative."
 *   wait:        queue-holdtime M queue-minutes ("The estimated hold time is currently M minutes"),
 *                queue-minute for 1, "less than 1 minute" below a minute
 *   then         queue-thankyou      "Thank you for your patience."
 */

/**
 * Estimated wait (seconds) = position × average handle time ÷ max(1, agents serving the queue).
 * Each caller ahead (and the caller) needs one handle time of one of the agents who will take the
 * queue's calls; with no such agent the estimate assumes one will come. The average handle time
 * is today's for the queue (talk + hold + wrap-up of the calls whose handling completed today),
 * or the queue's announcements.defaultHandleSec before any.
 */
export function estimatedWaitSec(position: number, averageHandleSec: number, servingAgents: number): number {
  return (position * averageHandleSec) / Math.max(1, servingAgents);
}

/** The place in line: "first in line" for 1, else "caller number N". */
export function positionMedia(position: number): string[] {
  return position <= 1
    ? ['sound:queue-youarenext']
    : ['sound:queue-thereare', `number:${position}`, 'sound:queue-callswaiting'];
}

/** The estimated wait, in whole minutes rounded up; "less than 1 minute" below 60 s. */
export function waitMedia(waitSec: number): string[] {
  if (waitSec < 60) return ['sound:queue-holdtime', 'sound:queue-less-than', 'number:1', 'sound:queue-minute'];
  const minutes = Math.ceil(waitSec / 60);
  return ['sound:queue-holdtime', `number:${minutes}`, minutes === 1 ? 'sound:queue-minute' : 'sound:queue-minutes'];
}

/** One announcement: the position, the estimated wait when known, thanks. */
export function positionAnnouncement(position: number, waitSec?: number): string[] {
  return [...positionMedia(position), ...(waitSec === undefined ? [] : waitMedia(waitSec)), 'sound:queue-thankyou'];
}

/** The facts an announcement needs, read when it is due. */
export interface WaitFacts {
  /** 1 + the number of entries (callers and callback requests) ahead in the queue's line; undefined when not in line (an agent's phone rings for it, or gone). */
  position(queueId: string, callId: string): Promise<number | undefined>;
  /** Today's average handle time of the queue (ms), undefined before its first completed call. */
  averageHandleMs(queueId: string): Promise<number | undefined>;
  /** Agents logged in to the queue who may take its calls: neither paused (at all or in this queue) nor unreachable. Busy ones count. */
  servingAgents(queueId: string): Promise<number>;
}

/**
 * The facts from Redis. Today's figures are read as the metrics consumer last folded them (a few
 * ms behind the stream at most): close enough for an estimate, and no Lua run per announcement.
 */
export function storeWaitFacts(state: StateStore, timeZone: string, now: () => number = Date.now): WaitFacts {
  return {
    async position(queueId, callId) {
      const line = await state.waiting(queueId, 10_000);
      const i = line.findIndex((w) => w.callId === callId);
      return i >= 0 ? i + 1 : undefined;
    },
    async averageHandleMs(queueId) {
      const t = await state.metricsDay('queue', queueId, dayOf(now(), timeZone));
      return t.handleCompleted ? (t.handleMs ?? 0) / t.handleCompleted : undefined;
    },
    async servingAgents(queueId) {
      const states = await Promise.all((await state.loggedInAgents(queueId)).map((id) => state.agentState(id)));
      return states.filter((s) => s.state !== 'logged_out' && s.state !== 'paused' && !s.pausedQueues[queueId] && s.device !== 'offline').length;
    },
  };
}
