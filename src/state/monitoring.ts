import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** Supervisors listening, whispering and barging on a live call. Part of StateStore (src/state/store.ts). */
export class MonitorStore extends StoreBase {
  async monitorStart(m: { monitorId: string; callId: string; agentId: string; queueId: string; supervisorId: string; mode: string; endpoint: string }): Promise<TransitionOutcome<'monitor_start'>> {
    const r = await this.runKeyed('monitor_start', [this.keys.monitor(m.monitorId), this.keys.monitors(), this.keys.call(m.callId), this.keys.events()], m.monitorId, m.callId, m.agentId, m.queueId, m.supervisorId, m.mode, m.endpoint);
    return outcome(r, () => undefined);
  }
  async monitorConnected(id: string): Promise<TransitionOutcome<'monitor_connected'>> {
    return outcome(await this.runKeyed('monitor_connected', [this.keys.monitor(id), this.keys.events()], id), () => undefined);
  }
  async monitorMode(id: string, mode: string): Promise<TransitionOutcome<'monitor_mode', string>> {
    return outcome(await this.runKeyed('monitor_mode', [this.keys.monitor(id), this.keys.events()], id, mode), String);
  }
  async monitorEnd(id: string, reason: string): Promise<TransitionOutcome<'monitor_end'>> {
    return outcome(await this.runKeyed('monitor_end', [this.keys.monitor(id), this.keys.monitors(), this.keys.events()], id, reason), () => undefined);
  }
  async monitor(id: string): Promise<Record<string, string> | undefined> {
    const h = await this.redis.hgetall(this.keys.monitor(id));
    return h.id ? h : undefined;
  }
  async activeMonitorIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.monitors());
  }
}
