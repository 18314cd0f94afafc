import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AcdError } from '../errors';
import type { CampaignStore, NewEntry } from '../state/campaignStore';
import { normalizeNumber } from './numbers';

/** 413: the file is larger than the import accepts. */
export class PayloadTooLarge extends AcdError {
  constructor(limit: number) { super(413, 'PAYLOAD_TOO_LARGE', `the file is larger than ${limit} bytes`, { limitBytes: limit }); }
}
/** 422: no column of phone numbers. */
export class PhoneColumnMissing extends AcdError {
  constructor(message: string, details: unknown) { super(422, 'PHONE_COLUMN_MISSING', message, details); }
}

export interface ImportOptions {
  /** A header name (case-insensitive) or a 1-based column index; guessed from the header when absent. */
  phoneColumn?: string;
  header: boolean;
  maxBytes: number;
  /** Refused rows listed at most (the count of refused rows is always whole). */
  maxRefusedListed?: number;
}

export interface ImportResult { added: number; refused: { line: number; value: string; code: string; reason: string }[]; refusedCount: number }

/** Header names taken for the phone column when none is named. */
const PHONE_HEADERS = ['phone', 'number', 'phone number', 'phonenumber', 'telephone', 'tel', 'mobile', 'msisdn'];
const NAME_HEADERS = ['name', 'full name', 'contact', 'contact name'];
const STAGE_BATCH = 500;
const COMMIT_BATCH = 1000;

/**
 * A CSV import, streamed: rows are parsed as they arrive and staged in Redis (never all in the
 * controller's memory: 100,000 rows are fine), then committed in batches once the whole file is in
 * and within the size limit. A file over the limit, or without a phone column, changes nothing.
 */
export async function importCsv(body: Readable, campaignId: string, store: CampaignStore, o: ImportOptions): Promise<ImportResult> {
  const importId = randomUUID();
  const refused: ImportResult['refused'] = [];
  let refusedCount = 0;
  let staged = 0;
  let bytes = 0;
  let phoneIdx = -1;
  let nameIdx = -1;
  let headers: string[] | undefined;
  let pending: string[] = [];
  const maxListed = o.maxRefusedListed ?? 10_000;
  const refuse = (line: number, value: string, code: string, reason: string) => {
    refusedCount++;
    if (refused.length < maxListed) refused.push({ line, value: value.slice(0, 100), code, reason });
  };
  const parser = parse({ relax_column_count: true, skip_empty_lines: false, bom: true, info: true, trim: false });
  let tooLarge = false;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > o.maxBytes && !tooLarge) {
      tooLarge = true;
      parser.destroy(new PayloadTooLarge(o.maxBytes));
      body.unpipe(parser);
      body.resume();  // drain the rest: the answer goes out once the client is done sending
    }
  });
  body.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!headers && phoneIdx < 0) {
        const cols = record.map((c) => c.trim());
        if (o.header) headers = cols;
        phoneIdx = pickColumn(o.phoneColumn, o.header ? cols : undefined, cols.length);
        nameIdx = o.header ? cols.findIndex((c) => NAME_HEADERS.includes(c.toLowerCase())) : -1;
        if (nameIdx === phoneIdx) nameIdx = -1;
        if (o.header) continue;
      }
      const cell = record[phoneIdx] ?? '';
      const n = normalizeNumber(cell);
      if (!n.ok) { refuse(line, cell, n.refusal.code, n.refusal.reason); continue; }
      const details: Record<string, string> = {};
      record.forEach((v, i) => {
        if (i === phoneIdx || i === nameIdx || v === '') return;
        details[(headers?.[i] || `column${i + 1}`).slice(0, 64)] = v.slice(0, 500);
      });
      const entry: NewEntry = { id: `ce-${randomUUID()}`, number: n.number, name: nameIdx >= 0 ? (record[nameIdx] ?? '').slice(0, 80) : '', details, source: 'csv' };
      pending.push(JSON.stringify(entry));
      if (pending.length >= STAGE_BATCH) { await store.stagePush(importId, pending); staged += pending.length; pending = []; }
    }
    if (tooLarge) throw new PayloadTooLarge(o.maxBytes);
    if (phoneIdx < 0) throw new PhoneColumnMissing('the file is empty: no phone column', { phoneColumn: o.phoneColumn ?? null });
    await store.stagePush(importId, pending);
    staged += pending.length;
    pending = [];
    let added = 0;
    for (let from = 0; from < staged; from += COMMIT_BATCH) {
      const rows = (await store.stageRange(importId, from, COMMIT_BATCH)).map((r) => JSON.parse(r) as NewEntry);
      const r = await store.addEntries(campaignId, rows);
      if (!r.ok) throw new AcdError(404, r.code, `campaign ${campaignId} is gone`, { id: campaignId });
      added += r.value.added.length;
    }
    return { added, refused, refusedCount };
  } catch (err) {
    if (tooLarge) throw new PayloadTooLarge(o.maxBytes);
    if (err instanceof AcdError) throw err;
    throw new AcdError(422, 'INVALID_CSV', `the file is not valid CSV: ${(err as Error).message}`, { message: (err as Error).message });
  } finally {
    await store.stageDrop(importId).catch(() => undefined);
  }
}

/** The phone column's index: named (header name or 1-based index) or guessed from the header. */
function pickColumn(requested: string | undefined, headers: string[] | undefined, width: number): number {
  if (requested !== undefined && requested !== '') {
    if (/^\d+$/.test(requested)) {
      const i = Number(requested) - 1;
      if (i >= 0 && i < width) return i;
      throw new PhoneColumnMissing(`the file has no column ${requested} (it has ${width})`, { phoneColumn: requested, columns: width });
    }
    const i = headers ? headers.findIndex((h) => h.toLowerCase() === requested.toLowerCase()) : -1;
    if (i >= 0) return i;
    throw new PhoneColumnMissing(headers ? `no column named ${requested} in the header` : 'a column name needs header=true',
      { phoneColumn: requested, headers: headers ?? null });
  }
  if (!headers) return 0;
  const i = headers.findIndex((h) => PHONE_HEADERS.includes(h.toLowerCase()));
  if (i >= 0) return i;
  throw new PhoneColumnMissing('no phone column in the header: name it with phoneColumn', { headers, accepted: PHONE_HEADERS });
}
