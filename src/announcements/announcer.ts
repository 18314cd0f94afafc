import { Ari, AriGone } from '../ari/client';
import type { AriPlayback } from '../ari/types';
import type { Queue } from '../config/schema';
import type { AcdEvent } from '../events/bus';
import type { Registry } from '../registry/registry';
import type { CallCore, CallSession } from '../calls/core';
import type { MediaWaiter } from '../calls/core/media';
import type { CallService } from '../calls/queueing/callService';
import { WaitFacts, estimatedWaitSec, positionAnnouncement } from './wording';

type Kind = 'position' | 'periodic';
const KINDS: Kind[] = ['position', 'periodic'];

/** Our playback ids start with this; any other playback on a waiting caller's channel is someone else's (callback offer). */
export const ANNOUNCEMENT_PREFIX = 'announce-';
/** Music between one playback on the channel and the next one of ours. */
const GAP_MS = 1000;
/** A playback whose PlaybackFinished never comes (ARI connection lost) stops blocking after this long. */
const PLAYBACK_SAFETY_MS = 90_000;

/** One waiting caller of this controller and where their announcements stand. */
interface Waiter {
  session: CallSession;
  queueId: string;
  /** The last position told, for onlyWhenImproved. */
  lastPosition?: number;
  /** The next periodic prompt to play (index into the list, modulo its length). */
  nextPrompt: number;
  timers: Partial<Record<Kind, NodeJS.Timeout>>;
  /** Came due while the channel was playing something: played once it is free. */
  pending: Set<Kind>;
  playing?: { id: string; kind: Kind };
  /** Playbacks of others on the channel (the callback offer prompt), by id. */
  others: Set<string>;
  seq: number;
  drain?: NodeJS.Timeout;
}

/**
 * Announcements to callers waiting with music: their position and estimated wait (on entry and then
 * every positionEverySec, optionally only when the position improved) and the queue's periodic
 * prompts in turn every periodicEverySec. Queues that ring instead of music get none (the caller is
 * not answered).
 *
 * - Timers are in-process, per waiting caller; Redis is the truth only for position and figures.
 *   The interval of each kind counts from the end of the previous announcement of that kind, so a
 *   caller always hears some music between two.
 * - A caller back to waiting after an unanswered offer keeps their timers and what they were told:
 *   no "first in line" again at once. A caller who starts waiting anew (joined, transferred to a
 *   queue, unparked into the queue, adopted after a controller restart) hears it on entry.
 * - One playback at a time on a channel: an announcement due while another plays (ours, or the
 *   callback offer prompt) waits for it to end. After ours, the music starts again.
 * - An announcement stops when an agent's phone starts ringing for the caller (call.offered), when
 *   the caller enters the callback IVR, is connected or is gone.
 */
export class Announcer {
  private readonly waiters = new Map<string, Waiter>();
  private readonly byChannel = new Map<string, Waiter>();

  constructor(
    core: CallCore,
    private readonly ari: Ari,
    private readonly media: MediaWaiter,
    private readonly calls: CallService,
    private readonly registry: Registry,
    private readonly facts: WaitFacts,
  ) {
    core.events.on('queued', (s, q) => this.onQueued(s, q));
    core.events.on('connected', (s) => this.drop(s.callId, true));
    ari.onEvent('PlaybackStarted', (e) => this.onPlaybackStarted(e.playback));
    ari.onEvent('PlaybackFinished', (e) => this.onPlaybackFinished(e.playback));
    ari.onEvent('StasisEnd', (e) => this.dropChannel(e.channel.id));
    ari.onEvent('ChannelDestroyed', (e) => this.dropChannel(e.channel.id));
    // The callback key takes the caller into the IVR (CallbackService claims the session in its own
    // DTMF handler, synchronously); ours runs after it, whichever was registered first.
    ari.onEvent('ChannelDtmfReceived', (e) => setImmediate(() => this.afterDtmf(e.channel.id)));
  }

  /** Events from the stream: an agent's phone rings for a caller of ours, or a call left the line. */
  onEvent(e: AcdEvent): void {
    if (e.type === 'call.offered') this.stopPlaying(this.waiters.get(String(e.callId)));
  }

  /** How many callers have announcements scheduled (for tests and diagnostics). */
  get waiting(): number { return this.waiters.size; }

  // ============================ scheduling ==================================================

