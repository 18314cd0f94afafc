import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AccessPolicy } from '../access/policy';
import type { Principal } from '../access/users';
import { Ari } from '../ari/client';
import { callerIdOf } from '../ari/callerId';
import { APP, type CallCore, type CallFeature, type CallSession } from '../calls/core';
import type { CallService } from '../calls/queueing/callService';
import { AcdError, Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { parseOrThrow } from '../validation/parse';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import type { Destinations } from '../destinations/destinations';

export const MODES = ['listen', 'whisper', 'barge'] as const;
export type Mode = (typeof MODES)[number];

export const StartBody = z.object({
  mode: z.enum(MODES),
  /** The phone to ring instead of the supervisor's own: the phone of an agent of the registry, e.g. PJSIP/agent1001. */
  endpoint: z.string().regex(/^[A-Za-z]+\/[^\s,]+$/).optional(),
}).strict();
export const ModeBody = z.object({ mode: z.enum(MODES) }).strict();

/** One supervisor on one call, on this controller. */
interface Session {
  id: string;
  callId: string;
  mode: Mode;
  snoopId: string;
  supervisorChannelId: string;
  monitorBridgeId: string;
  answered: boolean;
  log: Logger;
}

/**
 * Supervisor listen / whisper / barge. The supervisor's phone is rung; on answer it joins a private
 * bridge with a Snoop channel on the agent's leg (spy both: hears agent and caller; whisper out: what
 * the supervisor says reaches the agent only). Listen mutes the supervisor in that bridge, whisper
 * unmutes; barge moves the supervisor into the call's own bridge, where both parties hear them.
 * Changing modes moves or mutes the same channel: the supervisor's phone never rings again.
 */
export class MonitorService implements CallFeature {
  readonly name = 'monitoring';
  readonly roles = ['supervisor', 'snoop'];
  private readonly sessions = new Map<string, Session>();
  readonly stasis: CallFeature['stasis'] = {
    // the Snoop channel is bridged when the supervisor answers
    snoop: () => undefined,
    monitor: (channel, [id]) => void this.supervisorAnswered(id, channel.id).catch((err) => this.fail(id, err)),
  };
  readonly channelGone: CallFeature['channelGone'] = (channel, ref, how) => void this.monitorLegGone(channel.id, ref.partyId!, how);

  constructor(
    private readonly core: CallCore,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly calls: CallService,
    private readonly policy: AccessPolicy,
    private readonly log: Logger,
    private readonly destinations: Destinations,
  ) {
    core.events.on('ended', (s) => void this.callEnded(s));
  }

  /** Who may monitor the agent on this call: queue scope, and the protected-agent permission. */
  private authorize(user: Principal, s: CallSession): void {
    if (user.role === 'agent') throw new Forbidden('agents may not monitor calls');
    this.policy.queue(user, s.queueId);
    const agent = this.registry.findAgent(s.connected!.agentId);
    if (agent?.protected && !user.permissions.monitorProtected) {
      throw new Forbidden(`agent ${agent.id} is protected from monitoring: this needs the monitorProtected permission`);
    }
  }

  async startOnAgent(user: Principal, agentId: string, body: unknown) {
    this.registry.agent(agentId);
    const s = this.calls.connectedCallOf(agentId);
    if (!s) throw new Conflict('AGENT_NOT_ON_CALL', `agent ${agentId} is not on a call on this controller`);
    return this.start(user, s.callId, body);
  }

  async start(user: Principal, callId: string, body: unknown) {
    const p = { data: parseOrThrow(StartBody, body, 'monitor request') };
    const s = this.calls.liveSession(callId);
    if (!s) throw new NotFound('call', callId);
    if (s.state !== 'connected' || !s.connected) throw new Conflict('CALL_NOT_CONNECTED', 'only a connected call can be monitored');
    this.authorize(user, s);
    const endpoint = this.destinations.monitorEndpoint(user, p.data.endpoint);
    if (!endpoint) throw new Invalid('no phone to ring: give an endpoint, or set the user\'s endpoint');
    const id = randomUUID();
    const r = await this.state.monitorStart({ monitorId: id, callId, agentId: s.connected.agentId, queueId: s.queueId, supervisorId: user.id, mode: p.data.mode, endpoint });
    if (!r.ok) throw new Conflict(r.code, 'only a connected call can be monitored');
    const m: Session = {
      id, callId, mode: p.data.mode, snoopId: `snoop-${id}`, supervisorChannelId: `monitor-${id}`, monitorBridgeId: `monitor-${id}`,
      answered: false, log: this.log.child({ monitorId: id, callId, supervisorId: user.id }),
    };
    this.sessions.set(id, m);
    this.core.channels.set(m.supervisorChannelId, { callId, feature: this.name, role: 'supervisor', partyId: id });
    this.core.channels.set(m.snoopId, { callId, feature: this.name, role: 'snoop', partyId: id });
    try {
      await this.ari.snoop(s.connected.agentChannelId, m.snoopId, { spy: 'both', whisper: 'out', app: APP, appArgs: `snoop,${id}` });
      const agent = this.registry.findAgent(s.connected.agentId);
      await this.ari.originate({
        endpoint, channelId: m.supervisorChannelId, app: APP, appArgs: `monitor,${id}`,
        callerId: callerIdOf(`Monitor ${agent?.name ?? s.connected.agentId}`, s.callerNumber), timeoutSec: 30,
      });
    } catch (err) {
      await this.end(m, 'failed');
      throw new AcdError(502, 'MONITOR_FAILED', `could not start monitoring: ${(err as Error).message}`);
    }
    m.log.info('monitor ringing the supervisor', { mode: m.mode, endpoint });
    return this.view(id);
  }

  private async supervisorAnswered(id: string, channelId: string): Promise<void> {
    const m = this.sessions.get(id);
    if (!m || channelId !== m.supervisorChannelId) { await this.ari.hangupQuietly(channelId); return; }
    m.answered = true;
    await this.ari.createBridge(m.monitorBridgeId, 'mixing');
    await this.ari.addChannels(m.monitorBridgeId, [m.snoopId]);
    await this.applyMode(m, m.mode, undefined);
    await this.state.monitorConnected(id);
    m.log.info('supervisor connected', { mode: m.mode });
  }

  /** Put the supervisor's channel where the mode wants it; from `previous` when changing. */
  private async applyMode(m: Session, mode: Mode, previous: Mode | undefined): Promise<void> {
    const call = this.calls.liveSession(m.callId);
    const ch = m.supervisorChannelId;
    if (mode === 'barge') {
      if (!call?.connected) throw new Conflict('CALL_NOT_CONNECTED', 'the call is over');
      if (previous && previous !== 'barge') await this.ari.removeChannel(m.monitorBridgeId, ch);
      await this.ari.unmute(ch, 'in');
      await this.ari.addChannels(call.connected.bridgeId, [ch]);
      return;
    }
    if (previous === 'barge' && call?.connected) await this.ari.removeChannel(call.connected.bridgeId, ch);
    if (mode === 'listen') await this.ari.mute(ch, 'in'); else await this.ari.unmute(ch, 'in');
    if (!previous || previous === 'barge') await this.ari.addChannels(m.monitorBridgeId, [ch]);
  }

  async changeMode(user: Principal, id: string, body: unknown) {
    const p = { data: parseOrThrow(ModeBody, body, 'mode') };
    await this.reachable(user, id);
    const m = this.sessions.get(id);
    if (!m) throw new NotFound('monitor', id);
    const r = await this.state.monitorMode(id, p.data.mode);
    if (!r.ok) throw new Conflict('MONITOR_ENDED', 'the monitoring session is over');
    const previous = m.mode;
    m.mode = p.data.mode;
    if (m.answered && previous !== m.mode) await this.applyMode(m, m.mode, previous);
    m.log.info('monitor mode changed', { from: previous, to: m.mode });
    return this.view(id);
  }

  async stop(user: Principal, id: string): Promise<void> {
    await this.reachable(user, id);
    const m = this.sessions.get(id);
    if (!m) throw new NotFound('monitor', id);
    await this.end(m, 'stopped');
  }

  /**
   * A session is scoped like the monitored call, from what it recorded (queue, agent): the same
   * whether or not the call is still connected, or the session still on this controller.
   */
  private async reachable(user: Principal, id: string): Promise<void> {
    const h = await this.state.monitor(id);
    if (!h) throw new NotFound('monitor', id);
    this.policy.monitor(user, h);
  }

  /** `user`: the session is read on their behalf (scope checked); without, an internal read. */
  async view(id: string, user?: Principal) {
    const h = await this.state.monitor(id);
    if (!h) throw new NotFound('monitor', id);
    if (user) this.policy.monitor(user, h);
    return {
      id, callId: h.callId, agentId: h.agentId, queueId: h.queueId, supervisorId: h.supervisorId, mode: h.mode,
      state: h.state, endpoint: h.endpoint, startedAt: new Date(Number(h.startedAt)).toISOString(), endReason: h.endReason ?? null,
    };
  }

  async list(user: Principal) {
    const views = await Promise.all((await this.state.activeMonitorIds()).map((id) => this.view(id).catch(() => undefined)));
    return views.filter((v) => v && this.policy.canMonitor(user, v));
  }

  private async monitorLegGone(channelId: string, id: string, how: 'left' | 'destroyed'): Promise<void> {
    const m = this.sessions.get(id);
    if (!m) { this.core.channels.delete(channelId); return; }
    if (channelId === m.supervisorChannelId) await this.end(m, m.answered ? 'supervisor-hung-up' : 'not-answered');
    else if (how === 'destroyed' || how === 'left') await this.end(m, 'call-ended');   // the snoop dies with the agent's leg
  }

  private async callEnded(s: CallSession): Promise<void> {
    for (const m of [...this.sessions.values()]) if (m.callId === s.callId) await this.end(m, 'call-ended');
  }

  private async end(m: Session, reason: string): Promise<void> {
    if (!this.sessions.delete(m.id)) return;
    this.core.channels.delete(m.supervisorChannelId);
    this.core.channels.delete(m.snoopId);
    await this.state.monitorEnd(m.id, reason);
    m.log.info('monitor ended', { reason });
    await Promise.all([
      this.ari.hangupQuietly(m.supervisorChannelId),
      this.ari.hangupQuietly(m.snoopId),
      this.ari.destroyBridge(m.monitorBridgeId).catch(() => undefined),
    ]);
  }

  private async fail(id: string, err: unknown): Promise<void> {
    this.log.error('monitor setup failed', { monitorId: id, error: (err as Error).message });
    const m = this.sessions.get(id);
    if (m) await this.end(m, 'failed');
  }
}
