import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Wallboards and their display tokens. Part of StateStore (src/state/store.ts). */
export class WallboardStore extends StoreBase {
  async wallboardPut(id: string, wallboard: unknown, mode: 'create' | 'replace', by: string): Promise<TransitionOutcome<'wallboard_put'>> {
    return outcome(await this.runKeyed('wallboard_put', [this.keys.wallboards(), this.keys.events()], id, JSON.stringify(wallboard), mode, by), () => undefined);
  }
  async wallboardArchive(id: string, archived: boolean, by: string): Promise<TransitionOutcome<'wallboard_archive'>> {
    return outcome(await this.runKeyed('wallboard_archive', [this.keys.wallboardsArchived(), this.keys.wallboards(), this.keys.events()], id, archived ? '1' : '0', by), () => undefined);
  }
  async wallboardDelete(id: string, by: string): Promise<TransitionOutcome<'wallboard_delete', number>> {
    return outcome(await this.runKeyed('wallboard_delete', [this.keys.wallboardsArchived(), this.keys.wallboards(), this.keys.wallboardDisplays(id), this.keys.wallboardDisplay(), this.keys.events()], id, by), Number);
  }
  async wallboardDisplayIssue(id: string, tokenId: string, sha256: string, label: string, by: string): Promise<TransitionOutcome<'wallboard_display_issue'>> {
    return outcome(await this.runKeyed('wallboard_display_issue', [this.keys.wallboards(), this.keys.wallboardDisplays(id), this.keys.wallboardDisplay(), this.keys.events()], id, tokenId, sha256, label, by), () => undefined);
  }
  async wallboardDisplayRevoke(id: string, tokenId: string, by: string): Promise<TransitionOutcome<'wallboard_display_revoke'>> {
    return outcome(await this.runKeyed('wallboard_display_revoke', [this.keys.wallboardDisplays(id), this.keys.wallboardDisplay(), this.keys.events()], id, tokenId, by), () => undefined);
  }
  async wallboardGet<T>(id: string): Promise<T | undefined> {
    const v = await this.redis.hget(this.keys.wallboards(), id);
    return v ? JSON.parse(v) as T : undefined;
  }
  async wallboardAll<T>(): Promise<T[]> {
    return Object.values(await this.redis.hgetall(this.keys.wallboards())).map((v) => JSON.parse(v) as T);
  }
  /** Archived wallboards: id → when archived (ms). */
  async wallboardsArchived(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.wallboardsArchived());
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
  async wallboardDisplayLookup(sha256: string): Promise<{ wallboardId: string; tokenId: string; label: string; createdAt: number; createdBy: string } | undefined> {
    const v = await this.redis.hget(this.keys.wallboardDisplay(), sha256);
    return v ? JSON.parse(v) : undefined;
  }
  async wallboardDisplays(id: string): Promise<{ tokenId: string; label: string; createdAt: number; createdBy: string }[]> {
    const shas = Object.values(await this.redis.hgetall(this.keys.wallboardDisplays(id)));
    if (!shas.length) return [];
    const vals = await this.redis.hmget(this.keys.wallboardDisplay(), ...shas);
    return vals.filter((v): v is string => !!v).map((v) => { const t = JSON.parse(v); return { tokenId: t.tokenId, label: t.label, createdAt: t.createdAt, createdBy: t.createdBy }; });
  }
}
