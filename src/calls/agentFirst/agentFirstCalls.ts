import { AriUnavailable } from '../../ari/client';
import type { Ari } from '../../ari/client';
import type { AriChannel } from '../../ari/types';
import type { Destinations } from '../../destinations/destinations';
import type { Logger } from '../../logger';
import { APP, type CallCore, type CallFeature, type ChannelRef, unansweredOutcome } from '../core';
import type { MediaWaiter } from '../core/media';
import { dialString, dialable } from './numbers';
import type { AgentFirstDialer, AgentFirstHooks, AgentFirstOptions, AgentFirstOutcome, AgentFirstRequest } from './types';

/** One agent-first call being placed on this controller. */
interface Placing {
  req: AgentFirstRequest;
  hooks: AgentFirstHooks;
  agentChannelId: string;
  state: 'ringing-agent' | 'before-dial' | 'dialing' | 'talking' | 'ending';
  customerChannelId?: string;
  ringbackId?: string;
  bridgeId?: string;
  talkFrom?: number;
}

/** How long the agent's leg may take to end after the call is over before the agent is freed anyway. */
const AGENT_LEG_GONE_MS = 15_000;

/**
 * Agent-first outbound calls: the agent's phone rings first (showing what the call is); once the
 * agent answered, the customer's number is checked again by the destination policy and dialed
 * through the outbound route while the agent hears ringback; when the customer answers both are
 * bridged. The placing feature's hooks make the Redis transitions; this module only drives Asterisk.
 */
export class AgentFirstCalls implements AgentFirstDialer, CallFeature {
  readonly name: string;
  readonly roles = ['agent', 'customer'];
  readonly stasis: CallFeature['stasis'];
  private readonly placing = new Map<string, Placing>();
  /** Agent legs whose end (ChannelDestroyed) a finished call waits for before it frees the agent. */
  private readonly legGone = new Map<string, () => void>();

  constructor(
    private readonly core: CallCore,
    private readonly ari: Ari,
    private readonly media: MediaWaiter,
    private readonly destinations: Destinations,
    private readonly opts: AgentFirstOptions,
    private readonly log: Logger,
  ) {
    this.name = opts.name;
    this.stasis = {
      [opts.agentKind]: (channel, [id, token]) => void this.agentAnswered(channel, id, token)
        .catch((err) => this.log.error('agent-first agent leg failed', { id, error: (err as Error).message })),
      [opts.customerKind]: (channel, [id]) => void this.customerAnswered(channel, id)
        .catch((err) => this.log.error('agent-first customer leg failed', { id, error: (err as Error).message })),
    };
    ari.onEvent('ChannelDestroyed', (e) => {
      const leg = this.legGone.get(e.channel.id);
      if (leg) { this.media.releaseChannel(e.channel.id); leg(); }
    });
  }

  isPlacing(id: string): boolean { return this.placing.has(id); }
  agentChannelOf(token: string): string { return `${this.opts.prefix}offer-${token}`; }
  customerChannelOf(token: string): string { return `${this.opts.prefix}cust-${token}`; }

