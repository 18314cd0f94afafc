import type { Ari } from '../ari/client';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { APP } from '../calls/core';

// Device states that mean the phone is on a call (or ringing) of its own.
const BUSY = new Set(['INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD']);

/**
 * Keeps each agent's phone status in Redis from Asterisk's device state events: unavailable
 * (unregistered), or busy with a call that is not the ACD's. Agents whose phone is offline
 * or busy get no offers (see ready_sets in _lib.lua) and come back by themselves.
 */
export class DeviceWatcher {
  /**
   * `ownLeg`: the agent's phone rings for or is on a call this controller placed (then a busy
   * phone is ours: nothing to write, no round trip). Others' offers and calls are told apart by
   * agent_device itself.
   */
  constructor(private readonly ari: Ari, private readonly state: StateStore, private readonly registry: Registry, private readonly log: Logger,
    private readonly ownLeg: (agentId: string) => boolean = () => false) {
    ari.onEvent('DeviceStateChanged', (e) => {
      const m = /^PJSIP\/(.+)$/.exec(e.device_state.name);
      if (!m || !this.registry.findAgent(m[1])) return;
      void this.deviceState(m[1], e.device_state.state);
    });
  }

  private async deviceState(agentId: string, state: string): Promise<void> {
    if (state === 'UNAVAILABLE') return this.apply(agentId, 'offline');
    if (!BUSY.has(state)) return this.apply(agentId, 'online');
    if (this.ownLeg(agentId)) return;
    // our own offers and calls make the phone busy too: only a call of its own counts. The
    // transition tells them apart in the same step (one round trip per device event, no race
    // between reading the agent's state and writing the device)
    await this.apply(agentId, 'busy');
  }

  private async apply(agentId: string, device: 'online' | 'offline' | 'busy'): Promise<void> {
    const r = await this.state.agentDevice(agentId, device).catch((err) => {
      this.log.warn('device update failed', { agentId, error: (err as Error).message });
      return undefined;
    });
    if (r?.ok) this.log.info('agent phone changed', { agentId, device });
  }

  /**
   * After every (re)connect: subscribe to each agent's device state, then read its endpoint state
   * (events were missed). Device state carries both facts (UNAVAILABLE when unregistered, INUSE or
   * BUSY on a call). No endpoint subscription: it would deliver every channel event of those
   * endpoints a second time.
   */
  async sync(): Promise<void> {
    for (const a of this.registry.listAgents()) await this.watch(a.id);
  }

  async watch(agentId: string): Promise<void> {
    await this.ari.subscribe(APP, `deviceState:PJSIP/${agentId}`).catch(() => undefined);
    const e = await this.ari.endpoint('PJSIP', agentId).catch(() => undefined);
    await this.apply(agentId, e?.state === 'online' ? 'online' : 'offline');
  }
}
