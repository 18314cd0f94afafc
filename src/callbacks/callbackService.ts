import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Ari, AriGone, AriUnavailable } from '../ari/client';
import type { AriChannel } from '../ari/types';
import type { CallbackSettings, Queue } from '../config/schema';
import { describeIssues } from '../config/schema';
import { Conflict, Invalid, NotFound } from '../errors';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { CallRecord, CallbackAttempt, StateStore } from '../state/store';
import { APP, CallService } from '../calls/callService';
import type { CallSession } from '../calls/session';
import { unansweredOutcome } from '../calls/session';
import { CallbackNumber, dialString, dialable } from './numbers';
import type { Destinations } from '../destinations/destinations';

/** What a caller hears when the number they keyed (or their own) may not be called back. */
const REFUSED_NUMBER_PROMPT = ['sound:im-sorry', 'sound:cannot-complete-as-dialed'];

export const CALLBACK_PREFIX = 'cb-';
export const isCallback = (id: string) => id.startsWith(CALLBACK_PREFIX);

export const CreateCallbackBody = z.object({
  queueId: z.string().min(1),
  number: CallbackNumber,
  name: z.string().max(80).default(''),
  preferredAgentId: z.string().optional(),
  at: z.string().datetime({ offset: true }).optional(),
}).strict();
export const RescheduleBody = z.object({ at: z.string().datetime({ offset: true }) }).strict();

export interface CallbackView {
  id: string; queueId: string; number: string; name: string; state: string; position: number | null;
  createdAt: string | null; dueAt: string | null; attempts: CallbackAttempt[]; maxAttempts: number;
  preferredAgentId: string | null; message: { url: string } | null; fromCallId: string | null;
}

/** One callback being served on this controller: agent leg first, then the customer. */
interface Serving {
  id: string;
  queue: Queue;
  token: string;
  agentId: string;
  agentChannelId: string;
  state: 'ringing-agent' | 'message' | 'dialing' | 'talking' | 'ending';
  customerChannelId?: string;
  ringbackId?: string;
  bridgeId?: string;
  talkFrom?: number;
  log: Logger;
}

/**
 * Callback requests that keep the caller's place in line.
 * - A waiting caller in a queue with callbacks hears, every offerEverySec, that a key gets them
 *   called back; on the key they leave a message, and the request takes their place in the queue.
 * - Serving: the agent's phone rings first (shown as a callback for the queue); on answer the agent
 *   hears the message, then the customer is dialed while the agent hears ringing; then they are bridged.
 * - The agent or the API completes it, or reschedules it; attempts are recorded in Redis.
 */
export class CallbackService {
  private readonly serving = new Map<string, Serving>();
  private readonly channels = new Map<string, { id: string; role: 'agent' | 'customer' }>();
  /** Pending playback/recording completions, with the channel they play on (a hang-up ends them). */
  private readonly waits = new Map<string, { channelId: string; resolve: (ok: boolean) => void }>();
  private readonly offerTimers = new Map<string, NodeJS.Timeout>();
  private readonly ivrGone = new Set<string>();
  /** Agent legs whose end (ChannelDestroyed) an attempt waits for before it frees the agent. */
  private readonly legGone = new Map<string, () => void>();
  /** A callback went back to waiting (offer failed): dispatch again. */
  onWaiting: (queueId: string) => void = () => {};

