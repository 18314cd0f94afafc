import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { Unauthorized } from '../../errors';
import type { PrometheusExporter } from '../../prometheus/exporter';
import { bearer } from '../auth';

/** GET /metrics (outside /api/v1): Prometheus text format; with ACD_METRICS_TOKEN set, only with that bearer token. */
export function prometheusRouter(exporter: PrometheusExporter, token?: string): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    if (token) {
      const given = Buffer.from(bearer(req.headers.authorization) ?? '');
      const want = Buffer.from(token);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw new Unauthorized('the metrics token is required');
    }
    res.setHeader('content-type', exporter.contentType);
    res.send(await exporter.metrics());
  });
  return r;
}
