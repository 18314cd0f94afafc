import { useState } from 'react';
import { ErrorLine, useAction } from '../ui';
import { Campaign, campaigns, RefusedLine } from './client';

/** How much of the file the page reads itself: its first rows, to name the columns. The server reads the whole file. */
const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_ROWS = 4;
/** Refused rows drawn at first (a file of 100,000 bad rows would freeze the page); the rest on request. */
const SHOWN_REFUSED = 500;

/** The first rows of the file, for choosing the phone column (the file itself goes to the server untouched). */
async function preview(file: File): Promise<string[][]> {
  let text = await file.slice(0, PREVIEW_BYTES).text();
  if (file.size > PREVIEW_BYTES) text = text.slice(0, text.lastIndexOf('\n') + 1);
  try {
    // the parser loads with the first file chosen, not with the page
    const { parse } = await import('csv-parse/browser/esm/sync');
    return parse(text, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: PREVIEW_ROWS + 1 }) as string[][];
  } catch {
    return [];
  }
}

const PHONE_HEADER = /phone|number|tel|mobile|msisdn|cell/i;
const PHONE_VALUE = /^[\d()+\-. ]{5,}$/;

function guessPhoneColumn(rows: string[][], header: boolean): number {
  const head = header ? rows[0] ?? [] : [];
  const byName = head.findIndex((h) => PHONE_HEADER.test(h));
  if (byName >= 0) return byName;
  const data = header ? rows.slice(1) : rows;
  const width = Math.max(0, ...rows.map((r) => r.length));
  for (let i = 0; i < width; i++) if (data.length && data.every((r) => PHONE_VALUE.test((r[i] ?? '').trim()))) return i;
  return 0;
}

/**
 * CSV import from a CRM or a marketing tool: the phone column chosen from the file's first rows, a
 * flag for a header row; the answer lists every refused row with its line number and why.
 */
export function CsvImport({ c, onImported }: { c: Campaign; onImported: () => void }) {
  const act = useAction();
  const [file, setFile] = useState<File | null>(null);
  const [rows, setRows] = useState<string[][]>([]);
  const [header, setHeader] = useState(true);
  const [column, setColumn] = useState(0);
  const [result, setResult] = useState<{ added: number; refused: RefusedLine[] } | null>(null);
  const [showAll, setShowAll] = useState(false);

  const choose = async (f: File | null) => {
    setFile(f); setResult(null); act.setError(null);
    const r = f ? await preview(f) : [];
    setRows(r);
    setColumn(guessPhoneColumn(r, header));
  };
  const width = Math.max(0, ...rows.map((r) => r.length));
  const head = header ? rows[0] ?? [] : [];
  const label = (i: number) => (header && head[i] ? `${head[i]} (column ${i + 1})` : `Column ${i + 1}${rows[0]?.[i] ? `: ${rows[0][i]}…` : ''}`);
  // the header's name where it names one column only, else the column's number (the API takes either)
  const phoneColumn = () => {
    const name = head[column]?.trim();
    return header && name && head.filter((h) => h.trim() === name).length === 1 && !/^\d+$/.test(name) ? name : String(column + 1);
  };
  const upload = () => act.run(async () => {
    if (!file) return;
    setResult(null); setShowAll(false);
    setResult(await campaigns.importCsv(c.id, file, phoneColumn(), header));
    onImported();
  });
  const sample = header ? rows.slice(1) : rows;
  return (
    <form className="panel csv-import" aria-label="Import a CSV file" onSubmit={(e) => { e.preventDefault(); void upload(); }}>
      <h2>Import a CSV file</h2>
      <div className="row">
        <label className="field"><span className="label">CSV file</span>
          <input type="file" accept=".csv,text/csv,text/plain" aria-label="CSV file" onChange={(e) => void choose(e.target.files?.[0] ?? null)} /></label>
        <label className="check"><input type="checkbox" checked={header} onChange={(e) => { setHeader(e.target.checked); setColumn(guessPhoneColumn(rows, e.target.checked)); }} /> First row is headers</label>
        <label className="field"><span className="label">Phone column</span>
          <select value={column} onChange={(e) => setColumn(Number(e.target.value))} aria-label="Phone column" disabled={!width}>
            {Array.from({ length: width }, (_, i) => <option key={i} value={i}>{label(i)}</option>)}
          </select></label>
        <button type="submit" className="primary" disabled={!file || act.busy}>{act.busy ? 'Importing…' : 'Import'}</button>
      </div>
      <p className="hint">Only digits and ( ) + - . are accepted in the phone column; the other columns are kept as the contact's details.</p>
      {sample.length > 0 && (
        <table className="preview" aria-label="First rows of the file">
          {header && <thead><tr>{Array.from({ length: width }, (_, i) => <th key={i} className={i === column ? 'chosen' : ''}>{head[i] ?? ''}</th>)}</tr></thead>}
          <tbody>{sample.map((r, j) => <tr key={j}>{Array.from({ length: width }, (_, i) => <td key={i} className={i === column ? 'chosen' : ''}>{r[i] ?? ''}</td>)}</tr>)}</tbody>
        </table>
      )}
      {result && (
        <div data-testid="import-result" role="status">
          <p className="ok">Added {result.added} {result.added === 1 ? 'entry' : 'entries'}{result.refused.length ? `, refused ${result.refused.length} ${result.refused.length === 1 ? 'row' : 'rows'}:` : '.'}</p>
          {result.refused.length > 0 && (
            <table data-testid="import-refused" aria-label="Refused rows">
              <thead><tr><th>Line</th><th>Value</th><th>Why</th></tr></thead>
              <tbody>{(showAll ? result.refused : result.refused.slice(0, SHOWN_REFUSED)).map((r) => <tr key={r.line} data-testid={`refused-line-${r.line}`}><td>{r.line}</td><td><code>{r.value}</code></td><td>{r.reason} <small className="hint">{r.code}</small></td></tr>)}</tbody>
            </table>
          )}
          {!showAll && result.refused.length > SHOWN_REFUSED && <button type="button" onClick={() => setShowAll(true)}>Show all {result.refused.length} refused rows</button>}
        </div>
      )}
      <ErrorLine error={act.error} />
    </form>
  );
}