  private onQueued(s: CallSession, queue: Queue): void {
    const existing = this.waiters.get(s.callId);
    if (queue.waitingTone === 'ringing') { this.drop(s.callId, true); return; }
    if (existing && existing.session === s && existing.queueId === queue.id) {
      // back to waiting (unanswered offer): keep what was told and the timers that run
      for (const kind of KINDS) if (!existing.timers[kind] && !existing.pending.has(kind) && existing.playing?.kind !== kind) this.schedule(existing, kind);
      return;
    }
    if (existing) this.drop(s.callId, true);
    const w: Waiter = { session: s, queueId: queue.id, nextPrompt: 0, timers: {}, pending: new Set(), others: new Set(), seq: 0 };
    this.waiters.set(s.callId, w);
    this.byChannel.set(s.callerChannelId, w);
    const a = queue.announcements;
    if (a?.positionOnEntry) this.due(w, 'position'); else this.schedule(w, 'position');
    this.schedule(w, 'periodic');
  }

  private every(queue: Queue | undefined, kind: Kind): number {
    const a = queue?.announcements;
    if (!a || queue?.waitingTone === 'ringing') return 0;
    if (kind === 'position') return a.positionEverySec;
    return a.periodicPrompts.length ? a.periodicEverySec : 0;
  }

  /** The next announcement of this kind, `every` seconds from now (the queue's current settings). */
  private schedule(w: Waiter, kind: Kind): void {
    clearTimeout(w.timers[kind]);
    delete w.timers[kind];
    const sec = this.every(this.registry.findQueue(w.queueId), kind);
    if (sec > 0) w.timers[kind] = setTimeout(() => { delete w.timers[kind]; this.due(w, kind); }, sec * 1000);
  }

  private alive(w: Waiter): boolean {
    return this.waiters.get(w.session.callId) === w && this.calls.liveSession(w.session.callId) === w.session;
  }

  private busy(w: Waiter): boolean { return Boolean(w.playing) || w.others.size > 0; }

  private due(w: Waiter, kind: Kind): void {
    if (!this.alive(w)) { this.drop(w.session.callId, false); return; }
    // ringing an agent, in the callback IVR, ...: not now; the next one comes in its time
    if (w.session.state !== 'waiting') { this.schedule(w, kind); return; }
    if (this.busy(w)) { w.pending.add(kind); return; }
    void this.announce(w, kind).catch((err) => {
      w.session.log.warn('announcement failed', { kind, error: (err as Error).message });
      if (this.waiters.get(w.session.callId) === w && w.playing?.kind !== kind) this.schedule(w, kind);
    });
  }

  // ============================ playing =====================================================

  private async announce(w: Waiter, kind: Kind): Promise<void> {
    const queue = this.registry.findQueue(w.queueId);
    const a = queue?.announcements;
    if (!queue || !a || queue.waitingTone === 'ringing') { this.drop(w.session.callId, false); return; }
    let media: string[];
    let position: number | undefined;
    if (kind === 'position') {
      position = await this.facts.position(w.queueId, w.session.callId);
      if (position === undefined) { this.schedule(w, kind); return; }
      if (a.onlyWhenImproved && w.lastPosition !== undefined && position >= w.lastPosition) {
        w.session.log.debug('position not improved: not announced', { position, lastPosition: w.lastPosition });
        this.schedule(w, kind);
        return;
      }
      let waitSec: number | undefined;
      if (a.estimatedWait) {
        const [handleMs, agents] = await Promise.all([this.facts.averageHandleMs(w.queueId), this.facts.servingAgents(w.queueId)]);
        const handleSec = handleMs === undefined ? a.defaultHandleSec : handleMs / 1000;
        waitSec = estimatedWaitSec(position, handleSec, agents);
        w.session.log.info('announcing position', { position, waitSec: Math.round(waitSec), handleSec: Math.round(handleSec), agents });
      } else {
        w.session.log.info('announcing position', { position });
      }
      media = positionAnnouncement(position, waitSec);
    } else {
      const prompts = a.periodicPrompts;
      if (!prompts.length) return;
      media = [`sound:${prompts[w.nextPrompt % prompts.length]}`];
      w.session.log.debug('periodic announcement', { prompt: prompts[w.nextPrompt % prompts.length] });
    }
    // the facts took a moment: the caller may have been offered, connected or gone meanwhile
    if (!this.alive(w)) { this.drop(w.session.callId, false); return; }
    if (w.session.state !== 'waiting') { this.schedule(w, kind); return; }
    if (this.busy(w)) { w.pending.add(kind); return; }

    const id = `${ANNOUNCEMENT_PREFIX}${kind}-${++w.seq}-${w.session.callId}`;
    // registered before the request: its PlaybackFinished may come first; a lost one stops blocking after the safety time
    this.media.onPlaybackEnd(id, PLAYBACK_SAFETY_MS, () => this.finished(w, id));
    w.playing = { id, kind };
    if (position !== undefined) w.lastPosition = position;
    if (kind === 'periodic') w.nextPrompt++;
    try {
      await this.ari.play(w.session.callerChannelId, id, media);
    } catch (err) {
      if (err instanceof AriGone) { this.drop(w.session.callId, false); return; }
      w.session.log.warn('announcement not played', { kind, error: (err as Error).message });
      this.media.releasePlayback(id);   // finished(w, id)
      return;
    }
    // stopped while the request was on its way (connected, offered): stop it now that it exists
    if (w.playing?.id !== id || w.session.state !== 'waiting') await this.ari.stopPlayback(id).catch(() => undefined);
  }

