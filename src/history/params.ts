import { AcdError, Invalid } from '../errors';
import { dayStart, isTimeZone, nextDay } from '../metrics/day';
import type { Interval, Range } from './reports';

/** The longest range a report covers: the 13 months kept, and a little. */
export const MAX_RANGE_DAYS = 400;
export const INTERVALS: Interval[] = ['15min', 'hour', 'day', 'week', 'month'];
export const OUTCOMES = ['answered', 'abandoned', 'abandoned_waiting', 'abandoned_ringing', 'timed_out', 'overflowed', 'callback', 'transferred', 'parked'];

export class HistoryUnavailable extends AcdError {
  constructor(message = 'the history database is not reachable; try again shortly') { super(503, 'HISTORY_UNAVAILABLE', message); }
}

type Query = Record<string, unknown>;
export interface Problem { field: string; message: string }

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

/** A list parameter: repeated (?queue=a&queue=b) or comma-separated (?queue=a,b). */
export function list(q: Query, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
  return parts.length ? [...new Set(parts)] : undefined;
}

function validDay(s: string): boolean {
  return DAY.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

/**
 * The report range: `from` and `to` as days (YYYY-MM-DD, in the time zone; `to` included) or
 * instants with an offset; `tz` an IANA zone (default: the contact center's). Both bounds are
 * required, `from` before `to`, at most MAX_RANGE_DAYS apart.
 */
export function parseRange(q: Query, defaultTz: string, problems: Problem[]): Range | undefined {
  const tz = one(q, 'tz') ?? defaultTz;
  if (!isTimeZone(tz)) {
    problems.push({ field: 'tz', message: 'an IANA time zone such as Europe/Paris' });
    return undefined;
  }
  const bound = (name: 'from' | 'to'): number | undefined => {
    const v = one(q, name);
    if (v === undefined) { problems.push({ field: name, message: 'required: a report covers a bounded range (YYYY-MM-DD or an ISO instant with offset)' }); return undefined; }
    if (validDay(v)) return dayStart(name === 'to' ? nextDay(v) : v, tz);
    if (INSTANT.test(v) && Number.isFinite(Date.parse(v))) return Date.parse(v);
    problems.push({ field: name, message: 'YYYY-MM-DD or an ISO instant with offset (2026-03-10T08:00:00+01:00)' });
    return undefined;
  };
  const from = bound('from');
  const to = bound('to');
  if (from === undefined || to === undefined) return undefined;
  if (from >= to) { problems.push({ field: 'to', message: 'must be after from' }); return undefined; }
  if (to - from > MAX_RANGE_DAYS * 86_400_000) { problems.push({ field: 'to', message: `a range covers at most ${MAX_RANGE_DAYS} days` }); return undefined; }
  return { from: new Date(from), to: new Date(to), timeZone: tz };
}

export function parseInterval(q: Query, problems: Problem[]): Interval {
  const v = one(q, 'interval') ?? 'day';
  if (!(INTERVALS as string[]).includes(v)) problems.push({ field: 'interval', message: `one of ${INTERVALS.join(', ')}` });
  return v as Interval;
}

export function parseOutcome(q: Query, problems: Problem[]): string | undefined {
  const v = one(q, 'outcome');
  if (v !== undefined && !OUTCOMES.includes(v)) problems.push({ field: 'outcome', message: `one of ${OUTCOMES.join(', ')}` });
  return v;
}

export function parseCallerNumber(q: Query, problems: Problem[]): string | undefined {
  const v = one(q, 'callerNumber');
  if (v !== undefined && !/^[+0-9*#]{1,32}$/.test(v)) problems.push({ field: 'callerNumber', message: 'digits, + * # (at most 32)' });
  return v;
}

export function parseLimit(q: Query, problems: Problem[]): number {
  const v = one(q, 'limit');
  if (v === undefined) return 100;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) { problems.push({ field: 'limit', message: 'an integer from 1 to 1000' }); return 100; }
  return n;
}

export function parseDay(q: Query, name: string, problems: Problem[]): string | undefined {
  const v = one(q, name);
  if (v !== undefined && !validDay(v)) problems.push({ field: name, message: 'a day, YYYY-MM-DD' });
  return v;
}

export function parseTz(q: Query, defaultTz: string, problems: Problem[]): string {
  const tz = one(q, 'tz') ?? defaultTz;
  if (!isTimeZone(tz)) problems.push({ field: 'tz', message: 'an IANA time zone such as Europe/Paris' });
  return tz;
}

export function throwIfProblems(problems: Problem[]): void {
  if (problems.length) throw new Invalid('invalid report parameters', problems);
}

/** CSV asked for with ?format=csv or Accept: text/csv (JSON otherwise). */
export function wantsCsv(q: Query, accept: string | undefined, problems: Problem[]): boolean {
  const f = one(q, 'format');
  if (f !== undefined && f !== 'csv' && f !== 'json') problems.push({ field: 'format', message: 'csv or json' });
  if (f !== undefined) return f === 'csv';
  return /\btext\/csv\b/.test(accept ?? '');
}
