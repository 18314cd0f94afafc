import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config';
import type { Logger } from '../logger';

const run = promisify(execFile);
const SCRIPTS = path.resolve(__dirname, '../../../scripts');

/**
 * The embedded default: a local Asterisk 22 (and Redis) prepared by scripts/, used when no
 * ARI_URL (REDIS_URL) is given. The same scripts serve the tests, so what a newcomer runs is
 * what CI runs.
 */
export async function startLocalAsterisk(config: Config, log: Logger): Promise<{ url: string; user: string; password: string }> {
  const { sipPort, ariPort, ariPassword } = config.embedded;
  log.info('starting the local Asterisk', { sipPort, ariPort });
  const env = { ACD_SIP_PORT: String(sipPort), ACD_ARI_PORT: String(ariPort), ...(ariPassword ? { ARI_PASSWORD: ariPassword } : {}) };
  await script('asterisk.sh', ['start'], env);
  // without ARI_PASSWORD the instance made its own on its first start: no password is a constant of the repo
  return { url: `http://127.0.0.1:${ariPort}`, user: 'acd', password: ariPassword ?? await script('asterisk.sh', ['secret', 'ari'], env) };
}

/**
 * The local environment's stand-in for the public network: a SIP account (user pstn) that the
 * embedded default's outboundDial (PJSIP/{number}@pstn) rings with the customer's number.
 */
export async function localPstnAccount(): Promise<{ user: string; password: string }> {
  return { user: 'pstn', password: await script('asterisk.sh', ['secret', 'pstn'], {}) };
}

/**
 * Where the embedded default keeps prepared audio clips: in the local Asterisk's sounds folder.
 * Asterisk runs chrooted in <root>, so the controller writes under <root> and Asterisk reads the
 * same folder by its path inside the root.
 */
export async function localClipsDirs(): Promise<{ dir: string; mediaDir: string }> {
  const { stdout } = await run('bash', [path.join(SCRIPTS, 'asterisk.sh'), 'root'], { timeout: 10_000 });
  const mediaDir = '/var/lib/asterisk/sounds/acd-clips';
  return { dir: path.join(stdout.trim(), mediaDir), mediaDir };
}

export async function startLocalRedis(config: Config, log: Logger): Promise<string> {
  log.info('starting the local Redis', { port: config.embedded.redisPort });
  await script('redis.sh', ['start'], { ACD_REDIS_PORT: String(config.embedded.redisPort) });
  return `redis://127.0.0.1:${config.embedded.redisPort}`;
}

/** The local PostgreSQL cluster for the history (scripts/postgres.sh), when no DATABASE_URL is given. */
export async function startLocalPostgres(config: Config, log: Logger): Promise<string> {
  const port = String(config.history.embeddedPort);
  log.info('starting the local PostgreSQL', { port });
  await script('postgres.sh', ['start'], { ACD_PG_PORT: port });
  return `postgres://postgres@127.0.0.1:${port}/acd`;
}

async function script(name: string, args: string[], env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run('bash', [path.join(SCRIPTS, name), ...args], { env: { ...process.env, ...env }, timeout: 300_000 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    // the scripts print one clear "[acd-env] error: ..." line: pass that on, not a trace
    const line = (e.stderr ?? '').split('\n').filter((l) => l.includes('error:')).pop();
    throw new Error(line ?? `${name} ${args.join(' ')} failed: ${e.message}`);
  }
}
