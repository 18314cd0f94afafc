// npm run bench -- --web: the web app's budgets, measured and reported (never asserted in tests):
//  - the built app's JavaScript, gzipped (budget 300 KB);
//  - sign-in to a live agent dashboard in headless Chromium (budget 1 s);
//  - a supervisor page (Agents tab) with 200 agents in 50 queues while 100 agent state changes a
//    second arrive: event-to-screen latency (budget p99 100 ms).
// The controller runs against its own Redis with ARI pointed at a closed port: no call is made, and
// none of the measured paths (REST, Redis transitions, the event stream, the page) involves Asterisk.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import YAML from 'yaml';
import { REPO, sleep } from './environment';
import { summarize, Summary } from './stats';

const RESULTS = path.join(REPO, 'bench/results');
const REDIS_PORT = Number(process.env.BENCH_WEB_REDIS_PORT ?? 6393);
const ADMIN = 'bench-web-admin-token-00001';
const log = (line: string) => process.stdout.write(`[bench:web] ${line}\n`);
const QUEUES = 50;
const AGENTS = 200;
const RATE = 100;          // agent state changes per second
const LOAD_SEC = 20;
const SIGN_INS = 10;

interface WebResults {
  startedAt: string; machine: string;
  bundle: { files: { name: string; bytes: number; gzipBytes: number }[]; jsGzipBytes: number; budgetBytes: number; met: boolean };
  signIn: { samples: number[]; summary: Summary | null; budgetMs: number; met: boolean;
    /** of which POST /sessions (the scrypt check of the password is most of it) */
    api: Summary | null };
  supervisor: { queues: number; agents: number; ratePerSec: number; seconds: number; sent: number; seen: number; summary: Summary | null; budgetP99Ms: number; met: boolean;
    /** the same events at a plain WebSocket client in the bench process: the controller's share of the latency */
    wsClient: Summary | null };
}

export async function runWebBench(): Promise<void> {
  const startedAt = new Date().toISOString();
  const bundle = measureBundle();
  log(`JavaScript gzipped: ${(bundle.jsGzipBytes / 1024).toFixed(1)} KB`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acd-bench-web-'));
  const redisEnv = { ...process.env, ACD_REDIS_PORT: String(REDIS_PORT) };
  execFileSync('bash', [path.join(REPO, 'scripts/redis.sh'), 'start'], { env: redisEnv, stdio: 'inherit' });
  let ctl: ChildProcess | undefined;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const { proc, origin } = await startController(workDir);
    ctl = proc;
    const api = async (method: string, route: string, body?: unknown) => {
      const r = await fetch(`${origin}/api/v1${route}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? undefined : r.json();
    };
    for (let i = 0; i < AGENTS; i++) await api('POST', `/agents/ag${i}/login`);
    log(`${AGENTS} agents logged in to ${QUEUES} queues`);

    const signIn = await measureSignIn(browser, origin);
    log(`sign-in to live agent dashboard: p50 ${signIn.summary?.p50} ms, max ${signIn.summary?.max} ms (POST /sessions p50 ${signIn.api?.p50} ms)`);
    const supervisor = await measureSupervisor(browser, origin, api);
    log(`supervisor page, ${supervisor.sent} events at ${RATE}/s: event-to-screen p50 ${supervisor.summary?.p50} / p99 ${supervisor.summary?.p99} / max ${supervisor.summary?.max} ms; at a plain WebSocket client p50 ${supervisor.wsClient?.p50} / p99 ${supervisor.wsClient?.p99} ms`);

    const r: WebResults = { startedAt, machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`, bundle, signIn, supervisor };
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'web.json'), `${JSON.stringify(r, null, 2)}\n`);
    fs.writeFileSync(path.join(RESULTS, 'web.md'), report(r));
    process.stdout.write(`\n${report(r)}\nwritten: bench/results/web.md, bench/results/web.json\n`);
  } finally {
    await browser.close().catch(() => undefined);
    if (ctl && ctl.exitCode === null) { ctl.kill('SIGTERM'); await new Promise((res) => ctl!.once('exit', res)); }
    try { execFileSync('bash', [path.join(REPO, 'scripts/redis.sh'), 'stop'], { env: redisEnv, stdio: 'ignore' }); } catch { /* best effort */ }
  }
}

