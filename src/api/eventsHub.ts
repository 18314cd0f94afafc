import type { IncomingMessage, Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { EventBus } from '../events/bus';
import type { Logger } from '../logger';
import type { AccessPolicy } from '../access/policy';
import type { Principal, UserDirectory } from '../access/users';
import type { MetricsService, QueueStats } from '../metrics/metricsService';
import { bearer } from './auth';

export const EVENTS_PATH = '/api/v1/events';
/** WebSocket paths other hubs answer on the same server (the wallboard displays): not a 404 here. */
export const OTHER_UPGRADE_PATHS = new Set<string>();

/**
 * WebSocket /api/v1/events: every state change from the Redis stream, as JSON {type, at, ...}.
 * Auth as for REST (Authorization: Bearer), or ?token= for browsers, which cannot set headers.
 * Also `metrics.queue` {type, at, ...QueueStats} when a queue's figures change, straight from this
 * controller's metrics (never through the stream), to the clients allowed to see that queue.
 */
export function attachEventsHub(server: Server, bus: EventBus, users: UserDirectory, log: Logger,
  push?: { metrics: MetricsService; policy: AccessPolicy }): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  const principals = new WeakMap<WebSocket, Principal>();
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== EVENTS_PATH) { if (!OTHER_UPGRADE_PATHS.has(url.pathname)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    void users.authenticate(bearer(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined).then((user) => {
      if (!user) { socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'); return; }
      wss.handleUpgrade(req, socket, head, (ws) => { principals.set(ws, user); wss.emit('connection', ws, req); });
    }, () => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
  });
  bus.subscribe((e) => {
    const { id: _id, ...event } = e;
    const text = JSON.stringify({ ...event, at: new Date(e.at).toISOString() });
    for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  });
  const onQueueStats = (s: QueueStats) => {
    const text = JSON.stringify({ type: 'metrics.queue', at: new Date().toISOString(), ...s });
    for (const ws of wss.clients) {
      const user = principals.get(ws);
      if (ws.readyState === WebSocket.OPEN && user && push?.policy.canQueue(user, s.queueId)) ws.send(text);
    }
  };
  // Listening only while someone is connected: with no listener the metrics compute no pushes.
  let connected = 0;
  wss.on('connection', (ws) => {
    if (push && connected++ === 0) push.metrics.on('queue', onQueueStats);
    ws.once('close', () => { if (push && --connected === 0) push.metrics.off('queue', onQueueStats); });
    log.debug('events client connected', { clients: wss.clients.size });
  });
  return wss;
}
