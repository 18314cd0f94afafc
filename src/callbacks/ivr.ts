import { randomUUID } from 'node:crypto';
import { Ari, AriGone } from '../ari/client';
import type { AriChannel } from '../ari/types';
import type { CallbackSettings, Queue } from '../config/schema';
import type { Destinations } from '../destinations/destinations';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { dialable } from '../calls/agentFirst';
import type { CallCore, CallSession } from '../calls/core';
import type { MediaWaiter } from '../calls/core/media';
import type { CallService } from '../calls/queueing/callService';
import { CALLBACK_PREFIX } from './ids';
import { CallbackNumber } from './numbers';

/** What a caller hears when the number they keyed (or their own) may not be called back. */
const REFUSED_NUMBER_PROMPT = ['sound:im-sorry', 'sound:cannot-complete-as-dialed'];

/**
 * Requesting a callback while waiting: a caller in a queue with callbacks hears, every
 * offerEverySec, that a key gets them called back; on the key they may key another number, leave a
 * message, and the request takes their place in the queue (the caller's time is kept in Redis).
 */
export class CallbackIvr {
  private readonly offerTimers = new Map<string, NodeJS.Timeout>();
  private readonly ivrGone = new Set<string>();

  constructor(
    core: CallCore,
    private readonly ari: Ari,
    private readonly media: MediaWaiter,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly calls: CallService,
    private readonly destinations: Destinations,
    private readonly log: Logger,
  ) {
    core.events.on('queued', (s, q) => this.scheduleOfferPrompt(s, q));
    core.events.on('connected', (s) => this.clearOfferPrompt(s.callId));
    core.events.on('ivrCallerGone', (s) => { this.ivrGone.add(s.callId); this.media.releaseChannel(s.callerChannelId); });
    ari.onEvent('ChannelDtmfReceived', (e) => void this.onDtmf(e.channel, e.digit));
  }

  private scheduleOfferPrompt(s: CallSession, queue: Queue): void {
    // a caller hearing ringing is not answered: nothing can be played to them
    if (!queue.callbacks.enabled || queue.waitingTone === 'ringing') return;
    this.clearOfferPrompt(s.callId);
    const t = setTimeout(() => void this.offerPrompt(s, queue), queue.callbacks.offerEverySec * 1000);
    this.offerTimers.set(s.callId, t);
  }

  private clearOfferPrompt(callId: string): void {
    const t = this.offerTimers.get(callId);
    if (t) clearTimeout(t);
    this.offerTimers.delete(callId);
  }

  /** "To be called back, press 1", then music again; repeated while the caller waits. */
  private async offerPrompt(s: CallSession, queue: Queue): Promise<void> {
    if (s.state !== 'waiting') return;
    const cb = queue.callbacks;
    const media = [...cb.offerPrompt.map((p) => `sound:${p}`), `digits:${cb.key}`];
    const done = await this.media.playAndWait(s.callerChannelId, media, `offer-${s.callId}`);
    if (done && s.state === 'waiting') await this.ari.startMoh(s.callerChannelId, queue.mohClass).catch(() => undefined);
    if (s.state === 'waiting') this.scheduleOfferPrompt(s, queue);
  }

  private async onDtmf(channel: AriChannel, digit: string): Promise<void> {
    const waiting = this.calls.waitingCallerOn(channel.id);
    if (!waiting) return;
    const queue = this.registry.findQueue(waiting.queueId);
    if (!queue?.callbacks.enabled || digit !== queue.callbacks.key) return;
    const s = this.calls.claimForIvr(waiting.callId);
    if (!s) return;
    this.clearOfferPrompt(s.callId);
    try {
      await this.requestFlow(s, queue.callbacks, queue);
    } catch (err) {
      s.log.error('callback request failed', { error: (err as Error).message });
    } finally {
      this.ivrGone.delete(s.callId);
      this.calls.forgetIvr(s.callId);
    }
  }

