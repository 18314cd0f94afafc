import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Ari } from '../../ari/client';

/** No auth: load balancers and monitors probe it. 503 while Redis or ARI is down. */
export function healthRouter(ari: Ari, redis: Redis): Router {
  const r = Router();
  r.get('/health', async (_req, res) => {
    const redisOk = await redis.ping().then(() => true, () => false);
    const ok = redisOk && ari.connected;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      redis: { connected: redisOk },
      ari: { connected: ari.connected },
      asterisk: { reachable: ari.connected },
    });
  });
  return r;
}
