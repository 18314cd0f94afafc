import type { Agent } from '../config/schema';
import { Ari, AriGone } from '../ari/client';
import type { Logger } from '../logger';
import { pjsipObjects } from './pjsipObjects';

export interface DeviceStatus { endpoint: string; state: 'online' | 'offline' | 'unknown'; activeChannels: number }

/**
 * Agents' phones are PJSIP endpoints that the controller pushes into Asterisk (sorcery astdb), so the
 * agent registry is the one place phones are defined. Pushing is idempotent: PUT merges fields.
 */
export class PhoneProvisioner {
  constructor(private readonly ari: Ari, private readonly log: Logger) {}

  async provision(agent: Agent): Promise<void> {
    // A PUT on an existing AOR adds its contact beside the old one (Asterisk 22), and calls would
    // still go to the old address: an AOR whose static contact changes is replaced whole. One that
    // keeps it is left alone, so a restart does not drop registered phones' contacts.
    const wanted = agent.phone.mode === 'static' ? agent.phone.contact : '';
    const current = await this.ari.getPjsip('aor', agent.id).catch((err) => { if (err instanceof AriGone) return undefined; throw err; });
    const contact = current?.find((f) => f.attribute === 'contact')?.value ?? '';
    if (current && contact !== wanted) await this.ignoreGone(this.ari.deletePjsip('aor', agent.id));
    for (const o of pjsipObjects(agent)) await this.ari.putPjsip(o.type, agent.id, o.fields);
    // a phone switched from register to static keeps no stale credentials
    if (agent.phone.mode === 'static') await this.ignoreGone(this.ari.deletePjsip('auth', agent.id));
    this.log.debug('phone provisioned', { agentId: agent.id, mode: agent.phone.mode });
  }

  async deprovision(agentId: string): Promise<void> {
    for (const type of ['endpoint', 'aor', 'auth'] as const) await this.ignoreGone(this.ari.deletePjsip(type, agentId));
  }

  async status(agentId: string): Promise<DeviceStatus> {
    const endpoint = `PJSIP/${agentId}`;
    if (!this.ari.connected) return { endpoint, state: 'unknown', activeChannels: 0 };
    try {
      const e = await this.ari.endpoint('PJSIP', agentId);
      return { endpoint, state: e.state === 'online' ? 'online' : 'offline', activeChannels: e.channel_ids.length };
    } catch (err) {
      if (err instanceof AriGone) return { endpoint, state: 'offline', activeChannels: 0 };
      throw err;
    }
  }

  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try { await p; } catch (err) { if (!(err instanceof AriGone)) throw err; }
  }
}
