import type { IncomingMessage, Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { AcdEvent, EventBus } from '../events/bus';
import type { Logger } from '../logger';
import type { AccessPolicy } from '../access/policy';
import type { Principal, UserDirectory } from '../access/users';
import type { MetricsService, QueueStats } from '../metrics/metricsService';
import { withinRequest } from '../state/connection';
import { bearer } from './auth';

export const EVENTS_PATH = '/api/v1/events';
/** WebSocket paths other hubs answer on the same server (the wallboard displays): not a 404 here. */
export const OTHER_UPGRADE_PATHS = new Set<string>();

/** Close codes a client can branch on (4000-4999 are the application's). */
export const CLOSE_CREDENTIAL_REVOKED = 4001;
export const CLOSE_USER_CHANGED = 4003;
export const CLOSE_TOO_SLOW = 4008;

export interface HubLimits {
  /** A client that has not answered the previous ping by the next one is dropped. */
  pingIntervalMs: number;
  /** A client whose unsent data exceeds this is disconnected instead of buffered without bound. */
  maxBufferedBytes: number;
  /** Clients send nothing the hub needs: a larger message closes the socket (1009). */
  maxPayloadBytes: number;
}
const DEFAULT_LIMITS: HubLimits = { pingIntervalMs: 30_000, maxBufferedBytes: 4 * 1024 * 1024, maxPayloadBytes: 4096 };

/**
 * WebSocket /api/v1/events: the state changes from the Redis stream, as JSON {type, at, ...}, each
 * to the clients whose user may read the same over REST (AccessPolicy.mayReceive, built on the
 * routes' own checks). Auth as for REST (Authorization: Bearer), or ?token= for browsers.
 * Also `metrics.queue` {type, at, ...QueueStats} when a queue's figures change, straight from this
 * controller's metrics (never through the stream), to the clients allowed to see that queue.
 *
 * A socket lives only as long as its credential: every controller tails the stream, so a token
 * revoked (token.revoked, keyed on token id: API tokens and sign-in sessions alike) or a user
 * deleted or changed (registry.changed kind users) closes that user's sockets on all of them.
 */
export function attachEventsHub(server: Server, bus: EventBus, users: UserDirectory, log: Logger,
  push: { metrics?: MetricsService; policy: AccessPolicy; limits?: Partial<HubLimits> }): WebSocketServer {
  const limits = { ...DEFAULT_LIMITS, ...push.limits };
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
  const principals = new Map<WebSocket, Principal>();
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== EVENTS_PATH) { if (!OTHER_UPGRADE_PATHS.has(url.pathname)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    // the token lookup refuses at once while Redis is down (request connection), as REST does
    let checked!: () => void;
    const answered = new Promise<void>((r) => { checked = r; });
    void withinRequest(() => users.authenticate(bearer(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined), answered).finally(checked).then((user) => {
      if (!user) { socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'); return; }
      wss.handleUpgrade(req, socket, head, (ws) => { principals.set(ws, user); alive.set(ws, true); wss.emit('connection', ws, req); });
    }, () => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
  });

  const send = (ws: WebSocket, text: string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      // a client that does not read: cut it off rather than hold its backlog in memory
      log.warn('events client too slow: disconnected', { userId: principals.get(ws)?.id, bufferedBytes: ws.bufferedAmount });
      ws.terminate();
      return;
    }
    ws.send(text);
  };

  const close = (ws: WebSocket, code: number, reason: string) => {
    log.info('events client closed: its credential ended', { userId: principals.get(ws)?.id, code, reason });
    principals.delete(ws);
    ws.close(code, reason);
    // a client that does not answer the close handshake is cut off (ws would wait 30 s)
    setTimeout(() => ws.terminate(), 1000).unref();
  };

  /** Sessions of a user whose credential or rights changed: closed, or given the new rights. */
  const credentialsChanged = async (e: AcdEvent) => {
    if (e.type === 'token.revoked') {
      for (const [ws, p] of principals) if (p.id === e.userId && p.tokenId === e.tokenId) close(ws, CLOSE_CREDENTIAL_REVOKED, 'token revoked');
      return;
    }
    if (e.type !== 'registry.changed' || e.kind !== 'users') return;
    for (const [ws, p] of principals) {
      if (p.id !== e.definitionId) continue;
      if (e.change === 'deleted') { close(ws, CLOSE_CREDENTIAL_REVOKED, 'user deleted'); continue; }
      const now = await users.refresh(p).catch(() => undefined);
      if (!principals.has(ws)) continue;
      // a changed role (a demotion) ends the session; other changes (queues, permissions) apply at once
      if (!now || now.role !== p.role) close(ws, CLOSE_USER_CHANGED, 'user changed');
      else principals.set(ws, now);
    }
  };

  bus.subscribe((e) => {
    // the text is made once per event, and only when some client is to receive it: with nobody
    // connected (the usual case on a busy controller) an event costs no serialising at all
    let text: string | undefined;
    // the event itself first (an admin sees the revocation), then the sessions it ends
    for (const [ws, user] of principals) {
      if (!push.policy.mayReceive(user, e)) continue;
      if (text === undefined) {
        const { id: _id, ...event } = e;
        text = JSON.stringify({ ...event, at: new Date(e.at).toISOString() });
      }
      send(ws, text);
    }
    if (e.type === 'token.revoked' || e.type === 'registry.changed') {
      void credentialsChanged(e).catch((err) => log.warn('events: closing sessions failed', { error: (err as Error).message }));
    }
  });
  const onQueueStats = (s: QueueStats) => {
    const text = JSON.stringify({ type: 'metrics.queue', at: new Date().toISOString(), ...s });
    for (const [ws, user] of principals) if (push.policy.canQueue(user, s.queueId)) send(ws, text);
  };

  // Heartbeats: a client that did not answer the last ping (gone without a FIN) is dropped.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) { log.info('events client missed its pong: dropped', { userId: principals.get(ws)?.id }); ws.terminate(); continue; }
      alive.set(ws, false);
      ws.ping();
    }
  }, limits.pingIntervalMs);
  heartbeat.unref();
  wss.on('close', () => clearInterval(heartbeat));

  // Listening only while someone is connected: with no listener the metrics compute no pushes.
  let connected = 0;
  wss.on('connection', (ws) => {
    if (push.metrics && connected++ === 0) push.metrics.on('queue', onQueueStats);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', (err) => log.debug('events client error', { error: err.message }));   // e.g. a message over maxPayload
    ws.once('close', () => {
      principals.delete(ws);
      if (push.metrics && --connected === 0) push.metrics.off('queue', onQueueStats);
    });
    log.debug('events client connected', { clients: wss.clients.size });
  });
  return wss;
}
