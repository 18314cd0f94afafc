import type { EntryRecord, DialOutcome } from '../state/campaignStore';
import type { CampaignOptions } from './campaignService';

export type Verdict = { action: 'dial' } | { action: 'defer'; afterMs: number; why: string } | { action: 'refuse'; why: string };

/** Minutes since local midnight in the zone, at `now`. */
function localMinutes(now: number, tz: string): number {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(now).map((x) => [x.type, x.value]));
  return Number(p.hour) * 60 + Number(p.minute);
}
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The campaign options beyond the product that need what Lua has not got (time-zone data, the
 * history), checked when an entry is about to be dialed; each off unless the campaign turns it on.
 * (The do-not-call list and one attempt per number per day are checked inside the reservation.)
 */
export class DialRules {
  constructor(
    /** The number called in and was answered after `sinceMs` (from the history); absent: never. */
    private readonly answeredInboundSince?: (number: string, sinceMs: number) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  async check(o: CampaignOptions, e: EntryRecord): Promise<Verdict> {
    if (o.callingHours) {
      const tz = e.details.timeZone && isZone(e.details.timeZone) ? e.details.timeZone : o.callingHours.defaultTimeZone;
      const wait = minutesUntilOpen(localMinutes(this.now(), tz), minutesOf(o.callingHours.from), minutesOf(o.callingHours.to));
      if (wait > 0) return { action: 'defer', afterMs: wait * 60_000, why: `outside calling hours in ${tz}` };
    }
    if (o.skipIfAnsweredInbound && this.answeredInboundSince && await this.answeredInboundSince(e.number, e.addedAt).catch(() => false)) {
      return { action: 'refuse', why: 'the number called in and was answered since' };
    }
    return { action: 'dial' };
  }

  /** Retry rules by outcome (off unless set): the delay before the next attempt, or -1 for none. */
  retryAfterMs(o: CampaignOptions, outcome: DialOutcome, attempts: number): number {
    const rule = outcome === 'busy' ? o.retry?.busy : outcome === 'no_answer' ? o.retry?.noAnswer : outcome === 'failed' ? o.retry?.failed : undefined;
    if (!rule || attempts >= rule.attempts) return -1;
    return rule.afterSec * 1000;
  }
}

function isZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}

/** 0 when `now` (minutes) is within [from, to) (a window may pass midnight), else the minutes until it opens. */
export function minutesUntilOpen(now: number, from: number, to: number): number {
  const inside = from <= to ? now >= from && now < to : now >= from || now < to;
  if (inside) return 0;
  return (from - now + 1440) % 1440 || 1440;
}