  constructor(
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly calls: CallService,
    private readonly outboundDial: string,
    private readonly nodeId: string,
    private readonly offerGraceMs: number,
    private readonly log: Logger,
    private readonly destinations: Destinations,
  ) {
    calls.lifecycle.on('queued', (s, q) => this.scheduleOfferPrompt(s, q));
    calls.onConnected = (callId) => this.clearOfferPrompt(callId);
    calls.onIvrCallerGone = (s) => { this.ivrGone.add(s.callId); this.resolveWaitsFor(s.callerChannelId); };
    ari.onEvent('ChannelDtmfReceived', (e) => void this.onDtmf(e.channel, e.digit));
    ari.onEvent('PlaybackFinished', (e) => this.settle(`play:${e.playback.id}`, true));
    ari.onEvent('RecordingFinished', (e) => this.settle(`rec:${e.recording.name}`, (e.recording.duration ?? 1) > 0));
    ari.onEvent('RecordingFailed', (e) => this.settle(`rec:${e.recording.name}`, false));
    ari.routeStasis('cbagent', (channel, [id, token]) => void this.agentAnswered(channel, id, token)
      .catch((err) => this.log.error('callback agent leg failed', { callbackId: id, error: (err as Error).message })));
    ari.routeStasis('customer', (channel, [id]) => void this.customerAnswered(channel, id)
      .catch((err) => this.log.error('callback customer leg failed', { callbackId: id, error: (err as Error).message })));
    ari.onEvent('StasisEnd', (e) => this.onChannelGone(e.channel.id, 0, 'left'));
    ari.onEvent('ChannelDestroyed', (e) => this.onChannelGone(e.channel.id, e.cause, 'destroyed'));
  }

