import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import { Invalid } from '../../errors';
import type { Registry } from '../../registry/registry';
import { parseOrThrow } from '../../validation/parse';
import type { CallService } from '../queueing/callService';
import { callControlAccess } from '../queueing/control';
import type { ConferenceService } from './service';

/** An agent or a PJSIP endpoint / extension: what conference and consultation requests name. */
export const PartyBody = z.object({
  agentId: z.string().optional(),
  extension: z.string().regex(/^[A-Za-z0-9_+*#-]{2,64}$/, 'a PJSIP endpoint or extension').optional(),
}).strict().refine((b) => Boolean(b.agentId) !== Boolean(b.extension), { message: 'give exactly one of agentId, extension' });

/** POST /calls/{id}/conference, DELETE /calls/{id}/conference/{partyId}. */
export function conferenceRouter(conference: ConferenceService, calls: CallService, registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  r.post('/calls/:id/conference', async (req, res) => {
    const user = userOf(req);
    const callId = String(req.params.id);
    live(user, callId);
    const b = parseOrThrow(PartyBody, req.body, 'conference request');
    const target = b.agentId ?? b.extension!;
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    const partyId = await conference.addParty(callId, target, user.id, Boolean(b.agentId));
    res.status(202).json({ callId, partyId, target });
  });
  r.delete('/calls/:id/conference/:partyId', async (req, res) => {
    live(userOf(req), String(req.params.id));
    await conference.dropParty(String(req.params.id), String(req.params.partyId));
    res.status(204).end();
  });
  return r;
}