  async start(req: AgentFirstRequest, hooks: AgentFirstHooks): Promise<void> {
    const agentChannelId = this.agentChannelOf(req.token);
    const p: Placing = { req, hooks, agentChannelId, state: 'ringing-agent' };
    this.placing.set(req.id, p);
    this.core.channels.set(agentChannelId, { callId: req.id, feature: this.name, role: 'agent' });
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${req.agentId}`, channelId: agentChannelId, app: APP, appArgs: `${this.opts.agentKind},${req.id},${req.token}`,
        callerId: req.agentCallerId, timeoutSec: req.ringTimeoutSec,
      });
    } catch (err) {
      req.log.warn('agent phone could not be rung', { error: (err as Error).message });
      // Without an answer from Asterisk the phone may ring: the offer's Redis deadline settles it
      if (!(err instanceof AriUnavailable)) { this.forget(p); await hooks.agentNotReached('unreachable', 'unreachable'); }
    }
  }

  async cancel(id: string, token: string): Promise<boolean> {
    const p = this.placing.get(id);
    if (p?.req.token !== token) return false;
    this.forget(p);
    await this.ari.hangupQuietly(p.agentChannelId);
    return true;
  }

  private async agentAnswered(channel: AriChannel, id: string, token: string): Promise<void> {
    const p = this.placing.get(id);
    if (!p || p.req.token !== token || p.state !== 'ringing-agent') { await this.ari.hangupQuietly(channel.id); return; }
    const bridgeId = `${this.opts.prefix}-${token}`;
    if (!(await p.hooks.agentAnswered(bridgeId))) { this.forget(p); await this.ari.hangupQuietly(channel.id); return; }
    p.bridgeId = bridgeId;
    // a REFER from the agent's phone comes to the controller, which refuses it (an agent-first call is
    // not transferred), instead of Asterisk transferring the customer on its own
    void this.ari.setVar(channel.id, 'PJSIP_TRANSFER_HANDLING()', 'ari-only').catch(() => undefined);
    p.state = 'before-dial';
    await p.hooks.beforeDial?.(channel.id);
    if (p.state !== 'before-dial') return;            // the agent hung up meanwhile
    p.state = 'dialing';
    p.ringbackId = `${this.opts.prefix}ring-${token}`;
    await this.ari.play(channel.id, p.ringbackId, ['tone:ring;tonezone=us']).catch(() => undefined);
    // the policy may have changed since the call was asked for
    const verdict = await this.destinations.evaluate(dialable(p.req.number), p.req.policyScope);
    if (!verdict.allowed) {
      p.req.log.warn('number refused by the outbound policy: not dialed', { reason: verdict.reason, rule: verdict.rule });
      await this.over(p, 'refused');
      return;
    }
    const customerChannelId = this.customerChannelOf(token);
    p.customerChannelId = customerChannelId;
    this.core.channels.set(customerChannelId, { callId: id, feature: this.name, role: 'customer' });
    p.req.log.info('dialing the customer', { number: p.req.number });
    try {
      await this.ari.originate({
        endpoint: dialString(this.opts.outboundDial, p.req.number), channelId: customerChannelId, app: APP,
        appArgs: `${this.opts.customerKind},${id}`, callerId: p.req.customerCallerId,
        timeoutSec: p.req.dialTimeoutSec, originator: channel.id,
      });
    } catch (err) {
      p.req.log.warn('customer could not be dialed', { error: (err as Error).message });
      await this.over(p, 'failed');
    }
  }

  private async customerAnswered(channel: AriChannel, id: string): Promise<void> {
    const p = this.placing.get(id);
    if (!p || p.state !== 'dialing' || p.customerChannelId !== channel.id) { await this.ari.hangupQuietly(channel.id); return; }
    p.state = 'talking';
    p.talkFrom = Date.now();
    await this.ari.stopPlayback(p.ringbackId!).catch(() => undefined);
    await this.ari.createBridge(p.bridgeId!, 'mixing');
    await this.ari.addChannels(p.bridgeId!, [p.agentChannelId, channel.id]);
    p.req.log.info('agent and customer connected');
    await p.hooks.customerAnswered?.();
  }

  readonly channelGone: CallFeature['channelGone'] = (channel, ref: ChannelRef, how, cause) => {
    const p = this.placing.get(ref.callId);
    if (!p) { this.core.channels.delete(channel.id); return; }
    this.media.releaseChannel(channel.id);
    if (ref.role === 'agent') {
      if (p.state === 'ringing-agent') {
        if (how === 'destroyed') { const o = unansweredOutcome(cause); this.forget(p); void p.hooks.agentNotReached(o.outcome, o.pauseReason); }
      } else if (p.state !== 'ending') {
        void this.over(p, p.state === 'talking' ? 'answered' : 'agent_hung_up', how === 'destroyed');
      }
    } else if (p.state === 'dialing' && how === 'destroyed') {
      void this.over(p, customerOutcome(cause));
    } else if (p.state === 'talking') {
      void this.over(p, 'answered');
    }
  };

  /**
   * The call is over: tell the agent when the customer was not reached, hang up the legs, and only
   * once the agent's leg is gone report it (which frees the agent). Freed earlier, the next caller's
   * INVITE reached the phone while it still had this call (the prompt lasts about two seconds).
   */
  private async over(p: Placing, outcome: AgentFirstOutcome, agentLegGone = false): Promise<void> {
    if (p.state === 'ending') return;
    const wasTalking = p.state === 'talking';
    p.state = 'ending';
    this.forget(p);
    const talkMs = wasTalking && p.talkFrom ? Date.now() - p.talkFrom : 0;
    // registered before any await: the leg's ChannelDestroyed may be the next event
    const agentGone = agentLegGone ? Promise.resolve(true) : this.waitLegGone(p.agentChannelId, AGENT_LEG_GONE_MS);
    if (!wasTalking && outcome !== 'agent_hung_up' && !agentLegGone) {
      await this.ari.stopPlayback(p.ringbackId ?? '').catch(() => undefined);
      await this.media.playAndWait(p.agentChannelId, ['sound:number-not-answering'], `${this.opts.prefix}na-${p.req.token}`, 10_000);
    }
    await Promise.all([
      this.ari.hangupQuietly(p.agentChannelId),
      this.ari.hangupQuietly(p.customerChannelId),
      p.bridgeId ? this.ari.destroyBridge(p.bridgeId).catch(() => undefined) : undefined,
    ]);
    if (!(await agentGone)) p.req.log.warn('the agent leg did not end in time: freeing the agent anyway');
    await p.hooks.finished(outcome, talkMs);
  }

  /** Resolves true when the channel is destroyed, false after timeoutMs. */
  private waitLegGone(channelId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (gone: boolean) => { clearTimeout(t); this.legGone.delete(channelId); resolve(gone); };
      const t = setTimeout(() => done(false), timeoutMs);
      this.legGone.set(channelId, () => done(true));
    });
  }

  private forget(p: Placing): void {
    this.placing.delete(p.req.id);
    this.core.channels.delete(p.agentChannelId);
    this.core.channels.delete(p.customerChannelId);
  }
}

/** A customer's leg that ended before answer, from its Q.850 cause. */
function customerOutcome(cause: number): AgentFirstOutcome {
  switch (unansweredOutcome(cause).outcome) {
    case 'no-answer': return 'no_answer';
    case 'busy': return 'busy';
    case 'rejected': return 'rejected';
    default: return 'failed';
  }
}
