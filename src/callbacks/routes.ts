import { Router } from 'express';
import type { AccessPolicy } from '../access/policy';
import { allow, userOf } from '../api/auth';
import { Forbidden } from '../errors';
import type { CallbackRequests } from './requests';

/** /callbacks: requests from web forms, reading them, and what agents and supervisors do with them. */
export function callbacksRouter(callbacks: CallbackRequests, policy: AccessPolicy, registryHas: (queueId: string) => boolean): Router {
  const r = Router();
  const id = (p: unknown) => String(p);

  // A web form's backend (admin or supervisor token) asks for a callback.
  r.post('/callbacks', allow('admin', 'supervisor'), async (req, res) => {
    const queueId = (req.body as { queueId?: unknown } | undefined)?.queueId;
    if (typeof queueId === 'string' && registryHas(queueId)) policy.queue(userOf(req), queueId);
    res.status(201).json(await callbacks.create(req.body));
  });
  r.get('/callbacks', async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
    const u = userOf(req);
    const list = await callbacks.list({ queueId: q('queueId'), state: q('state'), number: q('number') });
    res.json({ callbacks: list.filter((c) => policy.canQueue(u, c.queueId)) });
  });
  // reading one callback: within the caller's queues
  const readable = async (cbId: string, user: ReturnType<typeof userOf>) => policy.queue(user, (await callbacks.record(cbId)).queueId);
  r.get('/callbacks/:id', async (req, res) => {
    await readable(id(req.params.id), userOf(req));
    res.json(await callbacks.view(id(req.params.id)));
  });
  r.get('/callbacks/:id/message', async (req, res) => {
    await readable(id(req.params.id), userOf(req));
    res.type('audio/wav').send(await callbacks.messageAudio(id(req.params.id)));
  });

  // An agent completes or reschedules the callbacks they handled; supervisors any.
  const handledBy = async (cbId: string, user: ReturnType<typeof userOf>) => {
    const rec = await callbacks.record(cbId);
    if (user.role !== 'agent') return policy.queue(user, rec.queueId);
    if (user.agentId !== rec.agentId && user.agentId !== rec.lastAgentId) throw new Forbidden('an agent may act only on callbacks they handled');
  };
  r.post('/callbacks/:id/complete', async (req, res) => {
    await handledBy(id(req.params.id), userOf(req));
    res.json(await callbacks.complete(id(req.params.id)));
  });
  r.post('/callbacks/:id/reschedule', async (req, res) => {
    await handledBy(id(req.params.id), userOf(req));
    res.json(await callbacks.reschedule(id(req.params.id), req.body));
  });
  r.post('/callbacks/:id/cancel', allow('admin', 'supervisor'), async (req, res) => {
    await readable(id(req.params.id), userOf(req));
    res.json(await callbacks.cancel(id(req.params.id)));
  });
  return r;
}
