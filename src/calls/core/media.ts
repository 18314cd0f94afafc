import { AriGone } from '../../ari/client';
import type { Ari } from '../../ari/client';
import type { AriPlayback } from '../../ari/types';
import type { Logger } from '../../logger';

/** How a wait for a playback ended: `playback` is Asterisk's PlaybackFinished, absent on a timeout or a release. */
export interface PlaybackEnd { finished: boolean; playback?: AriPlayback }

interface Wait<T> { channelId?: string; resolve: (v: T) => void }

/**
 * The one waiter for media completion: a playback's PlaybackFinished, a recording's
 * RecordingFinished or RecordingFailed. Every wait has a timeout (an event lost in an ARI outage
 * never blocks anyone for good), and playback waits on a channel can be released when the channel
 * hangs up (its playbacks may end without a PlaybackFinished). A wait is registered before the
 * request is sent: the event may come before Asterisk's answer.
 */
export class MediaWaiter {
  private readonly playbacks = new Map<string, Wait<PlaybackEnd>>();
  private readonly recordings = new Map<string, Wait<boolean>>();

  constructor(private readonly ari: Ari, private readonly log: Logger) {
    ari.onEvent('PlaybackFinished', (e) => this.playbacks.get(e.playback.id)?.resolve({ finished: true, playback: e.playback }));
    ari.onEvent('RecordingFinished', (e) => this.recordings.get(e.recording.name)?.resolve((e.recording.duration ?? 1) > 0));
    ari.onEvent('RecordingFailed', (e) => this.recordings.get(e.recording.name)?.resolve(false));
  }

  /** Resolves when the playback ends, or after timeoutMs, or when released (finished false). */
  playbackEnd(playbackId: string, timeoutMs: number, channelId?: string): Promise<PlaybackEnd> {
    return new Promise((resolve) => this.onPlaybackEnd(playbackId, timeoutMs, resolve, channelId));
  }

  /** Like playbackEnd, calling `fn` in the same turn as the event, for callers whose bookkeeping must not lag the event. */
  onPlaybackEnd(playbackId: string, timeoutMs: number, fn: (end: PlaybackEnd) => void, channelId?: string): void {
    this.register(this.playbacks, playbackId, timeoutMs, channelId, { finished: false }, fn);
  }

  /** Resolves true when the recording finished with some audio; false when it failed, was empty or timed out. */
  recordingEnd(name: string, timeoutMs: number, channelId?: string): Promise<boolean> {
    return new Promise((resolve) => this.register(this.recordings, name, timeoutMs, channelId, false, resolve));
  }

  /** The playback waits on this channel end now (it hung up); recordings are left alone: a hang-up saves them and RecordingFinished follows. */
  releaseChannel(channelId: string): void {
    for (const w of [...this.playbacks.values()]) if (w.channelId === channelId) w.resolve({ finished: false });
  }

  /** End a playback wait now, as not finished (the request to play failed). */
  releasePlayback(playbackId: string): void { this.playbacks.get(playbackId)?.resolve({ finished: false }); }

  /** Play on a channel and wait for the end: true when it played out. */
  async playAndWait(channelId: string, media: string[], playbackId: string, timeoutMs = 120_000): Promise<boolean> {
    const done = this.playbackEnd(playbackId, timeoutMs, channelId);
    try {
      await this.ari.play(channelId, playbackId, media);
    } catch (err) {
      this.releasePlayback(playbackId);
      if (!(err instanceof AriGone)) this.log.warn('playback failed', { channelId, error: (err as Error).message });
    }
    return (await done).finished;
  }

  /** Waits pending (diagnostics, tests). */
  get pending(): number { return this.playbacks.size + this.recordings.size; }

  private register<T>(map: Map<string, Wait<T>>, key: string, timeoutMs: number, channelId: string | undefined, onTimeout: T, fn: (v: T) => void): void {
    const t = setTimeout(() => w.resolve(onTimeout), timeoutMs);
    t.unref?.();   // a wait alone keeps no process alive (a stopping controller, a test run)
    const w: Wait<T> = { channelId, resolve: (v) => { clearTimeout(t); if (map.get(key) === w) map.delete(key); fn(v); } };
    map.get(key)?.resolve(onTimeout);
    map.set(key, w);
  }
}
