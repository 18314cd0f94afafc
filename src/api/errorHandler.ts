import type { NextFunction, Request, Response } from 'express';
import { AcdError } from '../errors';
import type { Logger } from '../logger';

/** The one place errors become HTTP: {"error": {"code", "message", "details"}}. */
export function errorHandler(log: Logger) {
  // express knows an error handler by its four parameters
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = { code: 'INTERNAL', message: 'internal error' };
    if (err instanceof AcdError) {
      status = err.status;
      body = { code: err.code, message: err.message, details: err.details };
    } else if (err instanceof SyntaxError && (err as { type?: string }).type === 'entity.parse.failed') {
      status = 422;
      body = { code: 'INVALID_JSON', message: 'the request body is not valid JSON' };
    } else if ((err as { type?: string })?.type === 'entity.too.large') {
      status = 413;
      body = { code: 'BODY_TOO_LARGE', message: 'the request body is too large' };
    } else {
      log.error('request failed', { method: req.method, path: req.path, error: (err as Error)?.message, stack: (err as Error)?.stack });
    }
    res.status(status).json({ error: body });
  };
}

export function notFoundRoute(req: Request, res: Response): void {
  res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
}
