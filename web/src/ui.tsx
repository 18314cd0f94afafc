import { cloneElement, isValidElement, ReactElement, useEffect, useId, useState } from 'react';
import { ApiError } from './api';

/** Re-renders every `ms` for counters (time in state, wait, wrap-up left): a local clock, not a server poll. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = window.setInterval(() => setNow(Date.now()), ms); return () => window.clearInterval(t); }, [ms]);
  return now;
}

// One shared clock for every "time since" on a page: each tick re-renders those texts alone, not
// the tables around them (a supervisor page shows hundreds).
const tickers = new Set<(now: number) => void>();
let tickTimer = 0;
function subscribeTick(f: (now: number) => void): () => void {
  tickers.add(f);
  if (!tickTimer) tickTimer = window.setInterval(() => { const now = Date.now(); tickers.forEach((t) => t(now)); }, 1000);
  return () => { tickers.delete(f); if (!tickers.size) { window.clearInterval(tickTimer); tickTimer = 0; } };
}
/** "m:ss since `since`", ticking by itself. */
export function Elapsed({ since }: { since: number | null | undefined }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => subscribeTick(setNow), []);
  return <>{since ? durationText(now - since) : '–'}</>;
}
function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof ApiError ? `${error.message} (${error.code})` : String((error as Error).message ?? error);
  return <p className="error" role="alert">{msg}</p>;
}

/**
 * A labelled form field showing the API's validation message for it (422 details), if any. The one
 * child control gets the label, and the message as its description (read out with the field).
 */
export function Field({ label, name, error, children, hint }: { label: string; name: string; error?: unknown; children: ReactElement<any>; hint?: string }) {
  const id = useId();
  const msg = error instanceof ApiError ? error.field(name) : undefined;
  const control = isValidElement(children)
    ? cloneElement(children as ReactElement<Record<string, unknown>>, { id, 'aria-invalid': msg ? true : undefined, 'aria-describedby': msg ? `${id}-error` : undefined })
    : children;
  return (
    <div className={`field${msg ? ' invalid' : ''}`} data-field={name}>
      <label className="label" htmlFor={id}>{label}</label>
      {control}
      {hint && !msg && <span className="hint">{hint}</span>}
      {msg && <span className="field-error" role="alert" id={`${id}-error`} data-field-error={name}>{msg}</span>}
    </div>
  );
}

/** Runs an action, keeping its error for display; returns a busy flag for the button. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true); setError(null);
    try { await fn(); return true; } catch (e) { setError(e); return false; } finally { setBusy(false); }
  };
  return { error, busy, run, setError };
}

export function StateBadge({ state, reason }: { state: string; reason?: string | null }) {
  const label = state.replace('_', ' ') + (state === 'paused' && reason ? ` (${reason})` : '');
  return <span className={`badge state-${state}`}>{label}</span>;
}

export function Dot({ on, label }: { on: boolean; label: string }) {
  return <span className={`dot ${on ? 'on' : 'off'}`} title={label} aria-label={label} role="img" />;
}
