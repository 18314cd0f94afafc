import { Router } from 'express';
import { allow, userOf } from '../api/auth';
import type { MonitorService } from './monitorService';

/** Supervisor listen / whisper / barge on live calls: supervisors and admins. */
export function monitorsRouter(monitors: MonitorService): Router {
  const r = Router();
  const sup = allow('admin', 'supervisor');
  const id = (p: unknown) => String(p);
  r.post('/calls/:id/monitor', sup, async (req, res) => { res.status(201).json(await monitors.start(userOf(req), id(req.params.id), req.body)); });
  r.post('/agents/:id/monitor', sup, async (req, res) => { res.status(201).json(await monitors.startOnAgent(userOf(req), id(req.params.id), req.body)); });
  r.get('/monitors', sup, async (req, res) => { res.json({ monitors: await monitors.list(userOf(req)) }); });
  r.get('/monitors/:id', sup, async (req, res) => { res.json(await monitors.view(id(req.params.id), userOf(req))); });
  r.patch('/monitors/:id', sup, async (req, res) => { res.json(await monitors.changeMode(userOf(req), id(req.params.id), req.body)); });
  r.delete('/monitors/:id', sup, async (req, res) => { await monitors.stop(userOf(req), id(req.params.id)); res.status(204).end(); });
  return r;
}
