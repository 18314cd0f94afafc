import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Ari } from '../../ari/client';
import type { ConnectionWatch } from '../../state/connection';

/**
 * No auth: load balancers and monitors probe it. 503 while Redis or ARI is down, saying which.
 * With the connection watches it answers at once from their state (a PING on a patient connection
 * would wait as long as the outage lasts).
 */
export function healthRouter(ari: Ari, redis: Redis, watches?: ConnectionWatch[]): Router {
  const r = Router();
  r.get('/health', async (_req, res) => {
    const redisOk = watches ? watches.every((w) => w.up) : await redis.ping().then(() => true, () => false);
    const ok = redisOk && ari.connected;
    const down = [...(redisOk ? [] : ['redis']), ...(ari.connected ? [] : ['ari'])];
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      down,
      redis: {
        connected: redisOk,
        ...(watches ? { connections: Object.fromEntries(watches.map((w) => [w.name, { up: w.up, downSince: w.downSince ? new Date(w.downSince).toISOString() : null }])) } : {}),
      },
      ari: { connected: ari.connected },
      asterisk: { reachable: ari.connected },
    });
  });
  return r;
}