  // ============================ requesting a callback while waiting =========================

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
    const done = await this.playAndWait(s.callerChannelId, media, `offer-${s.callId}`);
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
      if (!gone()) await this.playAndWait(ch, [...REFUSED_NUMBER_PROMPT], `nr-${id}`);
      if (!gone() && this.calls.backToWaiting(s.callId)) {
        await this.ari.startMoh(ch, queue.mohClass).catch(() => undefined);
        return;
      }
      // they hung up meanwhile, with no request made: they left the line
      await this.state.abandon(s.callId);
      return;
    }
    let message: string | undefined;
    if (!gone()) await this.playAndWait(ch, cb.recordPrompt.map((p) => `sound:${p}`), `rp-${id}`);
    if (!gone()) {
      const finished = this.waitFor(`rec:${recording}`, ch, (cb.maxMessageSec + 10) * 1000);
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
      await this.playAndWait(ch, cb.confirmPrompt.map((p) => `sound:${p}`), `cf-${id}`);
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
      await this.playAndWait(ch, ['sound:vm-enter-num-to-call'], `an-${s.callId}-${attempt}`);
      const typed = (await digits).replace(/#$/, '');
      const parsed = CallbackNumber.safeParse(typed);
      if (!parsed.success) continue;
      const verdict = await this.destinations.evaluate(dialable(typed), queue.id);
      if (!verdict.allowed) {
        s.log.info('keyed callback number refused by the outbound policy', { reason: verdict.reason, rule: verdict.rule });
        await this.playAndWait(ch, [...REFUSED_NUMBER_PROMPT, 'sound:please-try-again'], `ar-${s.callId}-${attempt}`);
        continue;
      }
      const confirm = this.collectDigits(ch, 8000, undefined, 1);
      await this.playAndWait(ch, ['sound:to-call-this-number', `digits:${typed}`, 'sound:if-correct-press', 'digits:1'], `ac-${s.callId}-${attempt}`);
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

  // ============================ playback / recording waits ==================================

  private waitFor(key: string, channelId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waits.delete(key); resolve(false); }, timeoutMs);
      this.waits.set(key, { channelId, resolve: (ok) => { clearTimeout(t); this.waits.delete(key); resolve(ok); } });
    });
  }

  private settle(key: string, ok: boolean): void { this.waits.get(key)?.resolve(ok); }

  /** A hung-up channel's playbacks may end without a PlaybackFinished: release whoever waits on them. */
  private resolveWaitsFor(channelId: string): void {
    // recordings are left alone: a hang-up stops and saves them, and RecordingFinished follows
    for (const [key, w] of [...this.waits]) if (w.channelId === channelId && key.startsWith('play:')) w.resolve(false);
  }

  private async playAndWait(channelId: string, media: string[], playbackId: string, timeoutMs = 120_000): Promise<boolean> {
    const done = this.waitFor(`play:${playbackId}`, channelId, timeoutMs);
    try {
      await this.ari.play(channelId, playbackId, media);
    } catch (err) {
      this.settle(`play:${playbackId}`, false);
      if (!(err instanceof AriGone)) this.log.warn('playback failed', { channelId, error: (err as Error).message });
    }
    return done;
  }

  // ============================ serving a callback ==========================================

  /** Ring the agent's phone for a waiting callback. Same contract as CallService.offer. */
  async offer(queue: Queue, id: string, agentId: string): Promise<'offered' | 'agent' | 'call'> {
    const token = randomUUID();
    const agentChannelId = `cboffer-${token}`;
    const expiresAt = Date.now() + queue.ringTimeoutSec * 1000 + this.offerGraceMs;
    const r = await this.state.reserve(id, agentId, token, expiresAt, agentChannelId, this.nodeId);
    if (!r.ok) return r.code === 'AGENT_NOT_READY' ? 'agent' : 'call';
    const rec = await this.state.call(id);
    const log = this.log.child({ callbackId: id, queueId: queue.id, agentId });
    const sv: Serving = { id, queue, token, agentId, agentChannelId, state: 'ringing-agent', log };
    this.serving.set(id, sv);
    this.channels.set(agentChannelId, { id, role: 'agent' });
    log.info('offering callback');
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${agentId}`, channelId: agentChannelId, app: APP, appArgs: `cbagent,${id},${token}`,
        // the phone shows that this is a callback, for which queue, and the number to be called
        callerId: `"Callback ${queue.name.replace(/"/g, '')}" <${dialable(rec?.callerNumber ?? '')}>`,
        timeoutSec: queue.ringTimeoutSec,
      });
    } catch (err) {
      log.warn('agent phone could not be rung', { error: (err as Error).message });
      // no answer from Asterisk: the phone may ring; the offer's Redis deadline settles it (see CallService.offer)
      if (!(err instanceof AriUnavailable)) await this.offerEnded(sv, 'unreachable', 'unreachable');
    }
    return 'offered';
  }

  private async offerEnded(sv: Serving, outcome: string, pauseReason: string | null): Promise<void> {
    this.forget(sv);
    const r = await this.state.failOffer(sv.id, sv.token, outcome, pauseReason);
    if (r.ok) {
      sv.log.info('callback offer not answered', { outcome });
      this.onWaiting(sv.queue.id);
    }
  }

  /** The offer's Redis deadline passed (its controller may have died). */
  async offerExpired(id: string, token: string): Promise<void> {
    const r = await this.state.failOffer(id, token, 'expired', null, true);
    const sv = this.serving.get(id);
    if (sv?.token === token) {
      this.forget(sv);
      await this.ari.hangupQuietly(sv.agentChannelId);
    }
    if (r.ok && sv) this.onWaiting(sv.queue.id);
  }

  private async agentAnswered(channel: AriChannel, id: string, token: string): Promise<void> {
    const sv = this.serving.get(id);
    if (!sv || sv.token !== token || sv.state !== 'ringing-agent') { await this.ari.hangupQuietly(channel.id); return; }
    const bridgeId = `cb-${token}`;
    const accepted = await this.state.accept(id, token, bridgeId);
    if (!accepted.ok) { this.forget(sv); await this.ari.hangupQuietly(channel.id); return; }
    sv.bridgeId = bridgeId;
    // a REFER from the agent's phone comes to the controller, which refuses it (a callback is not
    // transferred), instead of Asterisk transferring the customer on its own
    void this.ari.setVar(channel.id, 'PJSIP_TRANSFER_HANDLING()', 'ari-only').catch(() => undefined);
    const rec = await this.state.call(id);
    sv.state = 'message';
    if (rec?.message) {
      sv.log.info('playing the callback message to the agent');
      await this.playAndWait(channel.id, ['sound:beep', `recording:${rec.message}`], `cbmsg-${token}`);
    }
    if (sv.state !== 'message') return;            // the agent hung up during the message
    sv.state = 'dialing';
    sv.ringbackId = `cbring-${token}`;
    await this.ari.play(channel.id, sv.ringbackId, ['tone:ring;tonezone=us']).catch(() => undefined);
    // the policy may have changed since the request was taken
    const verdict = await this.destinations.evaluate(dialable(rec?.callerNumber ?? ''), sv.queue.id);
    if (!verdict.allowed) {
      sv.log.warn('callback number refused by the outbound policy: not dialed', { reason: verdict.reason, rule: verdict.rule });
      await this.attemptOver(sv, 'not-allowed');
      return;
    }
    const customerChannelId = `cbcust-${token}`;
    sv.customerChannelId = customerChannelId;
    this.channels.set(customerChannelId, { id, role: 'customer' });
    sv.log.info('dialing the customer', { number: rec?.callerNumber });
    try {
      await this.ari.originate({
        endpoint: dialString(this.outboundDial, rec?.callerNumber ?? ''), channelId: customerChannelId, app: APP,
        appArgs: `customer,${id}`, callerId: `"${sv.queue.name.replace(/"/g, '')}" <${sv.queue.extension}>`,
        timeoutSec: sv.queue.callbacks.dialTimeoutSec, originator: channel.id,
      });
    } catch (err) {
      sv.log.warn('customer could not be dialed', { error: (err as Error).message });
      await this.attemptOver(sv, 'failed');
    }
  }

  private async customerAnswered(channel: AriChannel, id: string): Promise<void> {
    const sv = this.serving.get(id);
    if (!sv || sv.state !== 'dialing' || sv.customerChannelId !== channel.id) { await this.ari.hangupQuietly(channel.id); return; }
    sv.state = 'talking';
    sv.talkFrom = Date.now();
    await this.ari.stopPlayback(sv.ringbackId!).catch(() => undefined);
    await this.ari.createBridge(sv.bridgeId!, 'mixing');
    await this.ari.addChannels(sv.bridgeId!, [sv.agentChannelId, channel.id]);
    sv.log.info('callback connected to the customer');
  }

  private onChannelGone(channelId: string, cause: number, how: 'left' | 'destroyed'): void {
    const leg = how === 'destroyed' ? this.legGone.get(channelId) : undefined;
    if (leg) { this.resolveWaitsFor(channelId); leg(); }
    const ref = this.channels.get(channelId);
    if (!ref) return;
    const sv = this.serving.get(ref.id);
    if (!sv) { this.channels.delete(channelId); return; }
    this.resolveWaitsFor(channelId);
    if (ref.role === 'agent') {
      if (sv.state === 'ringing-agent') {
        if (how === 'destroyed') { const o = unansweredOutcome(cause); void this.offerEnded(sv, o.outcome, o.pauseReason); }
      } else if (sv.state !== 'ending') {
        void this.attemptOver(sv, sv.state === 'talking' ? 'answered' : 'agent-hung-up', how === 'destroyed');
      }
    } else if (sv.state === 'dialing' && how === 'destroyed') {
      void this.attemptOver(sv, unansweredOutcome(cause).outcome === 'unreachable' ? 'failed' : unansweredOutcome(cause).outcome);
    } else if (sv.state === 'talking') {
      void this.attemptOver(sv, 'answered');
    }
  }

  /**
   * The agent's callback call is over: tell the agent when the customer was not reached, hang up
   * the legs, and only once the agent's leg is gone record the attempt, which frees the agent.
   * Freed earlier, the next caller's INVITE reached the phone while it still had the callback
   * call (the outcome prompt lasts about two seconds): two calls on one agent.
   */
  private async attemptOver(sv: Serving, outcome: string, agentLegGone = false): Promise<void> {
    if (sv.state === 'ending') return;
    const wasTalking = sv.state === 'talking';
    sv.state = 'ending';
    this.forget(sv);
    const talkMs = wasTalking && sv.talkFrom ? Date.now() - sv.talkFrom : 0;
    // registered before any await: the leg's ChannelDestroyed may be the next event
    const agentGone = agentLegGone ? Promise.resolve(true) : this.waitLegGone(sv.agentChannelId, 15_000);
    if (!wasTalking && outcome !== 'agent-hung-up' && !agentLegGone) {
      await this.ari.stopPlayback(sv.ringbackId ?? '').catch(() => undefined);
      await this.playAndWait(sv.agentChannelId, ['sound:number-not-answering'], `cbna-${sv.token}`, 10_000);
    }
    await Promise.all([
      this.ari.hangupQuietly(sv.agentChannelId),
      this.ari.hangupQuietly(sv.customerChannelId),
      sv.bridgeId ? this.ari.destroyBridge(sv.bridgeId).catch(() => undefined) : undefined,
    ]);
    if (!(await agentGone)) sv.log.warn('the agent leg of a callback did not end in time: freeing the agent anyway');
    const r = await this.state.callbackAttemptEnd(sv.id, outcome, talkMs, this.registry.wrapUpFor(sv.queue.id, sv.agentId));
    sv.log.info('callback attempt over', { outcome, talkMs, state: r.ok ? r.value : r.code });
  }

  /** Resolves true when the channel is destroyed, false after timeoutMs. */
  private waitLegGone(channelId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (gone: boolean) => { clearTimeout(t); this.legGone.delete(channelId); resolve(gone); };
      const t = setTimeout(() => done(false), timeoutMs);
      this.legGone.set(channelId, () => done(true));
    });
  }

  private forget(sv: Serving): void {
    this.serving.delete(sv.id);
    this.channels.delete(sv.agentChannelId);
    if (sv.customerChannelId) this.channels.delete(sv.customerChannelId);
  }

  /**
   * After a (re)connect: callbacks this controller was serving whose legs are gone (or whose
   * in-memory progress was lost in a restart) end their attempt; unanswered offers go back to waiting.
   */
  async reconcile(): Promise<void> {
    const live = new Set((await this.ari.listChannels()).map((c) => c.id));
    for (const id of await this.state.callbackIds()) {
      const rec = await this.state.call(id);
      if (!rec || rec.servedBy !== this.nodeId || this.serving.has(id)) continue;
      if (rec.state === 'offered') {
        await this.state.failOffer(id, rec.offerToken!, 'lost', null);
        await this.ari.hangupQuietly(live.has(rec.agentChannelId!) ? rec.agentChannelId : undefined);
      } else if (rec.state === 'connected') {
        await this.state.callbackAttemptEnd(id, 'failed', 0);
        const customer = `cbcust-${rec.offerToken}`;
        await this.ari.hangupQuietly(live.has(rec.agentChannelId!) ? rec.agentChannelId : undefined);
        await this.ari.hangupQuietly(live.has(customer) ? customer : undefined);
      }
    }
  }

  // ============================ API operations ==============================================

  async create(body: unknown): Promise<CallbackView> {
    const p = CreateCallbackBody.safeParse(body ?? {});
    if (!p.success) throw new Invalid('invalid callback request', describeIssues(p.error));
    const queue = this.registry.findQueue(p.data.queueId);
    if (!queue) throw new Invalid(`unknown queue ${p.data.queueId}`, { queueId: p.data.queueId });
    if (!queue.callbacks.enabled) throw new Invalid(`queue ${queue.id} does not take callback requests`, { queueId: queue.id });
    if (p.data.preferredAgentId && !this.registry.findAgent(p.data.preferredAgentId)) {
      throw new Invalid(`unknown agent ${p.data.preferredAgentId}`, { preferredAgentId: p.data.preferredAgentId });
    }
    await this.destinations.check(dialable(p.data.number), queue.id, 'callback number');
    const dueAt = p.data.at ? Date.parse(p.data.at) : undefined;
    if (dueAt !== undefined && dueAt < Date.now() - 1000) throw new Invalid('the time is in the past', { at: p.data.at });
    const id = `${CALLBACK_PREFIX}${randomUUID()}`;
    const r = await this.state.callbackCreate({
      callbackId: id, queueId: queue.id, number: p.data.number, name: p.data.name, preferredAgentId: p.data.preferredAgentId,
      preferMs: queue.callbacks.preferredAgentSec * 1000, dueAt, maxAttempts: queue.callbacks.maxAttempts,
      preferLastAgent: queue.callbacks.preferLastAgent,
    });
    if (!r.ok) throw new Conflict(r.code, `callback not created: ${r.code}`);
    return this.view(id);
  }

  async list(filter: { queueId?: string; state?: string; number?: string; agentId?: string }): Promise<CallbackView[]> {
    // live requests, and finished ones still kept (their retention)
    const ids = [...await this.state.callbackIds(), ...await this.state.finishedCallbackIds()];
    const views = await Promise.all(ids.map((id) => this.view(id).catch(() => undefined)));
    return views.filter((v): v is CallbackView => !!v
      && (!filter.queueId || v.queueId === filter.queueId)
      && (!filter.state || v.state === filter.state)
      && (!filter.number || dialable(v.number) === dialable(filter.number)))
      .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }

  async record(id: string): Promise<CallRecord> {
    const rec = isCallback(id) ? await this.state.call(id) : undefined;
    if (!rec || rec.kind !== 'callback') throw new NotFound('callback', id);
    return rec;
  }

  async view(id: string): Promise<CallbackView> {
    const rec = await this.record(id);
    const [attempts, waiting] = await Promise.all([this.state.callbackAttempts(id), this.state.waiting(rec.queueId)]);
    const pos = waiting.findIndex((w) => w.callId === id);
    const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
    return {
      id, queueId: rec.queueId, number: rec.callerNumber, name: rec.callerName, state: rec.state,
      position: pos >= 0 ? pos + 1 : null, createdAt: iso(rec.createdAt), dueAt: iso(rec.dueAt), attempts,
      maxAttempts: rec.maxAttempts ?? 0, preferredAgentId: rec.preferredAgentId ?? null,
      message: rec.message ? { url: `/api/v1/callbacks/${id}/message` } : null, fromCallId: rec.fromCallId || null,
    };
  }

  async messageAudio(id: string): Promise<Buffer> {
    const rec = await this.record(id);
    if (!rec.message) throw new NotFound('callback message', id);
    try {
      return await this.ari.storedRecordingFile(rec.message);
    } catch (err) {
      if (err instanceof AriGone) throw new NotFound('callback message', id);
      throw err;
    }
  }

  async complete(id: string): Promise<CallbackView> {
    await this.record(id);
    const r = await this.state.callbackComplete(id);
    if (!r.ok) throw new Conflict(`CALLBACK_${r.code}`, r.code === 'RINGING' ? 'the callback is ringing an agent' : 'the callback is already finished');
    return this.view(id);
  }

  async reschedule(id: string, body: unknown): Promise<CallbackView> {
    await this.record(id);
    const p = RescheduleBody.safeParse(body ?? {});
    if (!p.success) throw new Invalid('invalid reschedule request', describeIssues(p.error));
    const at = Date.parse(p.data.at);
    if (at < Date.now() - 1000) throw new Invalid('the time is in the past', { at: p.data.at });
    const r = await this.state.callbackReschedule(id, at);
    if (!r.ok) {
      const msg: Record<string, string> = { FINISHED: 'the callback is already finished', IN_PROGRESS: 'the callback is on a call now', MAX_ATTEMPTS: 'no attempts left' };
      throw new Conflict(`CALLBACK_${r.code}`, msg[r.code] ?? r.code);
    }
    return this.view(id);
  }

  async cancel(id: string): Promise<CallbackView> {
    await this.record(id);
    const r = await this.state.callbackCancel(id);
    if (!r.ok) throw new Conflict(`CALLBACK_${r.code}`, r.code === 'IN_PROGRESS' ? 'the callback is on a call now' : 'the callback is already finished');
    return this.view(id);
  }
}
