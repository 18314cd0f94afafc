import { Router } from 'express';
import { z } from 'zod';
import type { UserDirectory } from '../../access/users';
import { allow } from '../auth';
import { parseOrThrow } from '../../validation/parse';

/** API users and their tokens: admins only. A new token is shown once; only its hash is kept. */
export function usersRouter(users: UserDirectory): Router {
  const r = Router();
  const id = (p: unknown) => String(p);
  const admin = allow('admin');
  r.get('/users', admin, async (_req, res) => { res.json({ users: await users.list() }); });
  r.post('/users', admin, async (req, res) => { res.status(201).json(await users.create(req.body)); });
  r.get('/users/:id', admin, async (req, res) => { res.json(await users.get(id(req.params.id))); });
  r.put('/users/:id', admin, async (req, res) => { res.json(await users.replace(id(req.params.id), req.body)); });
  r.delete('/users/:id', admin, async (req, res) => { await users.remove(id(req.params.id)); res.status(204).end(); });
  r.get('/users/:id/tokens', admin, async (req, res) => { res.json({ tokens: await users.tokens(id(req.params.id)) }); });
  r.post('/users/:id/tokens', admin, async (req, res) => {
    const body = parseOrThrow(z.object({ label: z.string().max(80).default('') }).strict(), req.body, 'token request');
    res.status(201).json(await users.issueToken(id(req.params.id), body.label));
  });
  r.delete('/users/:id/tokens/:tokenId', admin, async (req, res) => {
    await users.revoke(id(req.params.id), id(req.params.tokenId));
    res.status(204).end();
  });
  return r;
}
