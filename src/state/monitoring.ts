import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Supervisors listening, whispering and barging on a live call. Part of StateStore (src/state/store.ts). */
export class MonitorStore extends StoreBase {
  async monitorStart(m: { monitorId: string; callId: string; agentId: string; queueId: string; supervisorId: string; mode: string; endpoint: string }): Promise<TransitionOutcome<'monitor_start'>> {
    const r = await this.run('monitor_start', m.monitorId, m.callId, m.agentId, m.queueId, m.supervisorId, m.mode, m.endpoint);
    return outcome(r, () => undefined);
  }
  async monitorConnected(id: string): Promise<TransitionOutcome<'monitor_connected'>> {
    return outcome(await this.run('monitor_connected', id), () => undefined);
  }
  async monitorMode(id: string, mode: string): Promise<TransitionOutcome<'monitor_mode', string>> {
    return outcome(await this.run('monitor_mode', id, mode), String);
  }
  async monitorEnd(id: string, reason: string): Promise<TransitionOutcome<'monitor_end'>> {
    return outcome(await this.run('monitor_end', id, reason), () => undefined);
  }
  async monitor(id: string): Promise<Record<string, string> | undefined> {
    const h = await this.redis.hgetall(this.keys.monitor(id));
    return h.id ? h : undefined;
  }
  async activeMonitorIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.monitors());
  }
}