function measureBundle(): WebResults['bundle'] {
  const dir = path.join(REPO, 'dist/web/assets');
  if (!fs.existsSync(dir)) throw new Error('dist/web is not built (npm run build)');
  const files = fs.readdirSync(dir).map((name) => {
    const buf = fs.readFileSync(path.join(dir, name));
    return { name, bytes: buf.length, gzipBytes: zlib.gzipSync(buf, { level: 9 }).length };
  });
  const js = files.filter((f) => f.name.endsWith('.js')).reduce((n, f) => n + f.gzipBytes, 0);
  return { files, jsGzipBytes: js, budgetBytes: 300 * 1024, met: js < 300 * 1024 };
}

async function startController(workDir: string): Promise<{ proc: ChildProcess; origin: string }> {
  const queues = Array.from({ length: QUEUES }, (_, i) => ({ id: `q${i}`, name: `Queue ${i}`, extension: String(7000 + i) }));
  // each agent in three queues, so every state change moves the figures of three queues
  const agents = Array.from({ length: AGENTS }, (_, i) => ({
    id: `ag${i}`, name: `Agent ${i}`, queues: [0, 17, 33].map((k) => `q${(i + k) % QUEUES}`), phone: { mode: 'static', contact: `sip:ag${i}@127.0.0.1:5999` },
  }));
  const users = [
    { id: 'sup', name: 'Bench Supervisor', role: 'supervisor', supervisedQueues: queues.map((q) => q.id), password: 'bench-sup-pass-1' },
    { id: 'al', name: 'Bench Agent', role: 'agent', agentId: 'ag0', password: 'bench-agent-pass-1' },
  ];
  const configFile = path.join(workDir, 'acd.yaml');
  fs.writeFileSync(configFile, YAML.stringify({ queues, agents, users }));
  const port = await freePort();
  const closed = await freePort();
  const logFd = fs.openSync(path.join(workDir, 'controller.log'), 'w');
  const proc = spawn(process.execPath, [path.join(REPO, 'dist/src/main.js')], {
    env: {
      PATH: process.env.PATH, ARI_URL: `http://127.0.0.1:${closed}`, ARI_PASSWORD: 'none', REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
      ACD_CONFIG: configFile, ACD_KEY_PREFIX: `benchweb:${Date.now().toString(36)}:`, ACD_HTTP_PORT: String(port), ACD_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`controller exited; see ${workDir}/controller.log`);
    // /health answers 503 without Asterisk: any answer means the HTTP side is up
    if (await fetch(`${origin}/api/v1/health`).then(() => true, () => false)) return { proc, origin };
    await sleep(100);
  }
  throw new Error('controller did not start');
}

/** Click "Sign in" → the agent dashboard shows its queue figures with the event stream connected. */
async function measureSignIn(browser: import('playwright-core').Browser, origin: string): Promise<WebResults['signIn']> {
  const samples: number[] = [];
  const apiSamples: number[] = [];
  for (let i = 0; i < SIGN_INS + 1; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(origin);
    await page.getByLabel('User name').fill('al');
    await page.getByLabel('Password').fill('bench-agent-pass-1');
    const t0 = Date.now();
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/sessions')).then(() => Date.now() - t0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('queue-card-q0').getByTestId('waiting').getByText(/^\d+$/).waitFor({ timeout: 20_000 });
    await page.getByTestId('offline-banner').waitFor({ state: 'detached' });
    await page.getByTestId('my-queue-q0').getByRole('cell', { name: /ready|paused|logged out/ }).waitFor();
    const ms = Date.now() - t0;
    const apiMs = await answered;
    if (i > 0) { samples.push(ms); apiSamples.push(apiMs); }   // the first one warms the controller's and the browser's caches
    await ctx.close();
  }
  return { samples, summary: summarize(samples), budgetMs: 1000, met: (summarize(samples)?.max ?? Infinity) < 1000, api: summarize(apiSamples) };
}

async function measureSupervisor(browser: import('playwright-core').Browser, origin: string, api: (m: string, r: string, b?: unknown) => Promise<unknown>): Promise<WebResults['supervisor']> {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  await page.goto(origin);
  await page.getByLabel('User name').fill('sup');
  await page.getByLabel('Password').fill('bench-sup-pass-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('tab', { name: 'Agents' }).click();
  await page.getByTestId(`agent-row-ag${AGENTS - 1}`).waitFor({ timeout: 20_000 });
  // the page reports each batch of events at the frame that shows it (web/src/batch.ts)
  await page.evaluate(() => {
    const w = globalThis as unknown as { __acdBenchProbe: unknown; __acdLatencies: number[] };
    w.__acdLatencies = [];
    w.__acdBenchProbe = (batch: { type: string; at: string }[], at: number) => {
      for (const e of batch) if (e.type === 'agent.state') w.__acdLatencies.push(at - Date.parse(e.at));
    };
  });
  // the controller's share: the same events at a plain WebSocket client next to the browser
  const wsLatencies: number[] = [];
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
  ws.on('message', (d) => { const e = JSON.parse(String(d)); if (e.type === 'agent.state') wsLatencies.push(Date.now() - Date.parse(e.at)); });
  await new Promise((res) => ws.once('open', res));
  await sleep(500);
  let sent = 0;
  const paused = new Set<number>();
  const t0 = Date.now();
  const inFlight: Promise<unknown>[] = [];
  // paced by the clock, not by the answers: a slow answer does not slow the rate
  while (Date.now() - t0 < LOAD_SEC * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    while (sent < due) {
      const i = sent % AGENTS;
      const pause = !paused.has(i);
      if (pause) paused.add(i); else paused.delete(i);
      inFlight.push(api('POST', `/agents/ag${i}/${pause ? 'pause' : 'ready'}`, pause ? { reason: 'break' } : {}).catch(() => undefined));
      sent++;
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  await sleep(1500);
  const latencies = await page.evaluate(() => (globalThis as unknown as { __acdLatencies: number[] }).__acdLatencies);
  ws.close();
  await ctx.close();
  const summary = summarize(latencies);
  return { queues: QUEUES, agents: AGENTS, ratePerSec: RATE, seconds: LOAD_SEC, sent, seen: latencies.length, summary, budgetP99Ms: 100, met: (summary?.p99 ?? Infinity) < 100, wsClient: summarize(wsLatencies) };
}

function report(r: WebResults): string {
  const s = r.supervisor.summary;
  const si = r.signIn.summary;
  return [
    `Web app budgets (${r.startedAt}, ${r.machine}):`,
    '',
    '| | measured | budget |',
    '| --- | --- | --- |',
    `| JavaScript of the built app, gzipped | ${(r.bundle.jsGzipBytes / 1024).toFixed(1)} KB (${r.bundle.files.filter((f) => f.name.endsWith('.js')).length} file) | < 300 KB: ${r.bundle.met ? 'met' : 'not met'} |`,
    `| Sign-in click → live agent dashboard (figures shown, event stream connected), p50 / max of ${si?.n ?? 0} | ${si?.p50} / ${si?.max} ms | < 1 s: ${r.signIn.met ? 'met' : 'not met'} |`,
    `| of which POST /sessions answered (mostly the scrypt check), p50 / max | ${r.signIn.api?.p50} / ${r.signIn.api?.max} ms | |`,
    `| Supervisor page (Agents tab, ${r.supervisor.agents} agents, ${r.supervisor.queues} queues), ${r.supervisor.ratePerSec} agent state changes/s for ${r.supervisor.seconds} s: event (controller) → frame showing it, p50 / p99 / max (n=${s?.n ?? 0} of ${r.supervisor.sent} sent) | ${s?.p50} / ${s?.p99} / ${s?.max} ms | p99 < 100 ms: ${r.supervisor.met ? 'met' : 'not met'} |`,
    `| of which the controller: event → a plain WebSocket client in the bench process, p50 / p99 / max | ${r.supervisor.wsClient?.p50} / ${r.supervisor.wsClient?.p99} / ${r.supervisor.wsClient?.max} ms | |`,
    '',
  ].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const a = srv.address() as net.AddressInfo; srv.close(() => resolve(a.port)); });
  });
}