  private async requestFlow(s: CallSession, cb: CallbackSettings, queue: Queue): Promise<void> {
    const ch = s.callerChannelId;
    const gone = () => this.ivrGone.has(s.callId);
    const id = `${CALLBACK_PREFIX}${randomUUID()}`;
    const recording = `callbacks/${id}`;
    s.log.info('caller requests a callback', { callbackId: id });
    await this.ari.stopMoh(ch).catch(() => undefined);
    await this.ari.stopPlayback(`offer-${s.callId}`).catch(() => undefined);
    // the caller's own number is checked like a keyed one: an international or premium-rate caller
    // ID must not become an outbound call either
    const ownNumber = (await this.destinations.evaluate(dialable(s.callerNumber), queue.id)).allowed && CallbackNumber.safeParse(s.callerNumber).success
      ? s.callerNumber : undefined;
    let number = ownNumber;
    if (cb.askNumber && !gone()) number = (await this.askNumber(s, queue)) ?? ownNumber;
    if (!number) {
      // no number we may call: the caller is told so and keeps waiting in line, at their place
      s.log.info('no callback number the outbound policy allows: the caller keeps waiting', { callerNumber: s.callerNumber });
      if (!gone()) await this.media.playAndWait(ch, [...REFUSED_NUMBER_PROMPT], `nr-${id}`);
      if (!gone() && this.calls.backToWaiting(s.callId)) {
        await this.ari.startMoh(ch, queue.mohClass).catch(() => undefined);
        return;
      }
      // they hung up meanwhile, with no request made: they left the line
      await this.state.abandon(s.callId);
      return;
    }
    let message: string | undefined;
    if (!gone()) await this.media.playAndWait(ch, cb.recordPrompt.map((p) => `sound:${p}`), `rp-${id}`);
    if (!gone()) {
      const finished = this.media.recordingEnd(recording, (cb.maxMessageSec + 10) * 1000, ch);
      try {
        await this.ari.record(ch, { name: recording, maxDurationSeconds: cb.maxMessageSec, maxSilenceSeconds: cb.maxSilenceSec, terminateOn: '#' });
        if (await finished) message = recording;
      } catch (err) {
        if (!(err instanceof AriGone)) s.log.warn('recording the callback message failed', { error: (err as Error).message });
      }
    }
    const r = await this.state.callbackCreate({
      callbackId: id, queueId: queue.id, number, name: '', fromCallId: s.callId, message,
      preferMs: cb.preferredAgentSec * 1000, maxAttempts: cb.maxAttempts, preferLastAgent: cb.preferLastAgent,
    });
    if (!r.ok) { s.log.warn('callback not created', { code: r.code }); return; }
    s.log.info('callback requested', { callbackId: id, withMessage: Boolean(message) });
    if (!gone()) {
      await this.media.playAndWait(ch, cb.confirmPrompt.map((p) => `sound:${p}`), `cf-${id}`);
      await this.ari.hangupQuietly(ch);
    }
  }

  /**
   * The caller keys a number ended by #, hears it back and confirms with 1; up to three tries. A
   * number the outbound policy refuses is not read back: the caller hears that it cannot be
   * called and is asked again.
   */
  private async askNumber(s: CallSession, queue: Queue): Promise<string | undefined> {
    const ch = s.callerChannelId;
    for (let attempt = 0; attempt < 3 && !this.ivrGone.has(s.callId); attempt++) {
      const digits = this.collectDigits(ch, 15_000, '#');
      await this.media.playAndWait(ch, ['sound:vm-enter-num-to-call'], `an-${s.callId}-${attempt}`);
      const typed = (await digits).replace(/#$/, '');
      const parsed = CallbackNumber.safeParse(typed);
      if (!parsed.success) continue;
      const verdict = await this.destinations.evaluate(dialable(typed), queue.id);
      if (!verdict.allowed) {
        s.log.info('keyed callback number refused by the outbound policy', { reason: verdict.reason, rule: verdict.rule });
        await this.media.playAndWait(ch, [...REFUSED_NUMBER_PROMPT, 'sound:please-try-again'], `ar-${s.callId}-${attempt}`);
        continue;
      }
      const confirm = this.collectDigits(ch, 8000, undefined, 1);
      await this.media.playAndWait(ch, ['sound:to-call-this-number', `digits:${typed}`, 'sound:if-correct-press', 'digits:1'], `ac-${s.callId}-${attempt}`);
      if ((await confirm) === '1') return typed;
    }
    return undefined;
  }

  private collectDigits(channelId: string, timeoutMs: number, terminator?: string, max = 20): Promise<string> {
    return new Promise((resolve) => {
      let got = '';
      let last = { digit: '', at: 0 };
      const handler = (e: { channel: AriChannel; digit: string; timestamp: string; duration_ms: number }) => {
        if (e.channel.id !== channelId) return;
        // One key event can reach us twice (it did while the app was also subscribed to the PJSIP
        // endpoints, which repeats their channels' events); no person repeats a key within 80 ms
        // (ITU-T Q.24: at least 40 ms tone and 40 ms pause). Asterisk's event time is the clock:
        // events may reach us in a burst.
        const at = Date.parse(e.timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
        this.log.debug('caller keyed a digit', { channelId, digit: e.digit, at: e.timestamp, durationMs: e.duration_ms });
        if (e.digit === last.digit && at - last.at < 80) return;
        last = { digit: e.digit, at };
        got += e.digit;
        if (e.digit === terminator || got.length >= max) finish();
      };
      const finish = () => { clearTimeout(t); this.ari.off('ari:ChannelDtmfReceived', handler); resolve(got); };
      const t = setTimeout(finish, timeoutMs);
      this.ari.on('ari:ChannelDtmfReceived', handler);
    });
  }
}
