import { Router } from 'express';
import { PauseReason, PauseReasonSchema, describeIssues } from '../../config/schema';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors';
import type { StateStore } from '../../state/store';
import { userOf } from '../auth';

/**
 * The pause reasons agents choose from. Agents read them (they pause with one); supervisors with
 * viewPauseReasons read, with managePauseReasons add and remove; admins do everything.
 */
export function pauseReasonsRouter(state: StateStore): Router {
  const r = Router();
  const need = (req: Parameters<typeof userOf>[0], perm: 'viewPauseReasons' | 'managePauseReasons') => {
    const u = userOf(req);
    if (perm === 'viewPauseReasons' && u.role === 'agent') return;
    if (u.role === 'agent' || !u.permissions[perm]) throw new Forbidden(`this needs the ${perm} permission`);
  };
  r.get('/pause-reasons', async (req, res) => {
    need(req, 'viewPauseReasons');
    const list = await state.registryAll<PauseReason>('pauseReasons');
    res.json({ pauseReasons: list.sort((a, b) => a.code.localeCompare(b.code)) });
  });
  r.post('/pause-reasons', async (req, res) => {
    need(req, 'managePauseReasons');
    const p = PauseReasonSchema.safeParse(req.body ?? {});
    if (!p.success) throw new Invalid('invalid pause reason', describeIssues(p.error));
    const out = await state.registryPut('pauseReasons', p.data.code, p.data, 'create');
    if (!out.ok) throw new Conflict('PAUSE_REASON_EXISTS', `pause reason ${p.data.code} exists`);
    res.status(201).json(p.data);
  });
  r.delete('/pause-reasons/:code', async (req, res) => {
    need(req, 'managePauseReasons');
    const out = await state.registryDelete('pauseReasons', String(req.params.code));
    if (!out.ok) throw new NotFound('pause reason', String(req.params.code));
    res.status(204).end();
  });
  return r;
}