  private onPlaybackStarted(p: AriPlayback): void {
    if (p.id.startsWith(ANNOUNCEMENT_PREFIX)) return;
    const w = this.byChannel.get(p.target_uri.replace(/^channel:/, ''));
    if (w) w.others.add(p.id);
  }

  private onPlaybackFinished(p: AriPlayback): void {
    if (p.id.startsWith(ANNOUNCEMENT_PREFIX)) return;   // ours: the media waiter ends it (finished)
    const w = this.byChannel.get(p.target_uri.replace(/^channel:/, ''));
    if (w?.others.delete(p.id)) this.drainSoon(w);
  }

  /** Our playback ended (played out, stopped, or its end never reported): music again, next one scheduled. */
  private finished(w: Waiter, id: string): void {
    if (w.playing?.id !== id) return;
    const { kind } = w.playing;
    w.playing = undefined;
    if (!this.alive(w)) { this.drop(w.session.callId, false); return; }
    const state = w.session.state;
    // while an agent's phone rings the caller still hears music; a playback of others (queued
    // behind ours) restarts the music itself when it ends
    if ((state === 'waiting' || state === 'offered') && w.others.size === 0) {
      const moh = this.registry.findQueue(w.queueId)?.mohClass ?? 'default';
      void this.ari.startMoh(w.session.callerChannelId, moh).catch(() => undefined);
    }
    this.schedule(w, kind);
    this.drainSoon(w);
  }

  /** Announcements that came due during a playback, after a moment of music. */
  private drainSoon(w: Waiter): void {
    if (!w.pending.size || w.drain) return;
    w.drain = setTimeout(() => {
      w.drain = undefined;
      if (this.busy(w)) return;   // the next end of a playback drains again
      const kinds = [...w.pending];
      w.pending.clear();
      // one now; the other (if both are due) waits for that one to end
      const [first, ...rest] = kinds;
      for (const k of rest) w.pending.add(k);
      this.due(w, first);
    }, GAP_MS);
  }

  private stopPlaying(w: Waiter | undefined): void {
    if (!w?.playing) return;
    w.session.log.debug('announcement stopped', { playbackId: w.playing.id, state: w.session.state });
    void this.ari.stopPlayback(w.playing.id).catch(() => undefined);
  }

  private afterDtmf(channelId: string): void {
    const w = this.byChannel.get(channelId);
    if (w && w.session.state === 'ivr') this.stopPlaying(w);
  }

  // ============================ forgetting ==================================================

  private dropChannel(channelId: string): void {
    const w = this.byChannel.get(channelId);
    if (w) this.drop(w.session.callId, false);
  }

  /** The caller no longer waits here: timers cleared; a playing announcement stopped if asked (the channel lives on). */
  private drop(callId: string, stop: boolean): void {
    const w = this.waiters.get(callId);
    if (!w) return;
    if (stop) this.stopPlaying(w);
    for (const kind of KINDS) clearTimeout(w.timers[kind]);
    clearTimeout(w.drain);
    const playing = w.playing;
    w.playing = undefined;
    if (playing) this.media.releasePlayback(playing.id);
    w.pending.clear();
    this.waiters.delete(callId);
    if (this.byChannel.get(w.session.callerChannelId) === w) this.byChannel.delete(w.session.callerChannelId);
  }
}
