/**
 * "Today" in the contact center's time zone (ACD_TIMEZONE, an IANA name). Metrics are kept per
 * calendar day of that zone; Redis's Lua has no time-zone data, so the controller hands the
 * metrics transition a table of day boundaries (ms since epoch) computed here with Intl.
 */

export { isTimeZone } from '../domain/timeZone';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) that the instant `ms` falls on in the zone. */
export function dayOf(ms: number, tz: string): string {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** The day after `day` (calendar arithmetic, no zone involved). */
export function nextDay(day: string, n = 1): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/**
 * The first instant of `day` in the zone. Not always local midnight: where a DST change skips
 * midnight (e.g. America/Santiago) the day starts at 01:00. Found by bisection on dayOf, which is
 * monotonic in time, between the earliest and latest possible offsets (UTC-12..UTC+14).
 */
export function dayStart(day: string, tz: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let lo = utcMidnight - 15 * 3600_000;   // still the day before everywhere
  let hi = utcMidnight + 13 * 3600_000;   // already `day` everywhere
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayOf(mid, tz) >= day) hi = mid; else lo = mid;
  }
  return hi;
}

/** [start ms, day] for each day from `back` days before today to `ahead` after, then [end of the last day, '']. */
export type DayTable = [number, string][];

export function dayTable(now: number, tz: string, back: number, ahead: number): DayTable {
  const today = dayOf(now, tz);
  const table: DayTable = [];
  for (let i = -back; i <= ahead; i++) {
    const day = nextDay(today, i);
    table.push([dayStart(day, tz), day]);
  }
  table.push([dayStart(nextDay(today, ahead + 1), tz), '']);
  return table;
}
