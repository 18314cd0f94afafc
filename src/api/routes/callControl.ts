import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import type { Principal } from '../../access/users';
import type { CallService } from '../../calls/callService';
import { Forbidden, Invalid, NotFound } from '../../errors';
import type { Registry } from '../../registry/registry';
import { userOf } from '../auth';
import { parseOrThrow } from '../../validation/parse';

const DtmfBody = z.object({ digits: z.string().regex(/^[0-9*#A-D]{1,32}$/, 'DTMF digits 0-9 * # A-D'), to: z.enum(['caller', 'agent']).default('caller') }).strict();
const TransferBody = z.object({
  agentId: z.string().optional(),
  queueId: z.string().optional(),
  extension: z.string().regex(/^[0-9*#+]{2,32}$/, 'a dialplan extension or number').optional(),
}).strict().refine((b) => [b.agentId, b.queueId, b.extension].filter(Boolean).length === 1, { message: 'give exactly one of agentId, queueId, extension' });

const PartyBody = z.object({
  agentId: z.string().optional(),
  extension: z.string().regex(/^[A-Za-z0-9_+*#-]{2,64}$/, 'a PJSIP endpoint or extension').optional(),
}).strict().refine((b) => Boolean(b.agentId) !== Boolean(b.extension), { message: 'give exactly one of agentId, extension' });

/** In-call control: the agent on the call, supervisors in scope, admins. */
export function callControlRouter(calls: CallService, registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  const live = (user: Principal, callId: string) => {
    const s = calls.liveSession(callId);
    if (!s) throw new NotFound('call', callId);
    const mine = user.role === 'agent' && s.connected?.agentId === user.agentId;
    if (user.role === 'agent' ? !mine : !policy.canQueue(user, s.queueId)) throw new Forbidden('not a call you may control');
    return s;
  };
  const id = (p: unknown) => String(p);

  for (const [path, on] of [['hold', true], ['unhold', false]] as const) {
    r.post(`/calls/:id/${path}`, async (req, res) => {
      const user = userOf(req);
      live(user, id(req.params.id));
      await calls.hold(id(req.params.id), on, user.id);
      res.status(204).end();
    });
  }
  r.post('/calls/:id/dtmf', async (req, res) => {
    live(userOf(req), id(req.params.id));
    const b = parseOrThrow(DtmfBody, req.body, 'DTMF request');
    await calls.sendDtmf(id(req.params.id), b.to, b.digits);
    res.status(204).end();
  });
  r.post('/calls/:id/transfer', async (req, res) => {
    const user = userOf(req);
    live(user, id(req.params.id));
    const b = parseOrThrow(TransferBody, req.body, 'transfer');
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    if (b.queueId && !registry.findQueue(b.queueId)) throw new Invalid(`unknown queue ${b.queueId}`);
    const t = b.agentId ? { kind: 'agent' as const, target: b.agentId }
      : b.queueId ? { kind: 'queue' as const, target: b.queueId } : { kind: 'external' as const, target: b.extension! };
    await calls.transfer(id(req.params.id), t, user.id);
    res.status(202).json({ callId: id(req.params.id), transfer: t });
  });
  r.post('/calls/:id/conference', async (req, res) => {
    const user = userOf(req);
    live(user, id(req.params.id));
    const b = parseOrThrow(PartyBody, req.body, 'conference request');
    const target = b.agentId ?? b.extension!;
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    const partyId = await calls.addParty(id(req.params.id), target, user.id, Boolean(b.agentId));
    res.status(202).json({ callId: id(req.params.id), partyId, target });
  });
  r.post('/calls/:id/consult', async (req, res) => {
    const user = userOf(req);
    live(user, id(req.params.id));
    const b = parseOrThrow(PartyBody, req.body, 'consultation request');
    if (b.agentId && !registry.findAgent(b.agentId)) throw new Invalid(`unknown agent ${b.agentId}`);
    const target = b.agentId ? { kind: 'agent' as const, id: b.agentId } : { kind: 'extension' as const, id: b.extension! };
    const consultId = await calls.consult(id(req.params.id), target, user.id);
    res.status(202).json({ callId: id(req.params.id), consultId, target });
  });
  r.post('/calls/:id/consult/complete', async (req, res) => {
    const user = userOf(req);
    live(user, id(req.params.id));
    await calls.completeConsult(id(req.params.id), user.id);
    res.status(204).end();
  });
  r.post('/calls/:id/consult/cancel', async (req, res) => {
    live(userOf(req), id(req.params.id));
    await calls.cancelConsult(id(req.params.id));
    res.status(204).end();
  });
  r.post('/calls/:id/hangup', async (req, res) => {
    live(userOf(req), id(req.params.id));
    await calls.hangup(id(req.params.id));
    res.status(204).end();
  });
  r.post('/calls/:id/park', async (req, res) => {
    const user = userOf(req);
    live(user, id(req.params.id));
    res.status(201).json({ callId: id(req.params.id), slot: await calls.park(id(req.params.id), user.id) });
  });
  r.delete('/calls/:id/conference/:partyId', async (req, res) => {
    live(userOf(req), id(req.params.id));
    await calls.dropParty(id(req.params.id), id(req.params.partyId));
    res.status(204).end();
  });
  return r;
}
