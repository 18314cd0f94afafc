import fs from 'node:fs';
import express, { NextFunction, Request, Response, Router } from 'express';
import { userOf } from '../api/auth';
import { AcdError } from '../errors';
import type { ClipService } from './clipService';
import { MAX_CLIP_BYTES } from './limits';

/**
 * Prepared audio clips (upload a WAV, list, rename, archive, delete, download) and playing one
 * into a live call. Who may do what is decided by the clip service (scope and ownership).
 */
export function clipsRouter(clips: ClipService): Router {
  const r = Router();
  const id = (p: unknown) => String(p);

  // The app parses JSON up to 64 kB; a clip is a raw WAV body of up to MAX_CLIP_BYTES, on this route only.
  const rawAudio = express.raw({ type: ['audio/*', 'application/octet-stream'], limit: MAX_CLIP_BYTES });
  const readClip = (req: Request, res: Response, next: NextFunction) => rawAudio(req, res, (err?: unknown) => {
    next((err as { type?: string })?.type === 'entity.too.large'
      ? new AcdError(413, 'CLIP_TOO_LARGE', `a clip may be at most ${MAX_CLIP_BYTES} bytes`, { limitBytes: MAX_CLIP_BYTES })
      : err);
  });

  r.get('/clips', async (req, res) => {
    res.json({ clips: await clips.list(userOf(req), { archived: req.query.archived, scope: req.query.scope }) });
  });
  // who may upload what is checked before the body is read: a refused upload costs no transfer
  r.post('/clips', (req, res, next) => { res.locals.clip = clips.uploadTarget(userOf(req), req.query); next(); }, readClip, async (req, res) => {
    const clip = await clips.create(userOf(req), res.locals.clip, req.body);
    res.status(201).location(`/api/v1/clips/${clip.id}`).json(clip);
  });
  r.get('/clips/:id', async (req, res) => { res.json(await clips.read(userOf(req), id(req.params.id))); });
  r.patch('/clips/:id', async (req, res) => { res.json(await clips.update(userOf(req), id(req.params.id), req.body)); });
  r.delete('/clips/:id', async (req, res) => { await clips.remove(userOf(req), id(req.params.id)); res.status(204).end(); });
  r.get('/clips/:id/audio', async (req, res) => {
    const audio = await clips.audio(userOf(req), id(req.params.id));
    res.type('audio/wav').setHeader('content-length', audio.bytes);
    res.setHeader('content-disposition', `attachment; filename="${id(req.params.id).replace(/[^\w.-]/g, '_')}.wav"`);
    const body = fs.createReadStream(audio.file);
    body.on('error', (err) => res.destroy(err));   // headers are sent by then: cut the download short
    body.pipe(res);
  });

  r.post('/calls/:id/play', async (req, res) => { res.status(202).json(await clips.play(userOf(req), id(req.params.id), req.body)); });
  return r;
}
