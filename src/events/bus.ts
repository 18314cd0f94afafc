import type { Redis } from 'ioredis';
import type { Logger } from '../logger';

/** A state change as clients see it: `{type, at, ...data}`; `id` is the Redis stream entry id. */
export interface AcdEvent { id: string; type: string; at: number; [field: string]: unknown }

/**
 * Tails the Redis event stream that the Lua transitions append to. Every controller tails it: it is
 * how a controller learns that an agent freed up elsewhere, and what the WebSocket hub forwards.
 * Uses its own connection: XREAD BLOCK holds it.
 */
export class EventBus {
  private readonly handlers = new Set<(e: AcdEvent) => void>();
  private running = false;
  private lastId = '$';

  constructor(private readonly redis: Redis, private readonly streamKey: string, private readonly log: Logger) {}

  subscribe(handler: (e: AcdEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async start(): Promise<void> {
    // Start from the stream's current end; later reconnects resume from the last id seen.
    const last = await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    this.lastId = last.length ? last[0][0] : '0-0';
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.redis.disconnect();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const res = await this.redis.xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', this.streamKey, this.lastId);
        if (!res) continue;
        for (const [, entries] of res) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.deliver(EventBus.parse(id, fields));
          }
        }
      } catch (err) {
        if (!this.running) return;
        this.log.warn('event stream read failed, retrying', { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private deliver(e: AcdEvent): void {
    for (const h of this.handlers) {
      try { h(e); } catch (err) { this.log.error('event handler failed', { type: e.type, error: (err as Error).message }); }
    }
  }

  static parse(id: string, fields: string[]): AcdEvent {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    const data = f.data ? (JSON.parse(f.data) as Record<string, unknown>) : {};
    // cjson encodes an empty Lua table as {}; lists such as queues are always arrays to clients
    if ('queues' in data && !Array.isArray(data.queues)) data.queues = [];
    return { ...data, id, type: f.type, at: Number(f.at) };
  }
}
