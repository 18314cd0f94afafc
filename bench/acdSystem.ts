// The ACD under test: the real controller process (dist/src/main.js) against the bench Asterisk and
// Redis, driven only as clients drive it (config file, REST API, SIP calls).
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { ari, asteriskPid, BENCH, REPO, sleep } from './environment';
import { contactOf, Phones } from './phones';
import { rssBytes } from './procstat';
import { BenchSystem, EXTENSION, RING_TIMEOUT_SEC } from './system';

const ADMIN_TOKEN = 'bench-admin-token-000000001';
const QUEUE = 'bench';

/**
 * The queue as the ACD is configured for the benchmark (also written into the results): like the
 * app_queue peer, no wrap-up time, no announcements (callback offers), no recording.
 */
export const ACD_QUEUE = {
  id: QUEUE, name: 'Bench', extension: EXTENSION, strategy: 'longest-idle', ringTimeoutSec: RING_TIMEOUT_SEC, mohClass: 'default',
  wrapUp: { sec: 0 }, callbacks: { enabled: false }, recording: { policy: 'none' },
};

export class AcdSystem implements BenchSystem {
  readonly name = 'acd' as const;
  private readonly loggedIn = new Set<string>();

  private constructor(
    private readonly proc: ChildProcess,
    private readonly api: string,
    private readonly redis: Redis,
    private readonly redisPid: number,
    private readonly asterisk: number,
  ) {}

  static async start(phones: Phones, workDir: string): Promise<AcdSystem> {
    const redis = new Redis(`redis://127.0.0.1:${BENCH.redisPort}`, { lazyConnect: true });
    await redis.connect();
    await redis.flushall(); // the bench Redis is this benchmark's alone: no state from earlier runs
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);

    const agents = [phones.routing, phones.handover, phones.ramp].flatMap((pool) => pool.agentIds.map((id) => ({
      id, name: id, queues: [QUEUE], phone: { mode: 'static', contact: contactOf(pool, id) },
    })));
    const configFile = path.join(workDir, 'acd.yaml');
    fs.writeFileSync(configFile, YAML.stringify({ queues: [ACD_QUEUE], agents }));
    const port = await freeTcpPort();
    const log = fs.openSync(path.join(workDir, 'controller.log'), 'w');
    // e.g. BENCH_CONTROLLER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" shows where the controller's CPU goes
    const nodeArgs = (process.env.BENCH_CONTROLLER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const proc = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'dist/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        ARI_URL: `http://127.0.0.1:${BENCH.ariPort}`,
        ARI_PASSWORD: BENCH.ariPassword,
        REDIS_URL: `redis://127.0.0.1:${BENCH.redisPort}`,
        ACD_CONFIG: configFile,
        ACD_KEY_PREFIX: `bench:${Date.now().toString(36)}:`,
        ACD_HTTP_PORT: String(port),
        ACD_ADMIN_TOKEN: ADMIN_TOKEN,
        // what production would run with (info logs a line per call step; BENCH_CONTROLLER_LOG_LEVEL for a diagnosis)
        LOG_LEVEL: process.env.BENCH_CONTROLLER_LOG_LEVEL ?? 'warn',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const sys = new AcdSystem(proc, `http://127.0.0.1:${port}/api/v1`, redis, redisPid, asteriskPid());
    try {
      await sys.healthy();
      await provisioned(agents.map((a) => [a.id, a.phone.contact]));
    } catch (err) {
      await sys.stop();
      throw err;
    }
    return sys;
  }

  callerUser(callerNumber: string): string { return callerNumber; }

  async useAgents(agentIds: string[]): Promise<void> {
    const wanted = new Set(agentIds);
    const out = [...this.loggedIn].filter((id) => !wanted.has(id));
    const into = agentIds.filter((id) => !this.loggedIn.has(id));
    await inBatches(out, (id) => this.post(`/agents/${id}/logout`).then(() => this.loggedIn.delete(id)));
    // one at a time, in order: the login time is the agent's idle-since, as app_queue's member order
    for (const id of into) { await this.post(`/agents/${id}/login`); this.loggedIn.add(id); }
  }

  cpuPids(): Record<string, number> {
    return { controller: this.proc.pid!, redis: this.redisPid, asterisk: this.asterisk };
  }

  async redisCommands(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of (await this.redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
    delete out.info;   // the bench's own sampling
    return out;
  }

  async memory(): Promise<Record<string, number>> {
    const used = Number(/used_memory:(\d+)/.exec(await this.redis.info('memory'))?.[1]);
    return { controller: rssBytes(this.proc.pid!), redis: used, asterisk: rssBytes(this.asterisk) };
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      const killer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    this.redis.disconnect();
  }

  private async post(route: string): Promise<void> {
    const res = await fetch(`${this.api}${route}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!res.ok) throw new Error(`POST ${route} → ${res.status} ${await res.text()}`);
  }

  private async healthy(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`the controller exited with ${this.proc.exitCode}; see bench/results/tmp/controller.log`);
      if ((await fetch(`${this.api}/health`).then((r) => r.status, () => 0)) === 200) return;
      await sleep(100);
    }
    throw new Error('the controller was not healthy within 30 s; see bench/results/tmp/controller.log');
  }
}

/** The controller pushes the agents' PJSIP objects after it connects: wait until every AOR has its contact. */
async function provisioned(contacts: [string, string][]): Promise<void> {
  const deadline = Date.now() + 60_000;
  let missing = contacts;
  while (missing.length) {
    if (Date.now() > deadline) throw new Error(`agent phones not provisioned within 60 s: ${missing.slice(0, 5).map(([id]) => id).join(', ')}…`);
    const ok = await Promise.all(missing.map(([id, contact]) => ari<{ attribute: string; value: string }[]>('GET', `/asterisk/config/dynamic/res_pjsip/aor/${id}`)
      .then((fields) => fields.some((f) => f.attribute === 'contact' && f.value === contact), () => false)));
    missing = missing.filter((_, i) => !ok[i]);
    if (missing.length) await sleep(200);
  }
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>, size = 10): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
