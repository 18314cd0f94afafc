import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';
import type { ClipRecord } from '../domain/live';

/** Prepared audio clips played into calls. Part of StateStore (src/state/store.ts). */
export class ClipStore extends StoreBase {
  async clipCreate(c: Omit<ClipRecord, 'createdAt' | 'updatedAt' | 'archived'>): Promise<TransitionOutcome<'clip_create', string>> {
    const r = await this.runKeyed('clip_create', [this.keys.clip(c.id), this.keys.clips(), this.keys.events()], c.id, c.name, c.scope, c.ownerAgentId ?? '', c.createdBy, c.file, c.sampleRate, c.durationMs, c.bytes);
    return outcome(r, String);
  }
  async clipUpdate(id: string, change: { name?: string; archived?: boolean }, by: string): Promise<TransitionOutcome<'clip_update', 'updated' | 'unchanged'>> {
    const archived = change.archived === undefined ? '' : change.archived ? '1' : '0';
    return outcome(await this.runKeyed('clip_update', [this.keys.clip(id), this.keys.events()], id, change.name ?? '', archived, by), (v) => v as 'updated' | 'unchanged');
  }
  /** The deleted clip's file name. */
  async clipDelete(id: string, by: string): Promise<TransitionOutcome<'clip_delete', string>> {
    return outcome(await this.runKeyed('clip_delete', [this.keys.clip(id), this.keys.clips(), this.keys.events()], id, by), String);
  }
  async clipPlayed(p: { callId: string; clipId: string; queueId: string; agentId: string; by: string; then: string; outcome: string }): Promise<void> {
    await this.runKeyed('clip_played', [this.keys.events()], p.callId, p.clipId, p.queueId, p.agentId, p.by, p.then, p.outcome);
  }
  async clip(id: string): Promise<ClipRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.clip(id));
    if (!h.id) return undefined;
    return {
      ...(h as unknown as ClipRecord), ownerAgentId: h.ownerAgentId || undefined, archived: h.archived === '1',
      createdAt: Number(h.createdAt), updatedAt: Number(h.updatedAt), sampleRate: Number(h.sampleRate), durationMs: Number(h.durationMs), bytes: Number(h.bytes),
    };
  }
  /** Every clip, oldest first. */
  async clips(): Promise<ClipRecord[]> {
    const all = await Promise.all((await this.redis.zrange(this.keys.clips(), 0, -1)).map((id) => this.clip(id)));
    return all.filter((c): c is ClipRecord => c !== undefined);
  }
}
