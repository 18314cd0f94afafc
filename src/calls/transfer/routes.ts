import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import { Invalid } from '../../errors';
import type { Registry } from '../../registry/registry';
import { parseOrThrow } from '../../validation/parse';
import type { CallService } from '../queueing/callService';
import { callControlAccess } from '../queueing/control';
import { EXTERNAL_TARGET, type TransferService, type TransferTarget } from './service';

const TransferBody = z.object({
  agentId: z.string().optional(),
  queueId: z.string().optional(),
  extension: z.string().regex(EXTERNAL_TARGET, 'a dialplan extension or number').optional(),
}).strict().refine((b) => [b.agentId, b.queueId, b.extension].filter(Boolean).length === 1, { message: 'give exactly one of agentId, queueId, extension' });

/** POST /calls/{id}/transfer. */
export function transferRouter(transfers: TransferService, calls: CallService, registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  r.post('/calls/:id/transfer', async (req, res) => {
    const user = userOf(req);
    const callId = String(req.params.id);
    live(user, callId);
    const b = parseOrThrow(TransferBody, req.body, 'transfer');
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    if (b.queueId && !registry.findQueue(b.queueId)) throw new Invalid(`unknown queue ${b.queueId}`);
    const t: TransferTarget = b.agentId ? { kind: 'agent', target: b.agentId }
      : b.queueId ? { kind: 'queue', target: b.queueId } : { kind: 'external', target: b.extension! };
    await transfers.transfer(callId, t, user.id);
    res.status(202).json({ callId, transfer: t });
  });
  return r;
}
