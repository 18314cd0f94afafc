import { EventEmitter } from 'node:events';
import http from 'node:http';
import ariClient from 'ari-client';
import { WebSocket } from 'ws';
import type { Logger } from '../logger';
import type { AriBridge, AriChannel, AriEvent, AriEventOf, AriEventType, OriginateRequest, PjsipFields } from './types';

/** The channel, bridge or object is gone (ARI 404). Normal in telephony: log at debug and move on. */
export class AriGone extends Error {}

/** The request never got an answer from Asterisk (connection lost or not yet back): nobody's fault. */
export class AriUnavailable extends Error {}

export interface AriOptions { url: string; user: string; password: string; app: string }

const REQUEST_TIMEOUT_MS = 5000;
/** The events socket is pinged this often; one that has not answered the previous ping by then is dropped (a dead peer without a FIN). */
const PING_INTERVAL_MS = 10_000;

// ari-client turns every HTTP error into Error(body): the status is lost, the body's message stays.
function classify(err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string })?.code;
  if (err instanceof AriUnavailable) return err;
  if (/not found/i.test(text)) return new AriGone(text);
  if ((code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) || /socket hang up|ARI is not connected/i.test(text)) {
    return new AriUnavailable(text);
  }
  return err instanceof Error ? err : new Error(text);
}

type Client = Awaited<ReturnType<typeof ariClient.connect>>;

/**
 * ari-client's swagger-client prints a notice about Asterisk's Swagger 1.2 on every connect, as an
 * array through console.log, in the middle of our output: drop that one line while connecting.
 */
async function withoutSwaggerNotice<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (!String(first ?? '').includes('deprecated version of Swagger')) log(...args);
  };
  try { return await fn(); } finally { console.log = log; }
}

/**
 * A narrow typed adapter over ARI with a supervised connection that never gives up. The events
 * come over a WebSocket of our own (/ari/events?app=...), parsed once and emitted as they are:
 * ari-client's socket wrapped every event's channels, bridges and playbacks into objects of its
 * Swagger model first, a cost paid for every event and used by nothing here (benchmark profile).
 * ari-client stays for the requests that are not on the call path (its Swagger-described API).
 * Emits 'connected' on every (re)connect of the events socket (the caller reconciles then) and
 * 'disconnected'; a socket that stops answering pings is dropped and made again.
 */
export class Ari extends EventEmitter {
  private client?: Client;
  private socket?: WebSocket;
  private stopped = false;
  private connectedNow = false;
  private outageCount = 0;
  private attempt = 0;

