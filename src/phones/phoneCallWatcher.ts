import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';

/** The part of asterisk-manager's client used here. */
export interface AmiClient {
  on(event: 'managerevent', fn: (e: Record<string, string>) => void): void;
  on(event: 'error' | 'close' | 'connect', fn: (e?: unknown) => void): void;
  keepConnected(): void;
  disconnect(): void;
}

interface Leg { agentId: string; direction: 'in' | 'out'; peer: string; startedAt: number; answeredAt?: number; stasis: boolean }

/** Channel states (AMI ChannelState): 4 Ring (the phone is calling out), 6 Up (answered). */
const RING = '4';
const UP = '6';

/**
 * Calls an agent's phone takes or makes outside the queues (a direct call to it, a call dialed from
 * it): channels of the agent's PJSIP endpoint that never enter Stasis. ARI does not see them (they
 * are not in the application) and an ARI endpoint subscription would hand the controller every
 * channel event of its own agent legs a second time; AMI's channel events arrive on a separate
 * connection that the call path never waits for. The controller's own legs carry ids it set
 * (offer-..., cboffer-...); only channels Asterisk named itself (its numeric uniqueids) count.
 * A leg that runs Stasis (an agent dialing a queue from its phone) is left out.
 * Over, a call is recorded once (phone_call.lua), however many controllers watch it. A call in
 * progress while this controller restarts is recorded by another controller watching, or not at all.
 */
export class PhoneCallWatcher {
  private readonly legs = new Map<string, Leg>();

  constructor(private readonly ami: AmiClient, private readonly state: StateStore, private readonly registry: Registry, private readonly log: Logger,
    private readonly now: () => number = Date.now) {
    ami.on('managerevent', (e) => this.onEvent(e));
    ami.on('error', (err) => this.log.debug('AMI connection error', { error: (err as Error)?.message }));
  }

  start(): void { this.ami.keepConnected(); }
  stop(): void { this.ami.disconnect(); }

  /** The agent whose endpoint this channel belongs to (PJSIP/<agent>-<n>), if it is one of ours to watch. */
  agentOf(channel: string | undefined, uniqueid: string | undefined): string | undefined {
    const m = /^PJSIP\/(.+)-[0-9a-f]+$/.exec(channel ?? '');
    // Asterisk's own ids (epoch.sequence, after its systemname if it has one), not the ids we set
    if (!m || !/^(?:[A-Za-z0-9_-]+-)?\d+\.\d+$/.test(uniqueid ?? '')) return undefined;
    return this.registry.findAgent(m[1]) ? m[1] : undefined;
  }

  onEvent(e: Record<string, string>): void {
    const name = (e.event ?? '').toLowerCase();
    const uid = e.uniqueid;
    if (name === 'newchannel') {
      const agentId = this.agentOf(e.channel, uid);
      if (!agentId) return;
      const out = e.channelstate === RING;
      this.legs.set(uid, {
        agentId, direction: out ? 'out' : 'in', startedAt: this.now(), stasis: false,
        peer: out ? (e.exten ?? '') : (e.connectedlinenum && e.connectedlinenum !== '<unknown>' ? e.connectedlinenum : ''),
      });
      return;
    }
    const leg = uid ? this.legs.get(uid) : undefined;
    if (!leg) return;
    if (name === 'newstate' && e.channelstate === UP && !leg.answeredAt) leg.answeredAt = this.now();
    else if (name === 'newconnectedline' && leg.direction === 'in' && !leg.peer && e.connectedlinenum && e.connectedlinenum !== '<unknown>') leg.peer = e.connectedlinenum;
    else if (name === 'newexten' && (e.application ?? '').toLowerCase() === 'stasis') leg.stasis = true;
    else if (name === 'hangup') {
      this.legs.delete(uid);
      if (leg.stasis) return;
      void this.state.phoneCall({ channelId: uid, agentId: leg.agentId, direction: leg.direction, peer: leg.peer.slice(0, 64), startedAt: leg.startedAt, answeredAt: leg.answeredAt })
        .catch((err: Error) => this.log.warn('non-queue call not recorded', { agentId: leg.agentId, error: err.message }));
    }
  }
}
