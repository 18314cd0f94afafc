import { Router } from 'express';
import type { Agent } from '../../config/schema';
import type { AgentService } from '../../agents/agentService';
import type { PhoneProvisioner } from '../../phones/provisioner';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import { allow, mayActOnAgent, userOf } from '../auth';

export function agentsRouter(registry: Registry, agents: AgentService, state: StateStore, phones: PhoneProvisioner): Router {
  const r = Router();

  // Phone passwords are write-only: never in a response.
  const view = async (a: Agent) => {
    const [st, device] = await Promise.all([state.agentState(a.id), phones.status(a.id)]);
    const phone = a.phone.mode === 'static' ? { mode: 'static', contact: a.phone.contact } : { mode: 'register', username: a.id };
    return {
      id: a.id, name: a.name, queues: a.queues, phone, device,
      state: { state: st.state, reason: st.reason, since: st.since, loggedInQueues: st.queues, callId: st.callId, callsToday: st.callsToday },
    };
  };

  r.get('/agents', allow('admin', 'supervisor'), async (_req, res) => {
    res.json({ agents: await Promise.all(registry.listAgents().map(view)) });
  });
  r.post('/agents', allow('admin'), async (req, res) => {
    res.status(201).json(await view(await registry.createAgent(req.body)));
  });
  r.get('/agents/:id', async (req, res) => {
    mayActOnAgent(userOf(req), String(req.params.id));
    res.json(await view(registry.agent(String(req.params.id))));
  });
  r.put('/agents/:id', allow('admin'), async (req, res) => {
    res.json(await view(await registry.replaceAgent(String(req.params.id), req.body)));
  });
  r.delete('/agents/:id', allow('admin'), async (req, res) => {
    await registry.deleteAgent(String(req.params.id));
    res.status(204).end();
  });

  const action = (name: 'login' | 'logout' | 'ready' | 'pause') =>
    r.post(`/agents/:id/${name}`, async (req, res) => {
      const id = String(req.params.id);
      mayActOnAgent(userOf(req), id);
      const st = name === 'login' ? await agents.login(id, req.body)
        : name === 'logout' ? await agents.logout(id, req.body)
          : name === 'ready' ? await agents.ready(id)
            : await agents.pause(id, req.body);
      res.json({ agentId: id, state: st.state, reason: st.reason, loggedInQueues: st.queues });
    });
  action('login'); action('logout'); action('ready'); action('pause');
  return r;
}
