import { Router } from 'express';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import type { WrapUpService } from './service';

/** POST /agents/{id}/wrapup/extend and /wrapup/end: the agent themself (as their queue allows), supervisors in scope, admins. */
export function wrapUpRouter(wrapUp: WrapUpService, policy: AccessPolicy): Router {
  const r = Router();
  for (const name of ['extend', 'end'] as const) {
    r.post(`/agents/:id/wrapup/${name}`, async (req, res) => {
      const id = String(req.params.id);
      const user = userOf(req);
      policy.agent(user, id);
      const st = name === 'extend' ? await wrapUp.extend(user, id) : await wrapUp.end(user, id);
      res.json({ agentId: id, state: st.state, wrapUpUntil: st.wrapUpUntil ? new Date(st.wrapUpUntil).toISOString() : null });
    });
  }
  return r;
}
