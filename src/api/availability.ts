import type { NextFunction, Request, Response } from 'express';
import { AcdError } from '../errors';
import type { ConnectionWatch } from '../state/connection';

/**
 * With Redis known to be down, a request is refused before anything is done (not even the token
 * lookup): 503 STATE_UNAVAILABLE at once. A request already under way when Redis goes down fails
 * on the request connection (no offline queue, no resending) the same way.
 */
export function refuseWhileStateDown(watch: ConnectionWatch | undefined) {
  return (_req: Request, _res: Response, next: NextFunction) => {
    if (watch && !watch.up) return next(new AcdError(503, 'STATE_UNAVAILABLE', 'the state store (Redis) is unavailable: nothing was changed, try again'));
    next();
  };
}
