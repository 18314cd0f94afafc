/**
 * The live event stream (WebSocket /api/v1/events). Reconnects by itself with a growing delay; every
 * (re)connect is announced so pages reload their picture once (never a poll), and the offline state
 * drives the banner.
 */
export interface AcdEvent { type: string; at: string; [k: string]: any }
type Listener = (e: AcdEvent) => void;

export class LiveStream {
  private ws?: WebSocket;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<(online: boolean) => void>();
  private connectListeners = new Set<() => void>();
  private delay = 500;
  private closed = false;
  private timer?: number;
  online = false;

  /** `refused`: the server turned a connection down before it opened (e.g. the session ended). */
  constructor(private readonly url: string, private readonly refused?: () => void) { this.open(); }

  private open() {
    if (this.closed) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => { this.delay = 500; this.setOnline(true); this.connectListeners.forEach((f) => f()); };
    ws.onmessage = (m) => {
      let e: AcdEvent;
      try { e = JSON.parse(String(m.data)); } catch { return; }
      this.listeners.forEach((f) => f(e));
    };
    let opened = false;
    ws.addEventListener('open', () => { opened = true; });
    ws.onclose = () => {
      this.setOnline(false);
      if (!opened) this.refused?.();
      if (this.closed) return;
      this.timer = window.setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  private setOnline(v: boolean) { this.online = v; this.statusListeners.forEach((f) => f(v)); }

  on(f: Listener): () => void { this.listeners.add(f); return () => { this.listeners.delete(f); }; }
  onStatus(f: (online: boolean) => void): () => void { this.statusListeners.add(f); return () => { this.statusListeners.delete(f); }; }
  /** Called on every (re)connect, and at once when already connected. */
  onConnect(f: () => void): () => void { this.connectListeners.add(f); if (this.online) f(); return () => { this.connectListeners.delete(f); }; }

  close() { this.closed = true; window.clearTimeout(this.timer); this.ws?.close(); }
}

export function eventsUrl(path: string, token: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1${path}?token=${encodeURIComponent(token)}`;
}
