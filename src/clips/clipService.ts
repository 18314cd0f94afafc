import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AccessPolicy } from '../access/policy';
import type { Principal } from '../access/users';
import { Ari, AriGone, AriUnavailable } from '../ari/client';
import type { AriPlayback } from '../ari/types';
import type { MediaWaiter } from '../calls/core/media';
import type { CallService } from '../calls/queueing/callService';
import { describeIssues, parseOrThrow } from '../validation/parse';
import { AcdError, Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { Logger } from '../logger';
import type { ClipRecord, StateStore } from '../state/store';
import { canonicalWav, parseWav } from './wav';


export interface ClipStorage { dir: string; mediaDir: string }

export interface ClipView {
  id: string; name: string; scope: 'personal' | 'public'; ownerAgentId: string | null; createdBy: string;
  createdAt: string; updatedAt: string; archived: boolean; sampleRate: number; durationMs: number; bytes: number;
  audio: { url: string };
}

const Name = z.string().trim().min(1, 'a name is required').max(100);
const ClipChange = z.object({ name: Name.optional(), archived: z.boolean().optional() }).strict()
  .refine((c) => c.name !== undefined || c.archived !== undefined, { message: 'give name and/or archived' });
const PlayRequest = z.object({ clipId: z.string().min(1), then: z.enum(['continue', 'hangup']).default('continue') }).strict();

/** A clip playing into a call, until Asterisk reports the playback finished. */
interface Playing {
  callId: string; clipId: string; queueId: string; agentId: string; by: string; then: 'continue' | 'hangup';
}

/** Past the clip's length and this, a PlaybackFinished lost in an ARI outage no longer blocks the call's next clip. */
const STALE_AFTER_MS = 30_000;

/**
 * Prepared audio clips: agents' personal ones and public ones (supervisors, admins), uploaded as
 * WAV, kept as files Asterisk can play (metadata in Redis), and played into a live call's bridge,
 * after which the conversation goes on or the caller is hung up.
 *
 * Who may: every role reads public clips and agents their own; an agent with manageOwnClips
 * manages their own; supervisors manage public ones and read all; admins manage all (someone has
 * to be able to remove a departed agent's clips).
 */
export class ClipService {
  private readonly playing = new Map<string, Playing>();

  constructor(
    private readonly ari: Ari,
    private readonly media: MediaWaiter,
    private readonly state: StateStore,
    private readonly calls: CallService,
    private readonly policy: AccessPolicy,
    private readonly storage: ClipStorage | undefined,
    private readonly log: Logger,
  ) {
  }

  private dirs(): ClipStorage {
    if (!this.storage) throw new AcdError(503, 'CLIPS_NOT_CONFIGURED', 'clip storage is not configured: set ACD_CLIPS_DIR (and ACD_CLIPS_MEDIA_DIR, the same folder as Asterisk sees it)');
    return this.storage;
  }

  // --- who may -------------------------------------------------------------------------------
  private static readable(u: Principal, c: ClipRecord): boolean {
    return AccessPolicy.canClip(u, c);   // the same rule scopes clip.* events
  }

  private static checkManage(u: Principal, c: Pick<ClipRecord, 'scope' | 'ownerAgentId'>): void {
    if (u.role === 'admin') return;
    if (u.role === 'supervisor') {
      if (c.scope !== 'public') throw new Forbidden('a personal clip is managed by the agent who owns it');
      return;
    }
    if (c.scope === 'public') throw new Forbidden('public clips are managed by supervisors and admins');
    if (c.ownerAgentId !== u.agentId) throw new Forbidden('an agent may manage only their own clips');
    if (!u.permissions.manageOwnClips) throw new Forbidden('this needs the manageOwnClips permission');
  }

  private async readable(u: Principal, id: string): Promise<ClipRecord> {
    this.dirs();
    const c = await this.state.clip(id);
    if (!c) throw new NotFound('clip', id);
    if (!ClipService.readable(u, c)) throw new Forbidden('an agent may use only their own clips and public ones');
    return c;
  }

  // --- library -------------------------------------------------------------------------------
  /**
   * What an upload will create, decided from the query alone: a refused upload is refused before
   * its body is read. Scope defaults to personal for agents, public for everyone else.
   */
  uploadTarget(u: Principal, query: Record<string, unknown>): { name: string; scope: 'personal' | 'public'; ownerAgentId?: string } {
    this.dirs();
    const scope = query.scope ?? (u.role === 'agent' ? 'personal' : 'public');
    if (scope !== 'personal' && scope !== 'public') throw new Invalid('invalid clip', [{ path: 'scope', message: 'personal or public' }]);
    if (scope === 'personal' && u.role !== 'agent') throw new Forbidden('personal clips belong to agents: upload a public clip (scope=public)');
    const target = { scope, ownerAgentId: scope === 'personal' ? u.agentId : undefined } as const;
    ClipService.checkManage(u, target);
    const name = Name.safeParse(query.name ?? '');
    if (!name.success) throw new Invalid('invalid clip', describeIssues(name.error).map((i) => ({ ...i, path: 'name' })));
    return { ...target, name: name.data };
  }

  async create(u: Principal, target: ReturnType<ClipService['uploadTarget']>, body: unknown): Promise<ClipView> {
    const { dir } = this.dirs();
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AcdError(422, 'INVALID_AUDIO', 'send the clip as the request body: a WAV file with Content-Type audio/wav');
    }
    const audio = parseWav(body);
    const id = randomUUID();
    // Asterisk's format_wav reads 8 kHz from ".wav" and 16 kHz only from ".wav16"
    const file = `${id}.${audio.sampleRate === 16000 ? 'wav16' : 'wav'}`;
    const wav = canonicalWav(audio);
    await fs.promises.mkdir(dir, { recursive: true });
    // written aside, then renamed: Asterisk never finds half a file
    const tmp = path.join(dir, `.${id}.tmp`);
    await fs.promises.writeFile(tmp, wav, { mode: 0o644 });
    await fs.promises.rename(tmp, path.join(dir, file));
    const r = await this.state.clipCreate({
      id, name: target.name, scope: target.scope, ownerAgentId: target.ownerAgentId, createdBy: u.id,
      file, sampleRate: audio.sampleRate, durationMs: audio.durationMs, bytes: wav.length,
    });
    if (!r.ok) {
      await fs.promises.rm(path.join(dir, file), { force: true });
      throw new Conflict('CLIP_EXISTS', `clip ${id} already exists`);
    }
    this.log.info('clip stored', { clipId: id, scope: target.scope, ownerAgentId: target.ownerAgentId, by: u.id, durationMs: audio.durationMs });
    return this.view(id);
  }

  async list(u: Principal, filter: { archived?: unknown; scope?: unknown }): Promise<ClipView[]> {
    this.dirs();
    const bool = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new Invalid('invalid filter', [{ path: name, message: 'true or false' }]);
    };
    const archived = bool(filter.archived, 'archived');
    if (filter.scope !== undefined && filter.scope !== 'personal' && filter.scope !== 'public') {
      throw new Invalid('invalid filter', [{ path: 'scope', message: 'personal or public' }]);
    }
    return (await this.state.clips())
      .filter((c) => ClipService.readable(u, c) && (archived === undefined || c.archived === archived) && (!filter.scope || c.scope === filter.scope))
      .map(ClipService.toView);
  }

  async read(u: Principal, id: string): Promise<ClipView> {
    return ClipService.toView(await this.readable(u, id));
  }

  /** The stored WAV, to stream back. */
  async audio(u: Principal, id: string): Promise<{ file: string; bytes: number }> {
    const c = await this.readable(u, id);
    const file = path.join(this.dirs().dir, c.file);
    const st = await fs.promises.stat(file).catch(() => undefined);
    if (!st) throw new NotFound('clip audio', id);
    return { file, bytes: st.size };
  }

  async update(u: Principal, id: string, body: unknown): Promise<ClipView> {
    const c = await this.readable(u, id);
    ClipService.checkManage(u, c);
    const change = { data: parseOrThrow(ClipChange, body, 'clip change') };
    const r = await this.state.clipUpdate(id, change.data, u.id);
    if (!r.ok) throw new NotFound('clip', id);
    return this.view(id);
  }

  async remove(u: Principal, id: string): Promise<void> {
    const c = await this.readable(u, id);
    ClipService.checkManage(u, c);
    const r = await this.state.clipDelete(id, u.id);
    if (!r.ok) throw new NotFound('clip', id);
    // metadata first: from now on nobody is offered the clip; a file left behind is only disk space
    await fs.promises.rm(path.join(this.dirs().dir, r.value), { force: true }).catch((err) => {
      this.log.warn('clip file not deleted', { clipId: id, error: (err as Error).message });
    });
    this.log.info('clip deleted', { clipId: id, by: u.id });
  }

  private async view(id: string): Promise<ClipView> {
    const c = await this.state.clip(id);
    if (!c) throw new NotFound('clip', id);
    return ClipService.toView(c);
  }

  static toView(c: ClipRecord): ClipView {
    return {
      id: c.id, name: c.name, scope: c.scope, ownerAgentId: c.ownerAgentId ?? null, createdBy: c.createdBy,
      createdAt: new Date(c.createdAt).toISOString(), updatedAt: new Date(c.updatedAt).toISOString(), archived: c.archived,
      sampleRate: c.sampleRate, durationMs: c.durationMs, bytes: c.bytes, audio: { url: `/api/v1/clips/${c.id}/audio` },
    };
  }

  // --- playing into a live call ----------------------------------------------------------------
  /**
   * Plays the clip into the call's bridge (caller and agent hear it). With then 'hangup' the caller
   * is hung up when the playback finishes; the call service then ends the call and frees the agent.
   * The agent on the call may play their own clips and public ones; supervisors (in scope) and admins any.
   */
  async play(u: Principal, callId: string, body: unknown): Promise<{ playbackId: string; callId: string; clipId: string; then: string }> {
    const { mediaDir } = this.dirs();
    const req = { data: parseOrThrow(PlayRequest, body, 'play request') };
    const s = this.calls.liveSession(callId);
    if (!s) {
      if (await this.state.call(callId)) throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected on this controller');
      throw new NotFound('call', callId);
    }
    if (s.state !== 'connected' || !s.connected) throw new Conflict('CALL_NOT_CONNECTED', 'a clip can be played only into a connected call');
    if (u.role === 'agent') {
      if (u.agentId !== s.connected.agentId) throw new Forbidden('an agent may play clips only into their own call');
    } else {
      this.policy.queue(u, s.queueId);
    }
    const clip = await this.readable(u, req.data.clipId);
    if (clip.archived) throw new Conflict('CLIP_ARCHIVED', 'the clip is archived: unarchive it to play it', { clipId: clip.id });
    if ([...this.playing.values()].some((p) => p.callId === callId)) throw new Conflict('CLIP_ALREADY_PLAYING', 'a clip is already playing into this call');

    const playbackId = `clip-${randomUUID()}`;
    // registered before asking Asterisk: its PlaybackFinished may come before the answer
    this.playing.set(playbackId, { callId, clipId: clip.id, queueId: s.queueId, agentId: s.connected.agentId, by: u.id, then: req.data.then });
    this.media.onPlaybackEnd(playbackId, clip.durationMs + STALE_AFTER_MS, (end) => {
      if (!end.playback) { this.playing.delete(playbackId); return; }
      void this.playbackFinished(end.playback).catch((err) => this.log.error('clip playback end failed', { error: (err as Error).message }));
    });
    try {
      await this.ari.playOnBridge(s.connected.bridgeId, playbackId, [`sound:${mediaDir}/${clip.id}`]);
    } catch (err) {
      this.media.releasePlayback(playbackId);
      if (err instanceof AriGone) throw new Conflict('CALL_NOT_CONNECTED', 'the call has ended');
      if (err instanceof AriUnavailable) throw new AcdError(503, 'ASTERISK_UNAVAILABLE', 'Asterisk cannot be reached right now: try again');
      throw err;
    }
    s.log.info('clip playing', { clipId: clip.id, playbackId, then: req.data.then, by: u.id });
    return { playbackId, callId, clipId: clip.id, then: req.data.then };
  }

  private async playbackFinished(pb: AriPlayback): Promise<void> {
    const p = this.playing.get(pb.id);
    if (!p) return;
    this.playing.delete(pb.id);
    const s = this.calls.liveSession(p.callId);
    const live = s?.state === 'connected';
    const outcome = !live ? 'interrupted' : pb.state === 'failed' ? 'failed' : 'done';
    // the event first, so the stream shows the clip played before the call.ended it leads to
    await this.state.clipPlayed({ callId: p.callId, clipId: p.clipId, queueId: p.queueId, agentId: p.agentId, by: p.by, then: p.then, outcome });
    if (outcome === 'failed') {
      // the caller heard nothing: hanging up on them would leave them without the message
      this.log.warn('clip playback failed', { callId: p.callId, clipId: p.clipId, playbackId: pb.id });
      return;
    }
    if (outcome === 'done' && p.then === 'hangup') {
      s!.log.info('clip played: hanging up the caller', { clipId: p.clipId });
      await this.ari.hangupQuietly(s!.callerChannelId);
    }
  }
}
