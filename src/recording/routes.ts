import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Router } from 'express';
import { permit, userOf } from '../api/auth';
import type { RecordingService } from './recordingService';

/**
 * Recording control on a live call (the call's agent, supervisors of its queue, admins) and the
 * finished recordings (the accessRecordings permission).
 */
export function recordingsRouter(recordings: RecordingService): Router {
  const r = Router();
  const id = (p: unknown) => String(p);

  r.post('/calls/:id/recording/start', async (req, res) => { res.json(await recordings.start(userOf(req), id(req.params.id))); });
  r.post('/calls/:id/recording/stop', async (req, res) => { res.json(await recordings.stop(userOf(req), id(req.params.id))); });
  r.post('/calls/:id/recording/pause', async (req, res) => { res.json(await recordings.pause(userOf(req), id(req.params.id))); });
  r.post('/calls/:id/recording/resume', async (req, res) => { res.json(await recordings.resume(userOf(req), id(req.params.id))); });

  r.get('/recordings', permit('accessRecordings'), async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
    res.json({ recordings: await recordings.list(userOf(req), { callId: q('callId'), queueId: q('queueId'), agentId: q('agentId') }) });
  });
  r.get('/recordings/:id', permit('accessRecordings'), async (req, res) => {
    res.json(await recordings.read(userOf(req), id(req.params.id)));
  });
  r.get('/recordings/:id/audio', permit('accessRecordings'), async (req, res) => {
    const audio = await recordings.audio(userOf(req), id(req.params.id));
    res.type('audio/wav');
    if (audio.length) res.setHeader('content-length', audio.length);
    res.setHeader('content-disposition', `attachment; filename="${id(req.params.id).replace(/[^\w.-]/g, '_')}.wav"`);
    const body = Readable.fromWeb(audio.body as WebReadableStream<Uint8Array>);
    body.on('error', (err) => res.destroy(err));   // headers are sent by then: cut the download short
    body.pipe(res);
  });
  return r;
}
