import { Router } from 'express';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import { Invalid } from '../../errors';
import type { Registry } from '../../registry/registry';
import { parseOrThrow } from '../../validation/parse';
import { PartyBody } from '../conference/routes';
import type { CallService } from '../queueing/callService';
import { callControlAccess } from '../queueing/control';
import type { ConsultService } from './service';

/** POST /calls/{id}/consult, /consult/complete, /consult/cancel. */
export function consultRouter(consults: ConsultService, calls: CallService, registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  r.post('/calls/:id/consult', async (req, res) => {
    const user = userOf(req);
    const callId = String(req.params.id);
    live(user, callId);
    const b = parseOrThrow(PartyBody, req.body, 'consultation request');
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    const target = b.agentId ? { kind: 'agent' as const, id: b.agentId } : { kind: 'extension' as const, id: b.extension! };
    const consultId = await consults.consult(callId, target, user.id);
    res.status(202).json({ callId, consultId, target });
  });
  r.post('/calls/:id/consult/complete', async (req, res) => {
    const user = userOf(req);
    live(user, String(req.params.id));
    await consults.complete(String(req.params.id), user.id);
    res.status(204).end();
  });
  r.post('/calls/:id/consult/cancel', async (req, res) => {
    live(userOf(req), String(req.params.id));
    await consults.cancel(String(req.params.id));
    res.status(204).end();
  });
  return r;
}
