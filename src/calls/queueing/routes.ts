import { Router } from 'express';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import type { CallService } from './callService';
import { callControlAccess } from './control';

/** Ending a live call from the API: the agent on it, supervisors in scope, admins. */
export function hangupRouter(calls: CallService, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  r.post('/calls/:id/hangup', async (req, res) => {
    live(userOf(req), String(req.params.id));
    await calls.hangup(String(req.params.id));
    res.status(204).end();
  });
  return r;
}
