import { StoreBase } from './base';

/** Real-time metrics: the event stream folded into day aggregates. Part of StateStore (src/state/store.ts). */
export class MetricsStore extends StoreBase {
  /** Folds stream entries after the metrics cursor up to `upTo` into the day aggregates (see metrics_apply.lua). */
  async metricsApply(upTo: string, days: [number, string][], max: number, ack: string[]): Promise<{ applied: number; cursor: string; more: boolean }> {
    const r = await this.run('metrics_apply', upTo, JSON.stringify(days), max, JSON.stringify(ack)) as unknown as [number, number, string, string];
    return { applied: Number(r[1]), cursor: String(r[2]), more: r[3] === '1' };
  }
  /** A day aggregate (metrics:queue:<q>:<day> or metrics:agent:<a>:<day>) as numbers; absent fields are 0. */
  async metricsDay(kind: 'queue' | 'agent', id: string, day: string): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(kind === 'queue' ? this.keys.metricsQueueDay(id, day) : this.keys.metricsAgentDay(id, day));
    return Object.fromEntries(Object.entries(h).map(([f, v]) => [f, Number(v)]));
  }
  /** The agent's state as the metrics last applied it, and since when (unchanged by same-state updates). */
  async metricsAgent(agentId: string): Promise<{ state?: string; since?: number }> {
    const h = await this.redis.hmget(this.keys.metricsAgent(agentId), 'state', 'since');
    return { state: h[0] ?? undefined, since: h[1] ? Number(h[1]) : undefined };
  }
}
