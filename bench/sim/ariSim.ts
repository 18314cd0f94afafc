// A simulated Asterisk for the scale benchmark: it speaks ARI (REST and the application's event
// WebSocket) well enough for the controller's call path, and answers at once. No media, no SIP:
// what the machine's media and SIP limits would cap (a few hundred calls) does not cap the work,
// so the controller and Redis can be driven with thousands of agents and tens of thousands of
// waiting callers.
//
// The Swagger documents ari-client loads on connect are Asterisk's own (rest-api/*.json of the
// Asterisk build the tests use), served with our address as their base path: the client builds
// exactly the requests it builds against a real Asterisk.
//
// What it models: channels (callers entering Stasis as the dialplan sends them, agent legs the
// controller originates), bridges, music on hold / ringing / variables (accepted), playbacks
// (started and finished at once), endpoints (always online), the dynamic res_pjsip objects the
// controller pushes for the agents' phones, and the application's event filter and subscriptions.
// Anything else is answered 501 and counted (`unsupported`), so a gap shows in the results.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';

export interface SimChannel {
  id: string;
  name: string;
  state: 'Ring' | 'Up';
  caller: { name: string; number: string };
  connected: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number };
  creationtime: string;
  /** Set for legs the controller originated to PJSIP/<agent>. */
  agentId?: string;
  /** The Stasis arguments the channel enters (or will enter) the application with. */
  args: string[];
  inStasis: boolean;
  bridgeId?: string;
}

/** Where the Swagger documents are: the Asterisk build the tests run (rest-api/ of its share dir). */
export function restApiDir(): string {
  const candidates = [
    process.env.ACD_ARI_DOCS_DIR,
    path.join(os.homedir(), '.cache/acd/asterisk-22-sid/usr/share/asterisk/rest-api'),
    '/usr/share/asterisk/rest-api',
  ].filter((d): d is string => !!d);
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'resources.json')));
  if (!dir) throw new Error(`no ARI Swagger documents (rest-api/resources.json) in ${candidates.join(', ')}: build the test Asterisk first (scripts/install-host.sh)`);
  return dir;
}

/**
 * Events: 'originate' (channel, at: ms) when the controller rings an agent; 'hangup' (channel) when
 * the controller hangs a channel up; 'gone' (channel) when any channel ends; 'bridged' (channel)
 * when a channel joins a bridge; 'moh' (channel) when a channel gets music on hold.
 */
export class AriSim extends EventEmitter {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, Set<string>>();
  readonly pjsip = new Map<string, { attribute: string; value: string }[]>();
  /** Requests answered 501, by method and route: what the simulation does not model. */
  readonly unsupported = new Map<string, number>();
  requests = 0;
  /** Requests so far by method and route (ids as {id}), and events sent by type: what a call costs in ARI traffic. */
  readonly requestsByRoute = new Map<string, number>();
  readonly eventsByType = new Map<string, number>();
  /** Agents' PJSIP endpoints pushed so far. */
  endpoints = 0;
  private readonly docs = new Map<string, string>();
  private readonly sockets = new Set<WebSocket>();
  private server?: http.Server;
  private wss?: WebSocketServer;
  private callerSeq = 0;
  port = 0;

  constructor(private readonly app = 'acd') { super(); this.setMaxListeners(0); }

