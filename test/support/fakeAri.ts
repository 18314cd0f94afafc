import { EventEmitter } from 'node:events';
import { Ari, AriGone, AriUnavailable } from '../../src/ari/client';
import type { AriChannel, AriEvent, AriEventOf, AriEventType } from '../../src/ari/types';

/**
 * The one fake ARI for unit tests: it stands in for `Ari` (src/ari/client.ts) where a real
 * Asterisk cannot run. It records every request, answers with configurable results (or a 404 as
 * AriGone, or AriUnavailable), and lets a test emit typed ARI events, routed like the real
 * adapter routes them (StasisStart by its first argument).
 *
 * It implements every public member of `Ari` (below, `implements AriSurface`): a method added to
 * `Ari`, or one whose return type changes, breaks this file at compile time rather than a test at
 * run time. (TypeScript compares method parameters bivariantly, so a parameter that only narrows
 * may still slip through.)
 */

/** The public members of `Ari` beyond those of EventEmitter (which the fake inherits). */
export type AriSurface = { [K in Exclude<keyof Ari, keyof EventEmitter>]: Ari[K] };
/** The requests a service can make of ARI. */
export type AriMethod = { [K in keyof AriSurface]: AriSurface[K] extends (...args: never[]) => unknown ? K : never }[keyof AriSurface];
type Args<M extends AriMethod> = Parameters<Ari[M]>;
type Result<M extends AriMethod> = Awaited<ReturnType<Ari[M]>>;
type Responder<M extends AriMethod> = (...args: Args<M>) => Result<M> | Promise<Result<M>>;

export interface RecordedCall { method: AriMethod; args: unknown[] }

/** The methods whose first argument is a channel id: they answer 404 once that channel is gone. */
const CHANNEL_METHODS = new Set<AriMethod>([
  'answer', 'hangup', 'startMoh', 'stopMoh', 'ring', 'getChannel', 'play', 'record', 'snoop', 'mute', 'unmute',
  'sendDtmf', 'continueInDialplan', 'setVar', 'transferProgress',
]);

let eventClock = Date.parse('2030-01-01T00:00:00Z');

/** An ARI channel as Asterisk describes it; `overrides` set what a test cares about. */
export function fakeChannel(id: string, overrides: Partial<AriChannel> = {}): AriChannel {
  return {
    id, name: `PJSIP/${id}`, state: 'Up', caller: { name: '', number: '5551000' }, connected: { name: '', number: '' },
    dialplan: { context: 'acd-inbound', exten: 's', priority: 1 }, creationtime: new Date(0).toISOString(), ...overrides,
  };
}

export class FakeAri extends EventEmitter implements AriSurface {
  /** Every request, in order. */
  readonly calls: RecordedCall[] = [];
  /** What `connected` answers (the real one follows the WebSocket). */
  connected = true;
  /** What `outages` answers: a test raises it to stand for a dropped connection. */
  outages = 0;
  /** Channels Asterisk no longer has: requests on them answer 404 (AriGone), hangupQuietly ignores it. */
  readonly goneChannels = new Set<string>();
  private readonly responders = new Map<AriMethod, Responder<AriMethod>>();
  private readonly stasisRoutes = new Map<string, (channel: AriChannel, args: string[]) => void>();
  /** Channels that entered Stasis with a first argument nobody routes (the real adapter hangs them up). */
  readonly unrouted: string[] = [];

  constructor() {
    super();
    this.setMaxListeners(50);
    // the same routing as Ari's constructor: the first Stasis argument names the kind of channel
    this.on('ari:StasisStart', (e: AriEventOf<'StasisStart'>) => {
      const route = this.stasisRoutes.get(e.args[0]);
      if (route) return route(e.channel, e.args.slice(1));
      this.unrouted.push(e.channel.id);
    });
  }

  /** This fake where a service wants an `Ari` (the real class has private members, so a cast is needed once, here). */
  asAri(): Ari { return this as unknown as Ari; }

  // --- configuring answers ------------------------------------------------------------------
  /** Answer `method` with this function's result (sync or async; throwing rejects the request). */
  respond<M extends AriMethod>(method: M, responder: Responder<M>): this {
    this.responders.set(method, responder as unknown as Responder<AriMethod>);
    return this;
  }

  /** `method` answers 404 (AriGone), as for a channel, bridge or recording Asterisk does not have. */
  notFound(method: AriMethod, message = 'Channel not found'): this {
    return this.respond(method, () => { throw new AriGone(message); });
  }

  /** `method` gets no answer from Asterisk (connection lost): AriUnavailable. */
  unavailable(method: AriMethod): this {
    return this.respond(method, () => { throw new AriUnavailable('ARI is not connected'); });
  }

  /** `method` fails with a non-404 error (Asterisk said 400, 409, 500...). */
  failWith(method: AriMethod, message: string): this {
    return this.respond(method, () => { throw new Error(message); });
  }

