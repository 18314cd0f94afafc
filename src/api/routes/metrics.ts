import { Router } from 'express';
import type { AccessPolicy } from '../../access/policy';
import type { MetricsService } from '../../metrics/metricsService';
import type { Registry } from '../../registry/registry';
import { allow, userOf } from '../auth';

/**
 * Real-time metrics. Supervisors see their queues and those queues' agents, admins everything; an
 * agent sees its own figures and its queues'. The list of waiting callers (numbers and names) is
 * for supervisors and admins, as /queues/{id}/calls is.
 */
export function metricsRouter(metrics: MetricsService, registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  r.get('/queues/:id/stats', async (req, res) => {
    const id = registry.queue(String(req.params.id)).id;
    policy.queue(userOf(req), id);
    res.json(await metrics.queueStats(id));
  });
  r.get('/agents/:id/stats', async (req, res) => {
    const id = String(req.params.id);
    policy.agent(userOf(req), id);
    res.json(await metrics.agentStats(id));
  });
  r.get('/stats/queues', async (req, res) => {
    const u = userOf(req);
    const queues = registry.listQueues().filter((q) => policy.canQueue(u, q.id));
    res.json({ queues: await Promise.all(queues.map((q) => metrics.queueStats(q.id))) });
  });
  r.get('/stats/waiting', allow('admin', 'supervisor'), async (req, res) => {
    const u = userOf(req);
    res.json({ callers: await metrics.waitingCallers(registry.listQueues().filter((q) => policy.canQueue(u, q.id)).map((q) => q.id)) });
  });
  return r;
}
