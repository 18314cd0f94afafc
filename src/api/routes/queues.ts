import { Router } from 'express';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { AccessPolicy } from '../../access/policy';
import { Forbidden } from '../../errors';
import { allow, userOf } from '../auth';

export function queuesRouter(registry: Registry, state: StateStore, policy: AccessPolicy): Router {
  const r = Router();
  // Queue configuration: admins, and supervisors with manageQueues (any queue, as configAccess is for
  // any agent). Checked before the body, so a refused user learns nothing from validation.
  const manage = (req: Parameters<typeof userOf>[0]) => {
    const u = userOf(req);
    if (u.role === 'agent' || !u.permissions.manageQueues) throw new Forbidden('changing queues needs the manageQueues permission');
  };

  r.get('/queues', (_req, res) => { res.json({ queues: registry.listQueues() }); });
  r.post('/queues', async (req, res) => {
    manage(req);
    res.status(201).json(await registry.createQueue(req.body));
  });
  r.get('/queues/:id', (req, res) => { res.json(registry.queue(String(req.params.id))); });
  r.put('/queues/:id', async (req, res) => {
    manage(req);
    res.json(await registry.replaceQueue(String(req.params.id), req.body));
  });
  r.delete('/queues/:id', async (req, res) => {
    manage(req);
    await registry.deleteQueue(String(req.params.id));
    res.status(204).end();
  });

  // Waiting callers in service order, with position and how long each has waited.
  r.get('/queues/:id/calls', allow('admin', 'supervisor'), async (req, res) => {
    const q = registry.queue(String(req.params.id));
    policy.queue(userOf(req), q.id);
    const now = Date.now();
    const waiting = await state.waiting(q.id);
    const records = await Promise.all(waiting.map((w) => state.call(w.callId)));
    res.json({
      calls: records.filter((c) => c !== undefined).map((c, i) => ({
        callId: c.id, position: i + 1, callerNumber: c.callerNumber, callerName: c.callerName, priority: c.priority ?? 0,
        state: c.state, enqueuedAt: new Date(c.enqueuedAt).toISOString(), waitMs: now - c.enqueuedAt,
      })),
    });
  });
  return r;
}
