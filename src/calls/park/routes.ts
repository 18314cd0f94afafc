import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import { userOf } from '../../api/auth';
import { Forbidden, Invalid, NotFound } from '../../errors';
import type { StateStore } from '../../state/store';
import { parseOrThrow } from '../../validation/parse';
import type { CallService } from '../queueing/callService';
import { callControlAccess } from '../queueing/control';
import type { ParkService } from './service';

const RetrieveBody = z.object({ agentId: z.string().optional() }).strict();

/**
 * POST /calls/{id}/park; parked calls: any agent of the call's queue may retrieve one to their phone,
 * supervisors to an agent's.
 */
export function parkingRouter(parking: ParkService, calls: CallService, state: StateStore, policy: AccessPolicy): Router {
  const r = Router();
  const live = callControlAccess(calls, policy);
  r.post('/calls/:id/park', async (req, res) => {
    const user = userOf(req);
    live(user, String(req.params.id));
    res.status(201).json({ callId: String(req.params.id), slot: await parking.park(String(req.params.id), user.id) });
  });
  r.get('/parked', async (req, res) => {
    const user = userOf(req);
    const parked = await Promise.all((await state.parkedCalls()).map(async (p) => ({ ...p, call: await state.call(p.callId) })));
    res.json({
      parked: parked.filter((p) => p.call && policy.canQueue(user, p.call.queueId)).map((p) => ({
        slot: p.slot, callId: p.callId, queueId: p.call!.queueId, callerNumber: p.call!.callerNumber, parkedBy: p.call!.parkedBy ?? null,
      })),
    });
  });
  r.post('/parked/:slot/retrieve', async (req, res) => {
    const user = userOf(req);
    const p = { data: parseOrThrow(RetrieveBody, req.body, 'retrieve request') };
    const slot = Number(req.params.slot);
    const entry = (await state.parkedCalls()).find((x) => x.slot === slot);
    const call = entry && (await state.call(entry.callId));
    if (!entry || !call) throw new NotFound('parked call', String(req.params.slot));
    const agentId = user.role === 'agent' ? user.agentId! : p.data.agentId;
    if (!agentId) throw new Invalid('give the agentId to ring');
    if (user.role === 'agent' && p.data.agentId && p.data.agentId !== user.agentId) throw new Forbidden('an agent retrieves parked calls to their own phone');
    policy.queue(user, call.queueId);
    policy.agent(user, agentId);
    await parking.unpark(entry.callId, agentId, false);
    res.status(202).json({ slot, callId: entry.callId, agentId });
  });
  return r;
}
