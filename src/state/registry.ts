import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';
import type { RegistryKind } from '../domain/live';

/** The organisation settings are one entry of the registry (kind settings): stored, seeded and announced alike. */
const SETTINGS_ID = 'organisation';

/** The registry (queues, agents, users, pause reasons) and the organisation settings, one entry of it; and how long what is over stays in Redis. Part of StateStore (src/state/store.ts). */
export class RegistryStore extends StoreBase {
  async registryPut(kind: RegistryKind, id: string, def: unknown, mode: 'create' | 'replace' | 'seed'): Promise<TransitionOutcome<'registry_put', string>> {
    return outcome(await this.run('registry_put', kind, id, JSON.stringify(def), mode), String);
  }
  async registryDelete(kind: RegistryKind, id: string): Promise<TransitionOutcome<'registry_delete'>> {
    return outcome(await this.run('registry_delete', kind, id), () => undefined);
  }
  async registryAll<T>(kind: RegistryKind): Promise<T[]> {
    const h = await this.redis.hgetall(this.keys.registry(kind));
    return Object.values(h).map((v) => JSON.parse(v) as T);
  }
  async registryGet<T>(kind: RegistryKind, id: string): Promise<T | undefined> {
    const v = await this.redis.hget(this.keys.registry(kind), id);
    return v ? (JSON.parse(v) as T) : undefined;
  }
  /** The stored settings (raw: the caller validates them); undefined before the first seed. */
  async settingsGet(): Promise<unknown> {
    return this.registryGet('settings', SETTINGS_ID);
  }
  /** seed: only when none are stored yet (the config file's); replace: the API's change. */
  async settingsPut(settings: object, mode: 'replace' | 'seed'): Promise<TransitionOutcome<'registry_put', string>> {
    return this.registryPut('settings', SETTINGS_ID, settings, mode);
  }
  /** How long what is over stays in Redis (seconds): finished call and monitor records, finished callbacks, last agents. */
  async retentionSet(r: { recordSec: number; finishedCallbackSec: number; lastAgentSec: number }): Promise<void> {
    await this.run('retention_set', r.recordSec, r.finishedCallbackSec, r.lastAgentSec);
  }
}
