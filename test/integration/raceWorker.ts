/**
 * One controller process for test/integration/race.test.ts: its own Redis connections and its own
 * StateStore on the test's key prefix, so racing offers really come from two processes.
 *
 * argv[2] is a JSON WorkerConfig.
 * - mode 'race': signals readiness (RPUSH <prefix>race:ready), then for each message BLPOPped from
 *   <prefix>race:go:<role> reserves as the round says and RPUSHes a RoundResult to <prefix>race:done;
 *   'stop' ends it.
 * - mode 'die': reserves one offer, tells the parent over IPC, then waits (as if ringing the agent's
 *   phone) until the parent kills it.
 */
import { Redis } from 'ioredis';
import { StateStore } from '../../src/state/store';
import { TEST_ENV } from '../support/env';

export type WorkerConfig =
  | { mode: 'race'; prefix: string; role: 'A' | 'B' }
  | { mode: 'die'; prefix: string; now: number; callId: string; agentId: string; token: string; expiresAt: number };

/** 'agent': both offer agent a1 (each its own call c-<round>-<role>). 'call': both offer call c-<round> (agent a1 or a2). */
export interface RoundOrder { round: number; kind: 'agent' | 'call'; now: number }

export interface RoundResult {
  round: number; role: 'A' | 'B'; callId: string; agentId: string; token: string; ok: boolean; code?: string;
  /** process.hrtime.bigint() (one monotonic clock for all processes of the host) around the reserve. */
  sentAt: string; repliedAt: string;
}

export const raceKeys = (prefix: string) => ({
  ready: `${prefix}race:ready`,
  go: (role: 'A' | 'B') => `${prefix}race:go:${role}`,
  done: `${prefix}race:done`,
});

async function race(cfg: Extract<WorkerConfig, { mode: 'race' }>): Promise<void> {
  const redis = new Redis(TEST_ENV.redisUrl);
  const blocking = new Redis(TEST_ENV.redisUrl);
  let now = 0;
  const state = new StateStore(redis, cfg.prefix, () => now);
  const keys = raceKeys(cfg.prefix);
  await redis.ping();   // connected and the scripts defined before the parent starts the rounds
  await blocking.ping();
  await redis.rpush(keys.ready, cfg.role);
  for (;;) {
    const popped = await blocking.blpop(keys.go(cfg.role), 0);
    if (!popped || popped[1] === 'stop') break;
    const order = JSON.parse(popped[1]) as RoundOrder;
    now = order.now;
    const callId = order.kind === 'agent' ? `c-${order.round}-${cfg.role}` : `c-${order.round}`;
    const agentId = order.kind === 'agent' || cfg.role === 'A' ? 'a1' : 'a2';
    const token = `t-${order.round}-${cfg.role}`;
    const sentAt = process.hrtime.bigint();
    const r = await state.reserve(callId, agentId, token, now + 20_000, `offer-${token}`, `node-${cfg.role}`);
    const repliedAt = process.hrtime.bigint();
    const result: RoundResult = {
      round: order.round, role: cfg.role, callId, agentId, token, ok: r.ok, code: r.ok ? undefined : r.code,
      sentAt: String(sentAt), repliedAt: String(repliedAt),
    };
    await redis.rpush(keys.done, JSON.stringify(result));
  }
  await Promise.all([redis.quit(), blocking.quit()]);
}

async function die(cfg: Extract<WorkerConfig, { mode: 'die' }>): Promise<void> {
  const redis = new Redis(TEST_ENV.redisUrl);
  const state = new StateStore(redis, cfg.prefix, () => cfg.now);
  const r = await state.reserve(cfg.callId, cfg.agentId, cfg.token, cfg.expiresAt, `offer-${cfg.token}`, 'node-dying');
  process.send?.({ reserved: r });
  // the agent's phone would be ringing now; this controller never gets to settle the offer
  setInterval(() => {}, 60_000);
}

// the test imports the types and key names above; only a forked process runs a controller
if (require.main === module) {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  (cfg.mode === 'race' ? race(cfg) : die(cfg)).catch((err) => {
    console.error('race worker failed', err);
    process.exit(1);
  });
}
