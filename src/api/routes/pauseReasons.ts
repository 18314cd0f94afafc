import { Router } from 'express';
import { PauseReason, PauseReasonSchema } from '../../config/schema';
import { Conflict, Forbidden, NotFound } from '../../errors';
import type { StateStore } from '../../state/store';
import { userOf } from '../auth';
import { parseOrThrow } from '../../validation/parse';

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
    const reason = parseOrThrow(PauseReasonSchema, req.body, 'pause reason');
    const out = await state.registryPut('pauseReasons', reason.code, reason, 'create');
    if (!out.ok) throw new Conflict('PAUSE_REASON_EXISTS', `pause reason ${reason.code} exists`);
    res.status(201).json(reason);
  });
  r.delete('/pause-reasons/:code', async (req, res) => {
    need(req, 'managePauseReasons');
    const out = await state.registryDelete('pauseReasons', String(req.params.code));
    if (!out.ok) throw new NotFound('pause reason', String(req.params.code));
    res.status(204).end();
  });
  return r;
}
