import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import YAML from 'yaml';
import { TEST_ENV, uniquePrefix } from '../../support/env';
import { ariApplicationsAnswer, restartAsterisk } from './asterisk';

const MAIN = path.resolve(__dirname, '../../../src/main.js');
export const ADMIN_TOKEN = 'e2e-admin-token-0000000001';
export const SUPERVISOR_TOKEN = 'e2e-supervisor-token-00001';
/**
 * Clips go where the run's chrooted Asterisk plays them from. The root is the same for every
 * instance, so each instance (each test shard, each checkout) gets its own folder: a test that
 * checks no file was written must not see another shard's clips come and go.
 */
const CLIPS_MEDIA_DIR = `/var/lib/asterisk/sounds/acd-clips/${TEST_ENV.instance}`;
export const CLIPS_DIR = path.join(
  execFileSync('bash', [path.resolve(__dirname, '../../../../scripts/asterisk.sh'), 'root'], { encoding: 'utf8' }).trim(), CLIPS_MEDIA_DIR);
// the controller makes it on its first clip; a test may list it before that
fs.mkdirSync(CLIPS_DIR, { recursive: true });

export interface ApiResponse<T = any> { status: number; body: T }

/**
 * A real controller process (dist/src/main.js) against the run's Asterisk and Redis. Tests drive it
 * only as clients do: REST, the WebSocket event stream, and SIP calls into Asterisk.
 */
export class Controller {
  private proc?: ChildProcess;
  private extraEnv: Record<string, string> = {};
  private output = '';
  readonly api: string;

  private constructor(readonly prefix: string, readonly configFile: string, readonly httpPort: number) {
    this.api = `http://127.0.0.1:${httpPort}/api/v1`;
  }

  static async start(opts: { name: string; config: object; httpPort: number; offerGraceMs?: number; env?: Record<string, string> }): Promise<Controller> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acd-e2e-'));
    const configFile = path.join(dir, 'acd.yaml');
    fs.writeFileSync(configFile, YAML.stringify(opts.config));
    const c = new Controller(uniquePrefix(opts.name), configFile, opts.httpPort);
    c.extraEnv = opts.env ?? {};
    await c.launch(opts.offerGraceMs);
    return c;
  }

  /** A second controller process on the same Redis state (prefix) and config: another node of one deployment. */
  static async alongside(other: Controller, httpPort: number, env: Record<string, string> = {}): Promise<Controller> {
    const c = new Controller(other.prefix, other.configFile, httpPort);
    c.extraEnv = { ...other.extraEnv, ACD_NODE_ID: `second-${httpPort}`, ...env };
    await c.launch();
    return c;
  }

  /** Start (or restart, after kill) the process with the same prefix and config: same Redis state. */
  async launch(offerGraceMs = 3000, afterAsteriskRestart = false): Promise<void> {
    this.output = '';
    this.proc = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        ARI_URL: `http://127.0.0.1:${TEST_ENV.ariPort}`,
        ARI_PASSWORD: TEST_ENV.ariPassword,
        REDIS_URL: TEST_ENV.redisUrl,
        ACD_CONFIG: this.configFile,
        ACD_KEY_PREFIX: this.prefix,
        ACD_HTTP_PORT: String(this.httpPort),
        ACD_ADMIN_TOKEN: ADMIN_TOKEN,
        ACD_OFFER_GRACE_MS: String(offerGraceMs),
        ACD_CLIPS_DIR: CLIPS_DIR,
        ACD_CLIPS_MEDIA_DIR: CLIPS_MEDIA_DIR,
        LOG_LEVEL: 'debug',
        ...this.extraEnv,
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (d) => { this.output += d; });
    this.proc.stderr?.on('data', (d) => { this.output += d; });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`controller exited: ${this.output}`);
      const h = await fetch(`${this.api}/health`).then((r) => r.status, () => 0);
      if (h === 200) return;
      await sleep(100);
    }
    // never leave it running: a stray controller would keep taking the ARI application from the next ones
    const output = this.output;
    await this.kill();
    if (!afterAsteriskRestart && !(await ariApplicationsAnswer())) {
      process.stderr.write('[e2e] Asterisk\'s ARI application registry does not answer: restarting Asterisk once\n');
      restartAsterisk();
      return this.launch(offerGraceMs, true);
    }
    throw new Error(`controller not healthy within 20 s:\n${output}`);
  }

  /** kill -9: no shutdown code runs, as when a machine dies. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  logs(): string { return this.output; }

  /** For a failed test: the whole log into a file (named in the output), its tail on stderr. */
  dumpLogs(title: string): void {
    const file = path.join(os.tmpdir(), `acd-failed-${title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.log`);
    fs.writeFileSync(file, this.output);
    process.stderr.write(`${this.output.split('\n').slice(-30).join('\n')}\n(full controller log: ${file})\n`);
  }

  async request<T = any>(method: string, route: string, body?: unknown, token: string | null = ADMIN_TOKEN, rawBody?: string): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.api}${route}`, { method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Like request, but the status must be 2xx. */
  async ok<T = any>(method: string, route: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<T> {
    const r = await this.request<T>(method, route, body, token);
    if (r.status >= 300) throw new Error(`${method} ${route} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async agentState(id: string): Promise<{ state: string; reason: string | null; callsToday: number }> {
    return (await this.ok('GET', `/agents/${id}`)).state;
  }

  events(token = ADMIN_TOKEN, options: WebSocket.ClientOptions = {}): Promise<EventLog> {
    return EventLog.open(`${this.api.replace(/^http/, 'ws')}/events`, token, options);
  }
}

export interface AcdEventMsg { type: string; at: string; [k: string]: any }

/** Everything the WebSocket delivered, and a way to wait for a particular event. */
export class EventLog {
  readonly all: AcdEventMsg[] = [];
  private waiters: { pred: (e: AcdEventMsg) => boolean; resolve: (e: AcdEventMsg) => void }[] = [];

  /** When and how the server closed the socket (code 4001: its credential was revoked). */
  readonly closed: Promise<{ code: number; reason: string; at: number }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason), at: Date.now() })));
    ws.on('message', (d) => {
      const e = JSON.parse(String(d)) as AcdEventMsg;
      this.all.push(e);
      this.waiters = this.waiters.filter((w) => { if (w.pred(e)) { w.resolve(e); return false; } return true; });
    });
  }

  static open(url: string, token: string, options: WebSocket.ClientOptions = {}): Promise<EventLog> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { ...options, headers: { authorization: `Bearer ${token}` } });
      ws.once('open', () => resolve(new EventLog(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: ${res.statusCode}`)));
    });
  }

  /** State-change events only: without the metrics pushes (metrics.*), which are views, not changes. */
  get changes(): AcdEventMsg[] { return this.all.filter((e) => !e.type.startsWith('metrics.')); }

  /** The first event (already seen or still to come) matching, within the time limit. */
  waitFor(pred: (e: AcdEventMsg) => boolean, timeoutMs = 15_000, what = 'event'): Promise<AcdEventMsg> {
    const seen = this.all.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; got: ${this.all.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }

  close(): void { this.ws.close(); }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value (for state that has no event of its own); `what` may be computed at the failure. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what: string | (() => string) = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`${typeof what === 'function' ? what() : what} not reached within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}
