// The benchmark's own Asterisk instance and Redis, on ports no test or `npm start` uses, started and
// stopped through the repo's scripts so that Asterisk runs with exactly the repo's configuration.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const BENCH = {
  instance: 'bench',
  sipPort: 25060,
  ariPort: 28088,
  // a fresh one per run (the instance is restarted with it): no password is a constant of the repo
  ariPassword: randomBytes(18).toString('base64url'),
  redisPort: 6392,
  rtpStart: 40000,
  rtpEnd: 44000,
};

const asteriskEnv = {
  ...process.env,
  ACD_ASTERISK_INSTANCE: BENCH.instance,
  ACD_SIP_PORT: String(BENCH.sipPort),
  ACD_ARI_PORT: String(BENCH.ariPort),
  ACD_RTP_START: String(BENCH.rtpStart),
  ACD_RTP_END: String(BENCH.rtpEnd),
  ARI_PASSWORD: BENCH.ariPassword,
};
const redisEnv = { ...process.env, ACD_REDIS_PORT: String(BENCH.redisPort) };

function script(name: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync('bash', [path.join(REPO, 'scripts', name), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** A restart, not a reuse: the instance must run the dialplan and queues.conf of this checkout. */
export function startEnvironment(): void {
  restartAsterisk();
  script('redis.sh', ['start'], redisEnv);
}

/**
 * Each system starts with a fresh Asterisk process: memory the first system made Asterisk allocate
 * would otherwise be reused by the second and flatter its memory figures. Pushed PJSIP objects
 * (the agent endpoints) live in astdb and survive the restart.
 */
export function restartAsterisk(): void {
  script('asterisk.sh', ['stop'], asteriskEnv);
  // the repo's logger.conf logs every call step: a full run adds ~50 MB to this instance's logs
  const logs = path.join(script('asterisk.sh', ['instance-dir'], asteriskEnv).trim(), 'log');
  for (const f of ['messages.log', 'queue_log']) fs.rmSync(path.join(logs, f), { force: true });
  script('asterisk.sh', ['start'], asteriskEnv);
}

export function stopEnvironment(): void {
  for (const [name, env] of [['asterisk.sh', asteriskEnv], ['redis.sh', redisEnv]] as const) {
    try { script(name, ['stop'], env); } catch { /* best effort at exit */ }
  }
}

export function asteriskPid(): number {
  const dir = script('asterisk.sh', ['instance-dir'], asteriskEnv).trim();
  return Number(fs.readFileSync(path.join(dir, 'run', 'asterisk.pid'), 'utf8').trim());
}

/** One Asterisk CLI command on the bench instance (through the control socket, ~15 ms). */
export function cli(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(REPO, 'scripts', 'asterisk.sh'), 'cli', command], { env: asteriskEnv, encoding: 'utf8' },
      (err, stdout, stderr) => (err ? reject(new Error(`asterisk cli "${command}": ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** ARI of the bench Asterisk: used by the benchmark for set-up and to see that calls have drained. */
export async function ari<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
  const request = () => fetch(`http://127.0.0.1:${BENCH.ariPort}/ari${route}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`acd:${BENCH.ariPassword}`).toString('base64')}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // a kept-alive connection to an Asterisk that was restarted fails once (fetch's TypeError)
  const res = await request().catch((err) => (err instanceof TypeError ? request() : Promise.reject(err)));
  const text = await res.text();
  if (!res.ok) throw new Error(`ARI ${method} ${route} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function channelCount(): Promise<number> {
  return (await ari<unknown[]>('GET', '/channels')).length;
}

/** Waits until Asterisk has no channel left, i.e. every call of a workload is over on both legs. */
export async function drained(limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while ((await channelCount()) > 0) {
    if (Date.now() > deadline) throw new Error(`Asterisk still has ${await channelCount()} channels after ${limitMs} ms`);
    await sleep(100);
  }
  await sleep(300); // the last messages reach sipp's trace files
}

export interface Machine { nproc: number; cpuModel: string; memoryGiB: number; kernel: string; asterisk: string; node: string; sipp: string; loadAvgAtStart: string }

export async function machine(): Promise<Machine> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const info = await ari<{ system: { version: string } }>('GET', '/asterisk/info');
  let sipp = 'unknown';
  try { sipp = /SIPp v[\d.]+/.exec(execFileSync('sipp', ['-v'], { encoding: 'utf8' }))?.[0] ?? sipp; } catch (err) {
    sipp = /SIPp v[\d.]+/.exec(String((err as { stdout?: string }).stdout ?? ''))?.[0] ?? sipp; // sipp -v exits non-zero
  }
  return {
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1].trim() ?? 'unknown',
    memoryGiB: Math.round((memKb / 1024 / 1024) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    asterisk: info.system.version,
    node: process.version,
    sipp,
    // the machine may be shared: a busy one at the start makes every number worse
    loadAvgAtStart: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
