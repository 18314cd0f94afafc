import { useEffect, useRef, useState } from 'react';
import type { QueueStats } from './AgentDashboard';
import { localDay } from '../format';
import { useNow } from '../ui';
import { Sample, Widget, WidgetView } from '../widgets';

interface Snapshot { wallboard: { id: string; name: string; description: string; widgets: Widget[] }; stats: QueueStats[] }
type Status = 'connecting' | 'live' | 'offline' | 'revoked' | 'archived';

/**
 * The full-screen wallboard a TV keeps open: /wall/<id>?token=<display token>. It reads with its
 * display token only, live over its own WebSocket; revoked, it shows nothing and stops.
 */
export function WallDisplay({ id }: { id: string }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [stats, setStats] = useState<Record<string, QueueStats>>({});
  const [status, setStatus] = useState<Status>('connecting');
  const [samples, setSamples] = useState<Sample[]>(() => loadSamples(id));
  const now = useNow();
  const stop = useRef(false);

  useEffect(() => {
    let ws: WebSocket | undefined;
    let delay = 500;
    let timer = 0;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const open = () => {
      if (stop.current) return;
      ws = new WebSocket(`${proto}//${location.host}/api/v1/display/events?token=${encodeURIComponent(token)}`);
      ws.onmessage = (m) => {
        const e = JSON.parse(String(m.data));
        if (e.type === 'display.snapshot') {
          setSnap(e);
          setStats(Object.fromEntries(e.stats.map((s: QueueStats) => [s.queueId, s])));
          setStatus('live');
          delay = 500;
        } else if (e.type === 'metrics.queue') {
          setStats((s) => ({ ...s, [e.queueId]: e }));
        }
      };
      ws.onclose = (c) => {
        if (c.code === 4401) { revoke(); return; }
        if (c.code === 4409) setStatus('archived'); else setStatus((s) => (s === 'revoked' ? s : 'offline'));
        // refused at the upgrade (the browser cannot tell why): ask the API whether the token still stands
        void fetch(`/api/v1/display?token=${encodeURIComponent(token)}`).then((r) => {
          if (r.status === 401) revoke();
          else if (r.status === 409) setStatus('archived');
        }, () => undefined);
        timer = window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    const revoke = () => { stop.current = true; setSnap(null); setStats({}); setStatus('revoked'); };
    open();
    return () => { stop.current = true; window.clearTimeout(timer); ws?.close(); };
  }, [id, token]);

  useEffect(() => { if (Object.keys(stats).length) setSamples((old) => record(id, old, stats)); }, [stats]);

  if (status === 'revoked') return <main className="wall"><p className="revoked" data-testid="wall-revoked">This display is switched off.</p></main>;
  if (status === 'archived') return <main className="wall"><p className="revoked" data-testid="wall-archived">This wallboard is archived.</p></main>;
  return (
    <main className="wall" data-testid="wall">
      {status === 'offline' && <div className="offline" role="status">Offline: reconnecting…</div>}
      {snap && <>
        <header className="row"><h1>{snap.wallboard.name}</h1>
          <button type="button" className="fullscreen" onClick={() => void document.documentElement.requestFullscreen?.()}>Full screen</button></header>
        {snap.wallboard.description && <p>{snap.wallboard.description}</p>}
        <div className="widgets">{snap.wallboard.widgets.map((w) => <WidgetView key={w.id} w={w} stats={stats} now={now} samples={samples} />)}</div>
      </>}
      {!snap && status !== 'offline' && <p>Connecting…</p>}
    </main>
  );
}

// The day's samples are kept in the TV's own storage, so a reload keeps the chart of the day.
const key = (id: string) => `acd.wall.${id}.${localDay()}`;
function loadSamples(id: string): Sample[] {
  try { return JSON.parse(localStorage.getItem(key(id)) ?? '[]'); } catch { return []; }
}
function record(id: string, old: Sample[], stats: Record<string, QueueStats>): Sample[] {
  const all = Object.values(stats);
  const s: Sample = {
    t: Date.now(), waiting: all.reduce((n, x) => n + x.waiting.callers, 0),
    answered: all.reduce((n, x) => n + x.today.answered, 0), abandoned: all.reduce((n, x) => n + x.today.abandoned, 0),
  };
  const last = old[old.length - 1];
  // one sample per 10 s at most: a day of figures fits in the browser's storage
  const next = last && s.t - last.t < 10_000 ? [...old.slice(0, -1), s] : [...old, s];
  try { localStorage.setItem(key(id), JSON.stringify(next.slice(-9000))); } catch { /* storage full: the chart stays in memory */ }
  return next;
}
