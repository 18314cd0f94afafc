import fs from 'node:fs';
import path from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';

/** Where `vite build` puts the browser app (see web/vite.config.ts), next to the compiled server. */
export const WEB_DIST = path.resolve(__dirname, '../../web');

/**
 * The browser app at `/`, same origin as the API. Hashed assets are cached for good; any other page
 * path gets index.html (the app routes in the browser: /agent, /supervisor, /wall/...), except the API
 * and /metrics, which keep their own 404s.
 */
export function webApp(dir = WEB_DIST): Router {
  const r = Router();
  const index = path.join(dir, 'index.html');
  r.use('/assets', express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  r.use(express.static(dir, { index: false, maxAge: '1h' }));
  r.get(/.*/, (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/api/') || req.path === '/api' || req.path.startsWith('/metrics')) return next();
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').send('The web app is not built: run `npm run build` (or `npm start`, which builds it).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return r;
}
