import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import { parseOrThrow } from '../../validation/parse';
import type { CallService } from '../queueing/callService';
import { callControlAccess } from '../queueing/control';
import type { HoldService } from './service';

const DtmfBody = z.object({ digits: z.string().regex(/^[0-9*#A-D]{1,32}$/, 'DTMF digits 0-9 * # A-D'), to: z.enum(['caller', 'agent']).default('caller') }).strict();

/** /calls/{id}/hold, /unhold, /dtmf. */
export function holdRouter(hold: HoldService, calls: CallService, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  for (const [path, on] of [['hold', true], ['unhold', false]] as const) {
    r.post(`/calls/:id/${path}`, async (req, res) => {
      const user = userOf(req);
      live(user, String(req.params.id));
      await hold.hold(String(req.params.id), on, user.id);
      res.status(204).end();
    });
  }
  r.post('/calls/:id/dtmf', async (req, res) => {
    live(userOf(req), String(req.params.id));
    const b = parseOrThrow(DtmfBody, req.body, 'DTMF request');
    await hold.sendDtmf(String(req.params.id), b.to, b.digits);
    res.status(204).end();
  });
  return r;
}
