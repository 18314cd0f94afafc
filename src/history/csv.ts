import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';

/**
 * CSV of report rows: the same rows as the JSON, one column per field in the JSON's order; lists
 * are joined with '|', objects written as JSON, times as ISO instants, null as an empty cell.
 * A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first: a caller's name is
 * whatever the caller sent) gets a leading ' ; an international number (+33...) stays as it is.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  let text: string;
  if (Array.isArray(v)) text = v.map(String).join('|');
  else if (typeof v === 'object') text = JSON.stringify(v);
  else if (typeof v === 'string') text = v;
  else return String(v);
  return /^[=+\-@\t\r]/.test(text) && !/^\+[0-9]+$/.test(text) ? `'${text}` : text;
}

function record(row: Record<string, unknown>, columns: string[]): string[] {
  return columns.map((c) => csvCell(row[c]));
}

function start(res: Response, filename: string): void {
  res.status(200);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${filename}"`);
}

/** Rows already in memory (aggregates: a few hundred rows at most). */
export async function sendCsv(res: Response, filename: string, rows: Record<string, unknown>[], columns: string[]): Promise<void> {
  start(res, filename);
  await pipeline(Readable.from(rows.map((r) => record(r, columns))), stringify({ header: true, columns }), res);
}

/** A stream of rows (the call list of a year): written as it is read, at a steady memory. */
export async function streamCsv(res: Response, filename: string, rows: Readable, columns: string[]): Promise<void> {
  start(res, filename);
  const toRecord = new Transform({ objectMode: true, transform(row, _enc, done) { done(null, record(row as Record<string, unknown>, columns)); } });
  await pipeline(rows, toRecord, stringify({ header: true, columns }), res);
}
