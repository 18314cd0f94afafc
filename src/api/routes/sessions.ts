import { Router } from 'express';
import type { SessionService } from '../../access/sessions';
import { SignInSlowed } from '../../access/sessions';
import { Forbidden } from '../../errors';
import { bearer, userOf } from '../auth';

/** Sign-in needs no token: mounted before authenticate. */
export function signInRouter(sessions: SessionService): Router {
  const r = Router();
  r.post('/sessions', async (req, res) => {
    try {
      res.status(201).json(await sessions.signIn(req.body, req.ip ?? req.socket.remoteAddress ?? 'unknown'));
    } catch (err) {
      if (err instanceof SignInSlowed) res.setHeader('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
      throw err;
    }
  });
  return r;
}

/** The current session (who am I), sign-out, and passwords: an admin sets anyone's, a user changes their own. */
export function sessionsRouter(sessions: SessionService): Router {
  const r = Router();
  r.get('/sessions/current', async (req, res) => { res.json(await sessions.current(userOf(req), bearer(req.headers.authorization))); });
  r.delete('/sessions/current', async (req, res) => { await sessions.signOut(bearer(req.headers.authorization)); res.status(204).end(); });
  r.put('/users/:id/password', async (req, res) => {
    const u = userOf(req);
    const id = String(req.params.id);
    if (u.role === 'admin' && u.id !== id) await sessions.setPassword(id, req.body, u.id);
    else if (u.id === id) await sessions.changeOwnPassword(u, req.body);
    else throw new Forbidden('only an admin may set another user\'s password');
    res.status(204).end();
  });
  return r;
}
