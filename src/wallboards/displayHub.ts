import type { IncomingMessage, Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { EventBus } from '../events/bus';
import type { Logger } from '../logger';
import type { MetricsService, QueueStats } from '../metrics/metricsService';
import { OTHER_UPGRADE_PATHS } from '../api/eventsHub';
import type { WallboardService } from './wallboardService';
import { AcdError } from '../errors';

export const DISPLAY_EVENTS_PATH = '/api/v1/display/events';
/** Close codes a display understands: its token is gone (revoked, wallboard deleted), or the wallboard is archived. */
export const CLOSE_REVOKED = 4401;
export const CLOSE_ARCHIVED = 4409;

interface Screen { ws: WebSocket; tokenId: string; wallboardId: string; queues: Set<string> }

/**
 * WebSocket /api/v1/display/events?token=<display token>: a wallboard's screen. It gets a snapshot
 * (display.snapshot) on connect and when the wallboard is edited, `metrics.queue` for that wallboard's
 * queues only, and is closed when its token is revoked or the wallboard archived or deleted. Nothing
 * else reaches it: a display token is not a user.
 */
export function attachDisplayHub(server: Server, bus: EventBus, metrics: MetricsService, wallboards: WallboardService, log: Logger): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  const screens = new Set<Screen>();
  OTHER_UPGRADE_PATHS.add(DISPLAY_EVENTS_PATH);

  const snapshot = async (s: Screen) => {
    try {
      const d = await wallboards.displayRead(tokenOf.get(s.ws));
      s.queues = new Set(d.queues.map((q) => q.id));
      if (s.ws.readyState === WebSocket.OPEN) s.ws.send(JSON.stringify({ type: 'display.snapshot', at: new Date().toISOString(), ...d }));
    } catch (err) {
      s.ws.close(err instanceof AcdError && err.code === 'WALLBOARD_ARCHIVED' ? CLOSE_ARCHIVED : CLOSE_REVOKED, err instanceof AcdError ? err.code : 'error');
    }
  };
  const tokenOf = new WeakMap<WebSocket, string>();

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== DISPLAY_EVENTS_PATH) return;
    const token = url.searchParams.get('token') ?? undefined;
    wallboards.displayRead(token).then((d) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        const s: Screen = { ws, tokenId: d.tokenId, wallboardId: d.wallboard.id, queues: new Set(d.queues.map((q) => q.id)) };
        tokenOf.set(ws, token!);
        if (screens.size === 0) metrics.on('queue', onQueueStats);
        screens.add(s);
        ws.once('close', () => { screens.delete(s); if (screens.size === 0) metrics.off('queue', onQueueStats); });
        ws.send(JSON.stringify({ type: 'display.snapshot', at: new Date().toISOString(), ...d }));
        log.debug('wallboard display connected', { wallboardId: d.wallboard.id, screens: screens.size });
      });
    }, (err) => {
      const status = err instanceof AcdError ? err.status : 503;
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 409 ? 'Conflict' : 'Service Unavailable'}\r\nContent-Length: 0\r\n\r\n`);
    });
  });

  const onQueueStats = (st: QueueStats) => {
    let text: string | undefined;
    for (const s of screens) {
      if (!s.queues.has(st.queueId) || s.ws.readyState !== WebSocket.OPEN) continue;
      text ??= JSON.stringify({ type: 'metrics.queue', at: new Date().toISOString(), ...st });
      s.ws.send(text);
    }
  };

  bus.subscribe((e) => {
    if (e.type === 'wallboard.display_revoked') {
      for (const s of screens) if (s.tokenId === e.tokenId) s.ws.close(CLOSE_REVOKED, 'DISPLAY_TOKEN_REVOKED');
    } else if (e.type === 'wallboard.changed') {
      for (const s of screens) {
        if (s.wallboardId !== e.wallboardId) continue;
        if (e.change === 'archived') s.ws.close(CLOSE_ARCHIVED, 'WALLBOARD_ARCHIVED');
        else if (e.change === 'deleted') s.ws.close(CLOSE_REVOKED, 'WALLBOARD_DELETED');
        else void snapshot(s);
      }
    }
  });
  return wss;
}
