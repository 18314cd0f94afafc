import { Router } from 'express';
import type { StateStore } from '../../state/store';
import type { CallService } from '../../calls/callService';
import type { AccessPolicy } from '../../access/policy';
import { Dispositions, callView } from '../../calls/dispositions';
import { allow, userOf } from '../auth';

/** Live calls on this controller's Asterisk. */
export function callsRouter(calls: CallService, state: StateStore, policy: AccessPolicy, dispositions: Dispositions): Router {
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
  return r;
}
