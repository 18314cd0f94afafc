import { Router } from 'express';
import type { Agent } from '../../config/schema';
import type { AgentService } from '../../agents/agentService';
import type { PhoneProvisioner } from '../../phones/provisioner';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { AccessPolicy } from '../../access/policy';
import { Forbidden } from '../../errors';
import { allow, userOf } from '../auth';

export function agentsRouter(registry: Registry, agents: AgentService, state: StateStore, phones: PhoneProvisioner, policy: AccessPolicy): Router {
  const r = Router();
  // The agent registry is configuration: admins, and supervisors with configAccess.
  const configure = (req: Parameters<typeof userOf>[0]) => {
    const u = userOf(req);
    if (u.role === 'agent' || !u.permissions.configAccess) throw new Forbidden('changing agents needs the configAccess permission');
  };

  // Phone passwords are write-only: never in a response.
  const view = async (a: Agent) => {
    const [st, device] = await Promise.all([state.agentState(a.id), phones.status(a.id)]);
    const phone = a.phone.mode === 'static' ? { mode: 'static', contact: a.phone.contact } : { mode: 'register', username: a.id };
    return {
      id: a.id, name: a.name, queues: a.queues, phone, device,
      // the rest of the definition, for the admin pages (phone passwords stay write-only)
      callbackQueues: a.callbackQueues, wrapUpSec: a.wrapUpSec, protected: a.protected, skills: a.skills, penalties: a.penalties,
      state: {
        state: st.state, reason: st.reason, since: st.since, loggedInQueues: st.queues, pausedQueues: st.pausedQueues, device: st.device,
        // logged in without being assigned (organisation setting allowUnassignedQueueLogin): until logged out
        unassignedQueues: st.queues.filter((q) => !a.queues.includes(q)),
        callId: st.callId, callsToday: st.callsToday,
        wrapUpUntil: st.wrapUpUntil ? new Date(st.wrapUpUntil).toISOString() : null,
      },
    };
  };

  r.get('/agents', allow('admin', 'supervisor'), async (req, res) => {
    const u = userOf(req);
    res.json({ agents: await Promise.all(registry.listAgents().filter((a) => policy.canAgent(u, a.id)).map(view)) });
  });
  r.post('/agents', async (req, res) => {
    configure(req);
    res.status(201).json(await view(await registry.createAgent(req.body)));
  });
  r.get('/agents/:id', async (req, res) => {
    policy.agent(userOf(req), String(req.params.id));
    res.json(await view(registry.agent(String(req.params.id))));
  });
  r.put('/agents/:id', async (req, res) => {
    configure(req);
    res.json(await view(await registry.replaceAgent(String(req.params.id), req.body)));
  });
  r.delete('/agents/:id', async (req, res) => {
    configure(req);
    await registry.deleteAgent(String(req.params.id));
    res.status(204).end();
  });

  const action = (name: 'login' | 'logout' | 'ready' | 'pause') =>
    r.post(`/agents/:id/${name}`, async (req, res) => {
      const id = String(req.params.id);
      policy.agent(userOf(req), id);
      const st = name === 'login' ? await agents.login(id, req.body)
        : name === 'logout' ? await agents.logout(id, req.body)
          : name === 'ready' ? await agents.ready(id, req.body)
            : await agents.pause(id, req.body);
      res.json({ agentId: id, state: st.state, reason: st.reason, loggedInQueues: st.queues, pausedQueues: st.pausedQueues });
    });
  action('login'); action('logout'); action('ready'); action('pause');
  // wrap-up's routes are the wrap-up feature's (calls/wrapUp/routes.ts)
  return r;
}
