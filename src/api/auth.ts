import type { NextFunction, Request, Response } from 'express';
import type { Permission } from '../access/permissions';
import type { Principal, UserDirectory } from '../access/users';
import type { Role } from '../config/schema';
import { Forbidden, Unauthorized } from '../errors';

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

declare module 'express-serve-static-core' {
  interface Request { user?: Principal }
}

export function authenticate(users: UserDirectory) {
  return (req: Request, _res: Response, next: NextFunction) => {
    users.authenticate(bearer(req.headers.authorization)).then((user) => {
      if (!user) return next(new Unauthorized());
      req.user = user;
      next();
    }, next);
  };
}

export function userOf(req: Request): Principal {
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

/** The route needs this permission (admins hold every permission). */
export function permit(perm: Permission) {
  return (req: Request, _res: Response, next: NextFunction) => {
    next(userOf(req).permissions[perm] ? undefined : new Forbidden(`this needs the ${perm} permission`));
  };
}
