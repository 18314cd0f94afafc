import { Router } from 'express';
import type { StateStore } from '../../state/store';
import type { CallService } from '../../calls/callService';
import { allow } from '../auth';

/** Live calls on this controller's Asterisk. */
export function callsRouter(calls: CallService, state: StateStore): Router {
  const r = Router();
  r.get('/calls', allow('admin', 'supervisor'), async (_req, res) => {
    const recs = await Promise.all(calls.liveSessions().map((s) => state.call(s.callId)));
    res.json({ calls: recs.filter((c) => c !== undefined) });
  });
  return r;
}