  async start(port = 0): Promise<number> {
    const dir = restApiDir();
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/ari/events')) { socket.destroy(); return; }
      this.wss!.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('error', () => this.sockets.delete(ws));
        this.emit('connected');
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    const base = `http://127.0.0.1:${this.port}/ari`;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { basePath?: string };
      doc.basePath = base;
      this.docs.set(f, JSON.stringify(doc));
    }
    return this.port;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
  }

  get clients(): number { return this.sockets.size; }

  // --- what the "phones" and the "dialplan" do ---------------------------------------------------

  /** A caller dials a queue's extension: the dialplan's Stasis(acd,inbound,EXTEN,PRIORITY,SKILLS). */
  newCaller(extension: string, skills = '', priority = ''): SimChannel {
    const n = ++this.callerSeq;
    const ch = this.channel(`sim-caller-${n}`, `PJSIP/pstn-${n.toString(16).padStart(8, '0')}`, `555${String(n).padStart(7, '0')}`, extension);
    ch.args = ['inbound', extension, priority, skills];
    this.channels.set(ch.id, ch);
    this.enterStasis(ch);
    return ch;
  }

  /** An agent's phone answers the leg the controller originated: it enters Stasis with its arguments. */
  answer(channelId: string): void {
    const ch = this.channels.get(channelId);
    if (!ch || ch.inStasis) return;
    ch.state = 'Up';
    this.enterStasis(ch);
  }

  /** A phone hangs up (the agent, or the caller): StasisEnd and ChannelDestroyed, as Asterisk sends them. */
  hangupFromPhone(channelId: string, cause = 16): void {
    const ch = this.channels.get(channelId);
    if (ch) this.destroy(ch, cause);
  }

  // --- events ------------------------------------------------------------------------------------

  private send(event: Record<string, unknown>): void {
    this.eventsByType.set(String(event.type), (this.eventsByType.get(String(event.type)) ?? 0) + 1);
    const text = JSON.stringify({ ...event, application: this.app, timestamp: new Date().toISOString(), asterisk_id: 'sim' });
    for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  private enterStasis(ch: SimChannel): void {
    ch.inStasis = true;
    this.send({ type: 'StasisStart', channel: this.json(ch), args: ch.args });
  }

  private destroy(ch: SimChannel, cause: number): void {
    this.channels.delete(ch.id);
    this.emit('gone', ch);
    if (ch.bridgeId) this.bridges.get(ch.bridgeId)?.delete(ch.id);
    if (ch.inStasis) this.send({ type: 'StasisEnd', channel: this.json(ch) });
    this.send({ type: 'ChannelDestroyed', channel: this.json(ch), cause, cause_txt: cause === 16 ? 'Normal Clearing' : 'Unknown' });
  }

  private channel(id: string, name: string, number: string, exten: string): SimChannel {
    return {
      id, name, state: 'Ring', caller: { name: '', number }, connected: { name: '', number: '' },
      dialplan: { context: 'acd-inbound', exten, priority: 1 }, creationtime: new Date().toISOString(), args: [], inStasis: false,
    };
  }

  private json(ch: SimChannel): Record<string, unknown> {
    return {
      id: ch.id, name: ch.name, state: ch.state, caller: ch.caller, connected: ch.connected, accountcode: '',
      dialplan: { ...ch.dialplan, app_name: ch.inStasis ? 'Stasis' : '', app_data: '' }, creationtime: ch.creationtime, language: 'en',
    };
  }

  // --- REST --------------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests++;
      const url = new URL(req.url ?? '/', 'http://sim');
      const route = `${req.method} ${url.pathname.replace(/^\/ari/, '').split('/').map((x, i) => (i % 2 === 0 && i > 0 ? '{id}' : x)).join('/')}`;
      this.requestsByRoute.set(route, (this.requestsByRoute.get(route) ?? 0) + 1);
      let body: Record<string, unknown> = {};
      if (chunks.length) { try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>; } catch { /* not JSON */ } }
      const [status, out] = this.route(req.method ?? 'GET', url.pathname.replace(/^\/ari/, '').split('/').slice(1).map(decodeURIComponent), url.searchParams, body);
      if (out === undefined) { res.writeHead(status); res.end(); return; }
      const text = typeof out === 'string' ? out : JSON.stringify(out);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  private route(method: string, p: string[], q: URLSearchParams, body: Record<string, unknown>): [number, unknown] {
    const gone: [number, unknown] = [404, { message: 'Channel not found' }];
    const ok: [number, unknown] = [204, undefined];
    const [res, id, sub, sub2] = p;
    if (res === 'api-docs') {
      const doc = this.docs.get(id ?? '');
      return doc ? [200, doc] : [404, { message: 'Resource not found' }];
    }
    if (res === 'applications' && id) {
      const app = { name: id, channel_ids: [...this.channels.values()].filter((c) => c.inStasis).map((c) => c.id), bridge_ids: [...this.bridges.keys()], endpoint_ids: [], device_names: [], events_allowed: [], events_disallowed: [] };
      if (method === 'GET' && !sub) return [200, app];
      if (method === 'PUT' && sub === 'eventFilter') return [200, app];
      if (method === 'POST' && sub === 'subscription') return [200, app];
    }
    if (res === 'channels') {
      if (method === 'GET' && !id) return [200, [...this.channels.values()].map((c) => this.json(c))];
      const ch = id ? this.channels.get(id) : undefined;
      if (method === 'GET' && id && !sub) return ch ? [200, this.json(ch)] : gone;
      if (method === 'POST' && id && !sub) return this.originate(id, q);
      if (!ch) return gone;
      if (method === 'DELETE' && !sub) { this.destroy(ch, 16); this.emit('hangup', ch); return ok; }
      if (method === 'POST' && sub === 'answer') { ch.state = 'Up'; return ok; }
      if (method === 'POST' && sub === 'moh') { this.emit('moh', ch); return ok; }
      if ((method === 'POST' || method === 'DELETE') && (sub === 'moh' || sub === 'ring' || sub === 'hold' || sub === 'silence')) return ok;
      if (method === 'POST' && sub === 'variable') return ok;
      if (method === 'POST' && sub === 'continue') { ch.inStasis = false; this.send({ type: 'StasisEnd', channel: this.json(ch) }); return ok; }
      if (method === 'POST' && sub === 'play') return this.play(sub2 ?? `pb-${Date.now()}`, `channel:${ch.id}`, q);
    }
    if (res === 'playbacks' && id && method === 'DELETE') return ok;
    if (res === 'bridges') {
      if (method === 'GET' && !id) return [200, [...this.bridges.entries()].map(([b, chs]) => ({ id: b, bridge_type: 'mixing', technology: 'simple_bridge', channels: [...chs] }))];
      if (method === 'POST' && id && !sub) {
        if (!this.bridges.has(id)) this.bridges.set(id, new Set());
        return [200, { id, bridge_type: q.get('type') ?? 'mixing', technology: 'simple_bridge', channels: [...this.bridges.get(id)!] }];
      }
      const bridge = id ? this.bridges.get(id) : undefined;
      if (!bridge) return [404, { message: 'Bridge not found' }];
      if (method === 'DELETE' && !sub) { for (const c of bridge) { const ch = this.channels.get(c); if (ch) ch.bridgeId = undefined; } this.bridges.delete(id); return ok; }
      if (method === 'POST' && (sub === 'addChannel' || sub === 'removeChannel')) {
        const ids = (q.get('channel') ?? '').split(',').filter(Boolean);
        const chs = ids.map((c) => this.channels.get(c));
        if (chs.some((c) => !c)) return [422, { message: 'Channel not found' }];
        for (const ch of chs as SimChannel[]) {
          if (sub === 'addChannel') { bridge.add(ch.id); ch.bridgeId = id; this.emit('bridged', ch); } else { bridge.delete(ch.id); ch.bridgeId = undefined; }
        }
        return ok;
      }
      if (method === 'POST' && sub === 'play') return this.play(sub2 ?? q.get('playbackId') ?? `pb-${Date.now()}`, `bridge:${id}`, q);
    }
    if (res === 'endpoints' && id && sub && method === 'GET') {
      const known = this.pjsip.has(`endpoint/${sub}`);
      return known ? [200, { technology: id, resource: sub, state: 'online', channel_ids: [] }] : [404, { message: 'Endpoint not found' }];
    }
    if (res === 'asterisk' && id === 'config' && sub === 'dynamic' && p[3] === 'res_pjsip' && p[4] && p[5]) {
      const key = `${p[4]}/${p[5]}`;
      if (method === 'GET') return this.pjsip.has(key) ? [200, this.pjsip.get(key)] : [404, { message: 'Object not found' }];
      if (method === 'PUT') {
        const fields = (body.fields ?? []) as { attribute: string; value: string }[];
        if (p[4] === 'endpoint' && !this.pjsip.has(key)) this.endpoints++;
        this.pjsip.set(key, fields);
        return [200, fields];
      }
      if (method === 'DELETE') {
        if (!this.pjsip.delete(key)) return [404, { message: 'Object not found' }];
        if (p[4] === 'endpoint') this.endpoints--;
        return ok;
      }
    }
    const what = `${method} /${p.map((x, i) => (i % 2 === 1 ? '{id}' : x)).join('/')}`;
    this.unsupported.set(what, (this.unsupported.get(what) ?? 0) + 1);
    return [501, { message: `not simulated: ${what}` }];
  }

  /** POST /channels/{id}: the controller rings an agent. The phone answers when the bench says so. */
  private originate(id: string, q: URLSearchParams): [number, unknown] {
    const endpoint = q.get('endpoint') ?? '';
    const agentId = /^PJSIP\/(.+)$/.exec(endpoint)?.[1];
    if (!agentId || !this.pjsip.has(`endpoint/${agentId}`)) return [400, { message: 'Endpoint not found' }];
    if (this.channels.has(id)) return [409, { message: 'Channel with given unique ID already exists' }];
    const ch = this.channel(id, `PJSIP/${agentId}-${id.slice(-8)}`, agentId, '');
    ch.agentId = agentId;
    ch.args = (q.get('appArgs') ?? '').split(',');
    const caller = /<(.*)>/.exec(q.get('callerId') ?? '')?.[1] ?? '';
    ch.connected = { name: '', number: caller };
    this.channels.set(id, ch);
    this.emit('originate', ch, performance.now());
    return [200, this.json(ch)];
  }

  private play(playbackId: string, target: string, q: URLSearchParams): [number, unknown] {
    const playback = { id: playbackId, media_uri: q.get('media') ?? '', target_uri: target, state: 'playing', language: 'en' };
    // no media: the prompt starts and is over at once
    setImmediate(() => {
      this.send({ type: 'PlaybackStarted', playback });
      this.send({ type: 'PlaybackFinished', playback: { ...playback, state: 'done' } });
    });
    return [201, playback];
  }
}
