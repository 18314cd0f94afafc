import type { NextFunction, Request, Response } from 'express';
import { AriUnavailable } from '../ari/client';
import { AcdError } from '../errors';
import type { Logger } from '../logger';
import { isStateUnavailable } from '../state/connection';

/**
 * What body-parser (http-errors) refuses, by its `type`: a client's mistake, so a 4xx with a stable
 * code, never a 500. Anything else carrying a 4xx status (the router's "Failed to decode param" for a
 * malformed percent-escape in the path) is a 400 BAD_REQUEST.
 */
const PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 422, code: 'INVALID_JSON', message: 'the request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'BODY_TOO_LARGE', message: 'the request body is too large' },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_CHARSET', message: 'the request body\'s charset is not supported (use utf-8)' },
  'encoding.unsupported': { status: 415, code: 'UNSUPPORTED_ENCODING', message: 'the request body\'s content encoding is not supported (identity, gzip, deflate, br)' },
  'request.aborted': { status: 400, code: 'REQUEST_ABORTED', message: 'the request body was not received whole' },
  'request.size.invalid': { status: 400, code: 'INVALID_BODY', message: 'the request body is not as long as its Content-Length says' },
  'stream.encoding.set': { status: 400, code: 'INVALID_BODY', message: 'the request body could not be read' },
  'stream.not.readable': { status: 400, code: 'INVALID_BODY', message: 'the request body could not be read' },
};

/** The one place errors become HTTP: {"error": {"code", "message", "details"}}. */
export function errorHandler(log: Logger) {
  // express knows an error handler by its four parameters
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = { code: 'INTERNAL', message: 'internal error' };
    const e = err as { type?: string; status?: unknown; statusCode?: unknown; message?: string };
    const clientStatus = Number(e?.status ?? e?.statusCode);
    if (err instanceof AcdError) {
      status = err.status;
      body = { code: err.code, message: err.message, details: err.details };
    } else if (isStateUnavailable(err)) {
      // Redis is down: refused at once, and (offline queue off) never applied later
      status = 503;
      body = { code: 'STATE_UNAVAILABLE', message: 'the state store (Redis) is unavailable: nothing was changed, try again' };
    } else if (err instanceof AriUnavailable) {
      status = 503;
      body = { code: 'ASTERISK_UNAVAILABLE', message: 'Asterisk (ARI) is unavailable: try again' };
    } else if (e?.type && PARSER_ERRORS[e.type]) {
      ({ status, ...body } = PARSER_ERRORS[e.type]);
    } else if (clientStatus >= 400 && clientStatus < 500) {
      status = clientStatus === 404 ? 404 : 400;
      // a broken gzip body (zlib's message) or a malformed percent-escape in the path
      body = status === 404 ? { code: 'ROUTE_NOT_FOUND', message: `no route ${req.method}` }
        : { code: /decode param/i.test(e.message ?? '') ? 'INVALID_PATH' : 'BAD_REQUEST', message: /decode param/i.test(e.message ?? '') ? 'the path has a malformed percent-escape' : 'the request could not be read' };
    } else if (e?.type === undefined && /incorrect header check|unexpected end of file|invalid (block|distance|stored)/i.test(e?.message ?? '')) {
      status = 400;
      body = { code: 'BAD_REQUEST', message: 'the request body\'s compression is broken' };
    } else {
      log.error('request failed', { method: req.method, path: req.path, error: (err as Error)?.message, stack: (err as Error)?.stack });
    }
    if (res.headersSent) { res.destroy(); return; }
    res.status(status).json({ error: body });
  };
}

export function notFoundRoute(req: Request, res: Response): void {
  res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${req.method} ${safePath(req)}` } });
}

/** req.path can hold what the client sent undecoded: echo it only as text, cut short. */
function safePath(req: Request): string {
  return String(req.path).slice(0, 200);
}