  /** Back to the defaults: every request succeeds, nothing is gone. */
  resetAnswers(): void { this.responders.clear(); this.goneChannels.clear(); }

  // --- reading what was asked ---------------------------------------------------------------
  /** The arguments of every call to `method`, in order. */
  argsOf<M extends AriMethod>(method: M): Args<M>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args as Args<M>);
  }

  /** The methods called, in order (optionally only those in `only`). */
  methods(only?: AriMethod[]): AriMethod[] {
    return this.calls.map((c) => c.method).filter((m) => !only || only.includes(m));
  }

  /** Channels asked to hang up, by hangup or hangupQuietly (undefined ids skipped, as the real one does). */
  hungUp(): string[] {
    return this.calls.filter((c) => c.method === 'hangup' || c.method === 'hangupQuietly')
      .map((c) => c.args[0] as string | undefined).filter((id): id is string => !!id);
  }

  clearCalls(): void { this.calls.length = 0; this.unrouted.length = 0; }

  // --- emitting events ----------------------------------------------------------------------
  /** Deliver an ARI event as the real adapter does (`ari:<type>` on the emitter). */
  event(e: DistributiveOmit<AriEvent, 'application' | 'timestamp'> & { timestamp?: string }): void {
    const full = { application: 'acd', timestamp: new Date(eventClock += 1000).toISOString(), ...e } as AriEvent;
    this.emit(`ari:${full.type}`, full);
  }

  stasisStart(channel: AriChannel | string, args: string[]): void {
    this.event({ type: 'StasisStart', channel: typeof channel === 'string' ? fakeChannel(channel) : channel, args });
  }

  stasisEnd(channelId: string): void { this.event({ type: 'StasisEnd', channel: fakeChannel(channelId) }); }

  /** The channel is gone: its StasisEnd, then ChannelDestroyed with this Q.850 cause; later requests on it answer 404. */
  channelGone(channelId: string, cause = 16, opts: { stasisEnd?: boolean } = {}): void {
    this.goneChannels.add(channelId);
    if (opts.stasisEnd !== false) this.stasisEnd(channelId);
    this.event({ type: 'ChannelDestroyed', channel: fakeChannel(channelId), cause, cause_txt: '' });
  }

  dtmf(channelId: string, digit: string, timestamp?: string): void {
    this.event({ type: 'ChannelDtmfReceived', channel: fakeChannel(channelId), digit, duration_ms: 120, ...(timestamp ? { timestamp } : {}) });
  }

  playbackStarted(playbackId: string, channelId: string): void {
    this.event({ type: 'PlaybackStarted', playback: { id: playbackId, media_uri: '', target_uri: `channel:${channelId}`, state: 'playing' } });
  }

  playbackFinished(playbackId: string, channelId: string): void {
    this.event({ type: 'PlaybackFinished', playback: { id: playbackId, media_uri: '', target_uri: `channel:${channelId}`, state: 'done' } });
  }

  recordingFinished(name: string, duration = 3): void {
    this.event({ type: 'RecordingFinished', recording: { name, format: 'wav', state: 'done', target_uri: '', duration } });
  }

  recordingFailed(name: string): void {
    this.event({ type: 'RecordingFailed', recording: { name, format: 'wav', state: 'failed', target_uri: '' } });
  }

  /** A phone on `channelId` sent a REFER to `destination` (PJSIP_TRANSFER_HANDLING=ari-only). */
  refer(channelId: string, destination?: string): void {
    this.event({ type: 'ChannelTransfer', refer_to: { requested_destination: { destination } }, referred_by: { source_channel: fakeChannel(channelId) } });
  }

  // --- the Ari surface ----------------------------------------------------------------------
  routeStasis(kind: string, handler: (channel: AriChannel, args: string[]) => void): void { this.stasisRoutes.set(kind, handler); }
  onEvent<T extends AriEventType>(type: T, handler: (e: AriEventOf<T>) => void): void { this.on(`ari:${type}`, handler); }
  start(): void { this.calls.push({ method: 'start', args: [] }); }
  stop(): void { this.calls.push({ method: 'stop', args: [] }); }

  answer(...a: Args<'answer'>) { return this.request('answer', a, undefined); }
  hangup(...a: Args<'hangup'>) { return this.request('hangup', a, undefined); }
  startMoh(...a: Args<'startMoh'>) { return this.request('startMoh', a, undefined); }
  stopMoh(...a: Args<'stopMoh'>) { return this.request('stopMoh', a, undefined); }
  ring(...a: Args<'ring'>) { return this.request('ring', a, undefined); }
  listChannels(...a: Args<'listChannels'>) { return this.request('listChannels', a, []); }
  getChannel(...a: Args<'getChannel'>) { return this.request('getChannel', a, fakeChannel(a[0])); }
  originate(...a: Args<'originate'>) { return this.request('originate', a, fakeChannel(a[0].channelId, { state: 'Down' })); }
  play(...a: Args<'play'>) { return this.request('play', a, undefined); }
  stopPlayback(...a: Args<'stopPlayback'>) { return this.request('stopPlayback', a, undefined); }
  record(...a: Args<'record'>) { return this.request('record', a, undefined); }
  storedRecording(...a: Args<'storedRecording'>) { return this.request('storedRecording', a, { name: a[0], format: 'wav' }); }
  storedRecordingFile(...a: Args<'storedRecordingFile'>) { return this.request('storedRecordingFile', a, Buffer.alloc(0)); }
  deleteStoredRecording(...a: Args<'deleteStoredRecording'>) { return this.request('deleteStoredRecording', a, undefined); }
  storedRecordingStream(...a: Args<'storedRecordingStream'>) {
    return this.request('storedRecordingStream', a, { body: new Blob([]).stream() as ReadableStream<Uint8Array>, length: undefined });
  }
  recordBridge(...a: Args<'recordBridge'>) { return this.request('recordBridge', a, undefined); }
  muteRecording(...a: Args<'muteRecording'>) { return this.request('muteRecording', a, undefined); }
  unmuteRecording(...a: Args<'unmuteRecording'>) { return this.request('unmuteRecording', a, undefined); }
  stopRecording(...a: Args<'stopRecording'>) { return this.request('stopRecording', a, undefined); }
  snoop(...a: Args<'snoop'>) { return this.request('snoop', a, fakeChannel(a[1])); }
  mute(...a: Args<'mute'>) { return this.request('mute', a, undefined); }
  unmute(...a: Args<'unmute'>) { return this.request('unmute', a, undefined); }
  sendDtmf(...a: Args<'sendDtmf'>) { return this.request('sendDtmf', a, undefined); }
  continueInDialplan(...a: Args<'continueInDialplan'>) { return this.request('continueInDialplan', a, undefined); }
  setVar(...a: Args<'setVar'>) { return this.request('setVar', a, undefined); }
  transferProgress(...a: Args<'transferProgress'>) { return this.request('transferProgress', a, undefined); }
  /** Like the real one: a hang-up of a channel already gone (404) is not an error; no id, no request. */
  async hangupQuietly(channelId: string | undefined, reason = 'normal'): Promise<void> {
    if (!channelId) return;
    try { await this.request('hangupQuietly', [channelId, reason], undefined); } catch (err) {
      if (!(err instanceof AriGone)) throw err;
    }
  }
  createBridge(...a: Args<'createBridge'>) { return this.request('createBridge', a, { id: a[0], bridge_type: a[1], channels: [] }); }
  addChannels(...a: Args<'addChannels'>) { return this.request('addChannels', a, undefined); }
  removeChannel(...a: Args<'removeChannel'>) { return this.request('removeChannel', a, undefined); }
  destroyBridge(...a: Args<'destroyBridge'>) { return this.request('destroyBridge', a, undefined); }
  listBridges(...a: Args<'listBridges'>) { return this.request('listBridges', a, []); }
  playOnBridge(...a: Args<'playOnBridge'>) { return this.request('playOnBridge', a, undefined); }
  application(...a: Args<'application'>) { return this.request('application', a, { channel_ids: [], bridge_ids: [] }); }
  allowEvents(...a: Args<'allowEvents'>) { return this.request('allowEvents', a, undefined); }
  subscribe(...a: Args<'subscribe'>) { return this.request('subscribe', a, undefined); }
  endpoint(...a: Args<'endpoint'>) { return this.request('endpoint', a, { state: 'online', channel_ids: [] }); }
  putPjsip(...a: Args<'putPjsip'>) { return this.request('putPjsip', a, a[2]); }
  getPjsip(...a: Args<'getPjsip'>) { return this.request('getPjsip', a, []); }
  deletePjsip(...a: Args<'deletePjsip'>) { return this.request('deletePjsip', a, undefined); }

  /**
   * Record the request, then answer it: a configured responder first, else 404 for a channel
   * Asterisk no longer has, else the default. Asynchronous like a real request.
   */
  private async request<M extends AriMethod>(method: M, args: unknown[], fallback: Result<M>): Promise<Result<M>> {
    this.calls.push({ method, args });
    await Promise.resolve();
    const responder = this.responders.get(method) as Responder<M> | undefined;
    if (responder) return responder(...(args as Args<M>));
    const target = args[0];
    if ((CHANNEL_METHODS.has(method) || method === 'hangupQuietly') && typeof target === 'string' && this.goneChannels.has(target)) {
      throw new AriGone(`Channel not found: ${target}`);
    }
    return fallback;
  }
}

/** Omit applied to each member of a union (the plain Omit would merge the event types). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Let pending promise chains run (the services' handlers await the fake's requests). Works with
 * and without sinon's fake timers: only microtasks are drained.
 */
export async function settle(rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
