import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Role, User } from '../config/schema';
import { Forbidden, Unauthorized } from '../errors';

export interface ApiUser { id: string; role: Role; agentId?: string }

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Bearer tokens are kept only as SHA-256 hashes; a lookup hashes the presented token. */
export class TokenBook {
  private readonly byHash = new Map<string, ApiUser>();

  constructor(users: readonly User[], adminToken?: string) {
    for (const u of users) this.byHash.set(u.tokenSha256 ?? sha256(u.token as string), { id: u.id, role: u.role, agentId: u.agentId });
    if (adminToken) this.byHash.set(sha256(adminToken), { id: 'admin', role: 'admin' });
  }

  lookup(token: string | undefined): ApiUser | undefined {
    return token ? this.byHash.get(sha256(token)) : undefined;
  }
}

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

declare module 'express-serve-static-core' {
  interface Request { user?: ApiUser }
}

export function authenticate(tokens: TokenBook) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const user = tokens.lookup(bearer(req.headers.authorization));
    if (!user) return next(new Unauthorized());
    req.user = user;
    next();
  };
}

export function userOf(req: Request): ApiUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}

/** The route is for these roles only. */
export function allow(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const u = userOf(req);
    next(roles.includes(u.role) ? undefined : new Forbidden(`the ${u.role} role may not ${req.method} ${req.baseUrl}${req.route?.path ?? ''}`));
  };
}

/** Supervisors and admins act on any agent; an agent's token acts only on that agent. */
export function mayActOnAgent(user: ApiUser, agentId: string): void {
  if (user.role === 'agent' && user.agentId !== agentId) throw new Forbidden(`an agent token may act only on agent ${user.agentId}`);
}