  private readonly stasisRoutes = new Map<string, (channel: AriChannel, args: string[]) => void>();
  /** Kept-alive connections for the requests of every call (see rest()). */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 10_000 });
  private readonly authorization: string;
  /** Where ARI's REST requests go (ARI_URL, parsed once): host, port and the base path before /ari. */
  private readonly base: { host: string; port: number; path: string };

  constructor(private readonly opts: AriOptions, private readonly log: Logger) {
    super();
    const u = new URL(opts.url);
    this.base = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), path: u.pathname.replace(/\/+$/, '') };
    this.authorization = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
    this.setMaxListeners(50);
    // The dialplan (or our originate) names the kind of channel in the first Stasis argument.
    this.on('ari:StasisStart', (e: AriEventOf<'StasisStart'>) => {
      const route = this.stasisRoutes.get(e.args[0]);
      if (route) return route(e.channel, e.args.slice(1));
      this.log.warn('unexpected channel in the ACD application', { channelId: e.channel.id, args: e.args });
      void this.hangupQuietly(e.channel.id);
    });
  }

  /** Channels entering Stasis with this first argument go to this handler, with the other arguments. */
  routeStasis(kind: string, handler: (channel: AriChannel, args: string[]) => void): void {
    this.stasisRoutes.set(kind, handler);
  }

  get connected(): boolean { return this.connectedNow; }
  /** How many times the connection has dropped: an offer made before a drop may have lost its answer with it. */
  get outages(): number { return this.outageCount; }

  onEvent<T extends AriEventType>(type: T, handler: (e: AriEventOf<T>) => void): void {
    this.on(`ari:${type}`, handler);
  }

  start(): void {
    void this.supervise();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
    this.agent.destroy();
  }

  private async supervise(): Promise<void> {
    while (!this.stopped) {
      try {
        // the Swagger client is made once and kept across reconnects; a failed connect makes it anew
        this.client ??= (await withoutSwaggerNotice(() => ariClient.connect(this.opts.url, this.opts.user, this.opts.password))) as unknown as Client;
        if (this.stopped) break;
        await this.listen();
        this.markDisconnected('events socket closed');
      } catch (err) {
        this.client = undefined;
        this.markDisconnected((err as Error).message);
      }
      if (this.stopped) break;
      // capped, jittered back-off: Asterisk may be restarting; never give up
      const delay = Math.min(5000, 200 * 2 ** Math.min(this.attempt++, 5)) * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** The events socket, for as long as it lasts: resolves when an open socket closes, rejects when it never opened. */
  private listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const url = `${this.opts.url.replace(/^http/, 'ws')}/ari/events?app=${encodeURIComponent(this.opts.app)}`;
      const ws = new WebSocket(url, { headers: { authorization: this.authorization }, perMessageDeflate: false, handshakeTimeout: REQUEST_TIMEOUT_MS });
      let opened = false;
      let answered = true;
      let failure: Error | undefined;
      let ping: NodeJS.Timeout | undefined;
      ws.on('open', () => {
        if (this.stopped) { ws.terminate(); return; }
        opened = true;
        this.socket = ws;
        ping = setInterval(() => {
          if (!answered) { ws.terminate(); return; }
          answered = false;
          ws.ping();
        }, PING_INTERVAL_MS);
        ping.unref();
        this.markConnected();
      });
      ws.on('pong', () => { answered = true; });
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (!isBinary) this.deliver(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
      });
      ws.on('error', (err) => { failure = err; });   // 'close' follows
      ws.on('close', () => {
        clearInterval(ping);
        if (this.socket === ws) this.socket = undefined;
        if (opened) resolve();
        else reject(failure ?? new Error('ARI events socket closed before it opened'));
      });
      if (this.stopped) ws.terminate();
    });
  }

  /** One event from the socket: parsed once, emitted as `ari:<type>` to every handler. */
  private deliver(data: Buffer): void {
    let event: AriEvent;
    try {
      event = JSON.parse(data.toString('utf8')) as AriEvent;
    } catch (err) {
      this.log.warn('unreadable ARI event', { error: (err as Error).message });
      return;
    }
    if (event.type === 'ApplicationReplaced') this.log.error('another controller took over the ARI application', { app: this.opts.app });
    try {
      this.emit(`ari:${event.type}`, event);
    } catch (err) {
      // a handler's bug must not take the socket (and every other event) down with it
      this.log.error('ARI event handler failed', { type: event.type, error: (err as Error).message, stack: (err as Error).stack });
    }
  }

  private markConnected(): void {
    this.attempt = 0;
    this.connectedNow = true;
    this.log.info('ARI connected', { url: this.opts.url, app: this.opts.app });
    this.emit('connected');
  }

  private markDisconnected(why: string): void {
    if (this.connectedNow) this.outageCount++;
    if (this.connectedNow) this.log.warn('ARI disconnected', { why });
    else this.log.debug('ARI not reachable', { why });
    this.connectedNow = false;
    this.emit('disconnected');
  }

  private api(): Client {
    if (!this.client || !this.connectedNow) throw new AriUnavailable('ARI is not connected');
    return this.client;
  }

  /**
   * Every REST request has a deadline: a request whose connection died mid-flight can otherwise stay
   * pending forever, and with it the handlers of its call (they run one at a time).
   */
  private async call<T>(fn: (c: Record<string, Record<string, (a?: unknown) => Promise<unknown>>>) => Promise<unknown>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AriUnavailable(`ARI request timed out after ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    });
    try {
      return (await Promise.race([fn(this.api() as never), deadline])) as T;
    } catch (err) {
      throw classify(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The requests every call makes (answer, music, originate, bridge, hang-up...) go straight over
   * HTTP on kept-alive connections: through ari-client's swagger client they cost the controller
   * about a third of its CPU per call (benchmark profile). Same deadline and errors as call().
   */
  private rest<T = void>(method: 'GET' | 'POST' | 'DELETE', path: string, query: Record<string, string | number | undefined> = {}, body?: object): Promise<T> {
    this.api();   // throws AriUnavailable when not connected, like every other request
    const qs = Object.entries(query).filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    // plain request options, no URL object per request: Node would parse it and convert it back
    const target = `${this.base.path}/ari${path}${qs ? `?${qs}` : ''}`;
    return this.send<T>(method, path, target, true, body === undefined ? undefined : JSON.stringify(body));
  }

  private send<T>(method: string, path: string, target: string, mayRetry: boolean, body?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = body === undefined
        ? { authorization: this.authorization }
        : { authorization: this.authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = http.request({ host: this.base.host, port: this.base.port, path: target, method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
          const status = res.statusCode ?? 0;
          if (status < 300) return resolve(body as T);
          const message = `ARI ${method} ${path}: ${status} ${(body as { message?: string })?.message ?? text}`;
          reject(status === 404 ? new AriGone(message) : new Error(message));
        });
        res.on('error', (err) => { clearTimeout(timer); reject(new AriUnavailable(err.message)); });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new AriUnavailable(`ARI request timed out after ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Asterisk closed an idle kept-alive connection as we reused it: the request never reached
        // it, so sending it again on a fresh connection is safe (Node's documented pattern)
        if (mayRetry && req.reusedSocket && err.code === 'ECONNRESET') return resolve(this.send<T>(method, path, target, false, body));
        reject(new AriUnavailable(`ARI ${method} ${path}: ${err.message}`));
      });
      req.end(body);
    });
  }

  // --- channels ------------------------------------------------------------------------------
  answer(channelId: string) { return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/answer`); }
  hangup(channelId: string, reason = 'normal') { return this.rest('DELETE', `/channels/${encodeURIComponent(channelId)}`, { reason }); }
  startMoh(channelId: string, mohClass: string) { return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/moh`, { mohClass }); }
  stopMoh(channelId: string) { return this.rest('DELETE', `/channels/${encodeURIComponent(channelId)}/moh`); }
  /** Ringback to an unanswered caller (a queue that rings instead of playing music). */
  ring(channelId: string) { return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/ring`); }
  listChannels() { return this.call<AriChannel[]>((c) => c.channels.list()); }
  getChannel(channelId: string) { return this.call<AriChannel>((c) => c.channels.get({ channelId })); }

  originate(o: OriginateRequest) {
    return this.rest<AriChannel>('POST', `/channels/${encodeURIComponent(o.channelId)}`, {
      endpoint: o.endpoint, app: o.app, appArgs: o.appArgs, callerId: o.callerId, timeout: o.timeoutSec, originator: o.originator,
    }, o.variables && Object.keys(o.variables).length ? { variables: o.variables } : undefined);
  }

  play(channelId: string, playbackId: string, media: string[]) {
    return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/play/${encodeURIComponent(playbackId)}`, { media: media.join(',') });
  }
  stopPlayback(playbackId: string) { return this.rest('DELETE', `/playbacks/${encodeURIComponent(playbackId)}`); }
  record(channelId: string, o: { name: string; maxDurationSeconds: number; maxSilenceSeconds: number; terminateOn: string }) {
    return this.call<void>((c) => c.channels.record({
      channelId, name: o.name, format: 'wav', maxDurationSeconds: o.maxDurationSeconds, maxSilenceSeconds: o.maxSilenceSeconds,
      beep: true, terminateOn: o.terminateOn, ifExists: 'overwrite',
    }));
  }
  storedRecording(name: string) { return this.call<{ name: string; format: string }>((c) => c.recordings.getStored({ recordingName: name })); }
  storedRecordingFile(name: string) { return this.call<Buffer>((c) => c.recordings.getStoredFile({ recordingName: name })); }
  deleteStoredRecording(name: string) { return this.call<void>((c) => c.recordings.deleteStored({ recordingName: name })); }
  /** The stored file as a stream: a long call's WAV is tens of MB, not to be held in memory. */
  async storedRecordingStream(name: string): Promise<{ body: ReadableStream<Uint8Array>; length?: number }> {
    this.api();   // throws when not connected, like every other call
    // the deadline covers the answer, not the transfer of the file
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    let res: Response;
    try {
      // '/' in a name must be %2F: Asterisk decodes path segments after splitting them
      res = await fetch(`${this.opts.url}/ari/recordings/stored/${encodeURIComponent(name)}/file`, {
        headers: { authorization: this.authorization }, signal: abort.signal,
      });
    } catch (err) {
      throw new AriUnavailable(`ARI GET stored recording ${name}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404) throw new AriGone(`stored recording ${name} not found`);
    if (!res.ok || !res.body) throw new Error(`ARI GET stored recording ${name}: ${res.status}`);
    const length = Number(res.headers.get('content-length'));
    return { body: res.body, length: length > 0 ? length : undefined };
  }
  /** Record the mixed audio of a bridge (every party) into <spool>/recording/<name>.wav. */
  recordBridge(bridgeId: string, name: string) {
    return this.call<void>((c) => c.bridges.record({ bridgeId, name, format: 'wav', ifExists: 'fail' }));
  }
  /** Mute writes silence (the file keeps its timeline); pause would cut the time out. */
  muteRecording(name: string) { return this.call<void>((c) => c.recordings.mute({ recordingName: name })); }
  unmuteRecording(name: string) { return this.call<void>((c) => c.recordings.unmute({ recordingName: name })); }
  stopRecording(name: string) { return this.call<void>((c) => c.recordings.stop({ recordingName: name })); }

  /** A Snoop channel on `channelId`: spy hears its audio, whisper speaks into it ('in' from it, 'out' to it). */
  snoop(channelId: string, snoopId: string, o: { spy: 'none' | 'in' | 'out' | 'both'; whisper: 'none' | 'in' | 'out' | 'both'; app: string; appArgs: string }) {
    return this.call<AriChannel>((c) => c.channels.snoopChannelWithId({ channelId, snoopId, spy: o.spy, whisper: o.whisper, app: o.app, appArgs: o.appArgs }));
  }
  /** Mute the audio a channel sends ('in') or receives ('out'). */
  mute(channelId: string, direction: 'in' | 'out' | 'both') { return this.call<void>((c) => c.channels.mute({ channelId, direction })); }
  unmute(channelId: string, direction: 'in' | 'out' | 'both') { return this.call<void>((c) => c.channels.unmute({ channelId, direction })); }

  sendDtmf(channelId: string, dtmf: string) { return this.call<void>((c) => c.channels.sendDTMF({ channelId, dtmf, between: 100, duration: 120 })); }
  /** Leave Stasis for a dialplan location (a transfer out of the ACD). */
  continueInDialplan(channelId: string, context: string, extension: string) {
    return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/continue`, { context, extension, priority: 1 });
  }

  setVar(channelId: string, variable: string, value: string) { return this.rest('POST', `/channels/${encodeURIComponent(channelId)}/variable`, { variable, value }); }
  /** Tell a phone how the transfer it asked for (REFER) went: channel_answered, channel_declined, ... */
  transferProgress(channelId: string, states: string) { return this.call<void>((c) => c.channels.transfer_progress({ channelId, states })); }

  /** Hang up a channel that may already be gone: the usual case at the end of a call. */
  async hangupQuietly(channelId: string | undefined, reason = 'normal'): Promise<void> {
    if (!channelId) return;
    try { await this.hangup(channelId, reason); } catch (err) {
      if (!(err instanceof AriGone)) this.log.warn('hangup failed', { channelId, error: (err as Error).message });
    }
  }

  // --- bridges -------------------------------------------------------------------------------
  createBridge(bridgeId: string, type: string) { return this.rest<AriBridge>('POST', `/bridges/${encodeURIComponent(bridgeId)}`, { type }); }
  addChannels(bridgeId: string, channelIds: string[]) { return this.rest('POST', `/bridges/${encodeURIComponent(bridgeId)}/addChannel`, { channel: channelIds.join(',') }); }
  removeChannel(bridgeId: string, channelId: string) { return this.rest('POST', `/bridges/${encodeURIComponent(bridgeId)}/removeChannel`, { channel: channelId }); }
  destroyBridge(bridgeId: string) { return this.rest('DELETE', `/bridges/${encodeURIComponent(bridgeId)}`); }
  listBridges() { return this.call<AriBridge[]>((c) => c.bridges.list()); }
  /** Play into a bridge: every party in it hears the media. */
  playOnBridge(bridgeId: string, playbackId: string, media: string[]) {
    return this.call<void>((c) => c.bridges.playWithId({ bridgeId, playbackId, media: media.join(',') }));
  }

  // --- applications, endpoints, push configuration -------------------------------------------
  application(name: string) { return this.call<{ channel_ids: string[]; bridge_ids: string[] }>((c) => c.applications.get({ applicationName: name })); }
  /**
   * Only these event types reach the application: Asterisk otherwise sends some 50 events per call
   * (most are ChannelVarset we never read), and a backlog in the application's queue can trip
   * Asterisk's task processor overload.
   */
  allowEvents(app: string, types: readonly string[]) {
    return this.call<void>((c) => c.applications.filter({ applicationName: app, filter: { allowed: types.map((type) => ({ type })) } }));
  }

  /** Subscribe the application to more events: endpoint:PJSIP (all PJSIP endpoints), deviceState:PJSIP/x. */
  subscribe(app: string, eventSource: string) { return this.call<void>((c) => c.applications.subscribe({ applicationName: app, eventSource })); }
  endpoint(tech: string, resource: string) { return this.call<{ state: string; channel_ids: string[] }>((c) => c.endpoints.get({ tech, resource })); }
  putPjsip(objectType: 'endpoint' | 'aor' | 'auth', id: string, fields: PjsipFields) {
    return this.call<PjsipFields>((c) => c.asterisk.updateObject({ configClass: 'res_pjsip', objectType, id, fields }));
  }
  getPjsip(objectType: 'endpoint' | 'aor' | 'auth', id: string) {
    return this.call<PjsipFields>((c) => c.asterisk.getObject({ configClass: 'res_pjsip', objectType, id }));
  }
  deletePjsip(objectType: 'endpoint' | 'aor' | 'auth', id: string) {
    return this.call<void>((c) => c.asterisk.deleteObject({ configClass: 'res_pjsip', objectType, id }));
  }
}
