import { Router } from 'express';
import { z } from 'zod';
import { Skills, describeIssues } from '../../config/schema';
import { Conflict, Invalid, NotFound } from '../../errors';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallService } from '../../calls/queueing/callService';
import type { AccessPolicy } from '../../access/policy';
import { Dispositions, callView } from '../../calls/dispositions';
import { allow, userOf } from '../auth';

const RoutingBody = z.object({
  /** 0-99: each level counts as the queue's priorityStepSec of extra waiting. */
  priority: z.number().int().min(0).max(99).optional(),
  /** The caller's own required skills (minimum levels 1-5), replacing any set before. */
  skills: Skills.optional(),
}).strict().refine((b) => b.priority !== undefined || b.skills !== undefined, { message: 'give priority, skills or both' });

/** Live calls on this controller's Asterisk. */
export function callsRouter(calls: CallService, state: StateStore, policy: AccessPolicy, dispositions: Dispositions, registry: Registry): Router {
  const r = Router();
  r.get('/calls', allow('admin', 'supervisor'), async (req, res) => {
    const u = userOf(req);
    const recs = await Promise.all(calls.liveSessions().filter((s) => policy.canQueue(u, s.queueId)).map((s) => state.call(s.callId)));
    res.json({ calls: recs.filter((c) => c !== undefined) });
  });
  r.get('/calls/:id', async (req, res) => {
    res.json(callView(await dispositions.record(userOf(req), String(req.params.id))));
  });
  // during or after the call: the agent who took it (useDispositions), supervisors in scope, admins
  r.post('/calls/:id/disposition', async (req, res) => {
    res.json(callView(await dispositions.set(userOf(req), String(req.params.id), req.body)));
  });
  // A waiting caller's priority and required skills (supervisors in the queue's scope, admins):
  // Redis holds them, so any controller may change them; the caller's controller looks again.
  r.post('/calls/:id/routing', allow('admin', 'supervisor'), async (req, res) => {
    const id = String(req.params.id);
    const p = RoutingBody.safeParse(req.body ?? {});
    if (!p.success) throw new Invalid('invalid routing change', describeIssues(p.error));
    const rec = await state.call(id);
    if (!rec || rec.kind === 'callback') throw new NotFound('call', id);
    policy.queue(userOf(req), rec.queueId);
    const queue = registry.queue(rec.queueId);
    const r2 = await state.callPriority(id, p.data, queue.priorityStepSec * 1000, userOf(req).id);
    if (!r2.ok) throw new Conflict('CALL_NOT_WAITING', 'only a waiting caller\'s priority and skills can change');
    res.json({ callId: id, queueId: rec.queueId, position: r2.value, priority: p.data.priority ?? rec.priority ?? 0,
      skills: p.data.skills ?? (rec.skills ? JSON.parse(rec.skills) : {}) });
  });
  return r;
}
