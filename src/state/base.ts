import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { StateUnavailable, inRequest } from './connection';
import { Keys } from './keys';
import { TRANSITION_CODES, type CodesOf, type Outcome, type ResultCode, type TransitionName } from './results';

// Lua lives in .lua files next to the sources; the compiled code reads them from src/ at run time.
const LUA_DIR = path.resolve(__dirname, '../../../src/state/lua');

/** A transition's raw reply: {1, value...} or {0, code}. */
export type Raw = [number, (string | number)?];

/**
 * The connection handling and script running every group of wrappers shares (see store.ts, which
 * composes the groups into StateStore). Never used alone.
 */
export abstract class StoreBase {
  readonly keys: Keys;

  /**
   * `requestRedis`: the connection API requests use (no offline queue, no resending: see
   * state/connection.ts); while a request is open its commands go there, all others to the patient one.
   */
  constructor(protected readonly patient: Redis, prefix: string, protected readonly now: () => number = Date.now, protected readonly requestRedis?: Redis) {
    this.keys = new Keys(prefix);
    const lib = fs.readFileSync(path.join(LUA_DIR, '_lib.lua'), 'utf8');
    for (const redis of requestRedis ? [patient, requestRedis] : [patient]) {
      for (const name of Object.keys(TRANSITION_CODES)) {
        if ((redis as unknown as Record<string, unknown>)[`acd_${name}`]) continue;
        const body = fs.readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
        // no fixed key count: each call passes its KEYS first (none for scripts that still derive them)
        redis.defineCommand(`acd_${name}`, { lua: `${lib}\n${body}` });
      }
    }
  }

  protected get redis(): Redis {
    if (!inRequest()) return this.patient;
    if (!this.requestRedis && this.patient.status !== 'ready') throw new StateUnavailable();
    return this.requestRedis ?? this.patient;
  }

  /** Runs a transition that builds its keys from the prefix (ARGV[1]); its own arguments start at ARGV[3]. */
  protected async run(name: TransitionName, ...args: (string | number)[]): Promise<Raw> {
    return this.runKeyed(name, [], ...args);
  }

  /** Runs a transition that declares the keys it touches as KEYS (as BullMQ's scripts do); ARGV as for run. */
  protected async runKeyed(name: TransitionName, keys: string[], ...args: (string | number)[]): Promise<Raw> {
    const fn = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<Raw>>)[`acd_${name}`];
    return fn.call(this.redis, keys.length, ...keys, this.keys.prefix, this.now(), ...args);
  }
}

/** A transition's raw reply as an Outcome: its value, or the code it refused with. */
export function outcome<T, C extends string = ResultCode>(r: Raw, value: (v: string | number | undefined) => T): Outcome<T, C> {
  return r[0] === 1 ? { ok: true, value: value(r[1]) } : { ok: false, code: String(r[1]) as C };
}

/** The refusal of a raw reply read by hand (replies with more than one value). */
export function refusal<N extends TransitionName>(_name: N, r: (string | number | undefined)[]): { ok: false; code: CodesOf<N> } {
  return { ok: false, code: String(r[1]) as CodesOf<N> };
}
