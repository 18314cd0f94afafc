import { Router } from 'express';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { AccessPolicy } from '../../access/policy';
import { allow, userOf } from '../auth';

export function queuesRouter(registry: Registry, state: StateStore, policy: AccessPolicy): Router {
  const r = Router();
  r.get('/queues', (_req, res) => { res.json({ queues: registry.listQueues() }); });
  r.get('/queues/:id', (req, res) => { res.json(registry.queue(String(req.params.id))); });

  // Waiting callers in service order, with position and how long each has waited.
  r.get('/queues/:id/calls', allow('admin', 'supervisor'), async (req, res) => {
    const q = registry.queue(String(req.params.id));
    policy.queue(userOf(req), q.id);
    const now = Date.now();
    const waiting = await state.waiting(q.id);
    const records = await Promise.all(waiting.map((w) => state.call(w.callId)));
    res.json({
      calls: records.filter((c) => c !== undefined).map((c, i) => ({
        callId: c.id, position: i + 1, callerNumber: c.callerNumber, callerName: c.callerName,
        state: c.state, enqueuedAt: new Date(c.enqueuedAt).toISOString(), waitMs: now - c.enqueuedAt,
      })),
    });
  });
  return r;
}
