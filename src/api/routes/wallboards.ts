import { Router } from 'express';
import type { WallboardService } from '../../wallboards/wallboardService';
import { Invalid } from '../../errors';
import { allow, bearer, userOf } from '../auth';

/** Wallboards and their display tokens: admins and supervisors (on the queues they may see). */
export function wallboardsRouter(wallboards: WallboardService): Router {
  const r = Router();
  const staff = allow('admin', 'supervisor');
  const id = (p: unknown) => String(p);
  r.get('/wallboards', staff, async (req, res) => {
    const a = req.query.archived;
    if (a !== undefined && a !== 'true' && a !== 'false') throw new Invalid('invalid query', [{ path: 'archived', message: 'true or false' }]);
    res.json({ wallboards: await wallboards.list(userOf(req), { archived: a === undefined ? undefined : a === 'true' }) });
  });
  r.post('/wallboards', staff, async (req, res) => { res.status(201).json(await wallboards.create(userOf(req), req.body)); });
  r.get('/wallboards/:id', staff, async (req, res) => { res.json(await wallboards.get(userOf(req), id(req.params.id))); });
  r.put('/wallboards/:id', staff, async (req, res) => { res.json(await wallboards.replace(userOf(req), id(req.params.id), req.body)); });
  r.delete('/wallboards/:id', staff, async (req, res) => { await wallboards.remove(userOf(req), id(req.params.id)); res.status(204).end(); });
  r.post('/wallboards/:id/archive', staff, async (req, res) => { res.json(await wallboards.archive(userOf(req), id(req.params.id), true)); });
  r.post('/wallboards/:id/unarchive', staff, async (req, res) => { res.json(await wallboards.archive(userOf(req), id(req.params.id), false)); });
  r.get('/wallboards/:id/displays', staff, async (req, res) => { res.json({ displays: await wallboards.displays(userOf(req), id(req.params.id)) }); });
  r.post('/wallboards/:id/displays', staff, async (req, res) => { res.status(201).json(await wallboards.issueDisplay(userOf(req), id(req.params.id), req.body)); });
  r.delete('/wallboards/:id/displays/:tokenId', staff, async (req, res) => {
    await wallboards.revokeDisplay(userOf(req), id(req.params.id), id(req.params.tokenId));
    res.status(204).end();
  });
  return r;
}

/** The TV's read: a display token (Bearer or ?token=), no user. Mounted before user authentication. */
export function displayRouter(wallboards: WallboardService): Router {
  const r = Router();
  r.get('/display', async (req, res) => {
    // the URL's token first: a display's URL names its wallboard, whatever else the browser may send
    const token = (typeof req.query.token === 'string' ? req.query.token : undefined) ?? bearer(req.headers.authorization);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await wallboards.displayRead(token));
  });
  return r;
}
