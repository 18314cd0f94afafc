import { Router } from 'express';
import { z } from 'zod';
import type { AccessPolicy } from '../../access/policy';
import { Skills } from '../../config/schema';
import { Forbidden } from '../../errors';
import type { Registry } from '../../registry/registry';
import { userOf } from '../auth';
import { parseOrThrow } from '../../validation/parse';

/**
 * Skills and their assignment: every skill named by an agent or a queue, with each agent's level
 * (viewSkills), and setting one agent's skills alone (manageSkills), without resending the rest of its
 * definition (a registering phone's password is write-only).
 */
export function skillsRouter(registry: Registry, policy: AccessPolicy): Router {
  const r = Router();
  r.get('/skills', (req, res) => {
    const u = userOf(req);
    if (u.role === 'agent') throw new Forbidden('skills are for supervisors and admins');
    policy.permission(u, 'viewSkills');
    const agents = registry.listAgents().filter((a) => policy.canAgent(u, a.id));
    const names = new Set<string>();
    for (const a of agents) Object.keys(a.skills).forEach((k) => names.add(k));
    for (const q of registry.listQueues()) Object.keys(q.requiredSkills).forEach((k) => names.add(k));
    res.json({
      skills: [...names].sort().map((name) => ({
        name,
        agents: Object.fromEntries(agents.filter((a) => a.skills[name] !== undefined).map((a) => [a.id, a.skills[name]])),
        queues: Object.fromEntries(registry.listQueues().filter((q) => q.requiredSkills[name] !== undefined && policy.canQueue(u, q.id)).map((q) => [q.id, q.requiredSkills[name]])),
      })),
    });
  });
  r.put('/agents/:id/skills', async (req, res) => {
    const u = userOf(req);
    if (u.role === 'agent') throw new Forbidden('skills are set by supervisors and admins');
    policy.permission(u, 'manageSkills');
    const id = String(req.params.id);
    policy.agent(u, id);
    const agent = registry.agent(id);
    const p = parseOrThrow(z.object({ skills: Skills }).strict(), req.body, 'skills');
    const saved = await registry.replaceAgent(id, { ...agent, skills: p.skills });
    res.json({ agentId: id, skills: saved.skills });
  });
  return r;
}
