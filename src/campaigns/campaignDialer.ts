import { randomUUID } from 'node:crypto';
import { Ari, AriUnavailable } from '../ari/client';
import type { AriChannel } from '../ari/types';
import { APP } from '../calls/callService';
import { dialString } from '../callbacks/numbers';
import { effectivePolicy, evaluate } from '../destinations/policy';
import type { DestinationPolicyOverride } from '../destinations/policy';
import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { CampaignRecord, CampaignStore, DialOutcome, EntryRecord } from '../state/campaignStore';
import type { CampaignOptions } from './campaignService';
import { DialRules } from './dialRules';

/** Ring deadline beyond the phone's own ring time: the Redis timer is a backstop, the leg's end normally comes first. */
const RING_GRACE_MS = 5000;
/** How often waiting entries are looked at again (retries come due, an event missed while ARI was away). */
const SWEEP_MS = 2000;

/** One campaign call this controller is making: agent leg first, then the customer. */
interface Dialing {
  entryId: string; token: string; campaign: CampaignRecord; agentId: string; number: string; name: string;
  agentChannelId: string; customerChannelId?: string; ringbackId: string; bridgeId: string;
  state: 'agent' | 'customer' | 'talking' | 'ending'; talkFrom?: number; log: Logger;
}

/** Q.850 causes of a customer leg that never answered → the campaign outcome. */
function customerOutcome(cause: number): DialOutcome {
  if (cause === 17) return 'busy';
  if (cause === 18 || cause === 19 || cause === 16) return 'no_answer';
  return 'failed';
}

/**
 * The campaign dialing, agent first. When an agent logged in to a campaign is ready (and, with
 * inboundFirst, no caller waits in its queues), one Lua step reserves the agent and the next entry
 * together on the agent's one global state, so an agent never gets two calls, whichever controller
 * or queue races for it. The agent's phone rings showing "Campaign <name>" and the contact's
 * number; on answer the agent hears ringing while the customer is dialed through the outbound route
 * (after the destination policy), and the two are bridged. The entry is handled when the customer
 * answered, not completed otherwise; an agent who does not answer puts the entry back untouched.
 */
export class CampaignDialer {
  private readonly dialing = new Map<string, Dialing>();
  private readonly channels = new Map<string, { entryId: string; role: 'agent' | 'customer' }>();
  private readonly legGone = new Map<string, () => void>();
  /** Agents being looked at now, and those to look at again after (coalesced like the dispatcher's runs). */
  private readonly trying = new Set<string>();
  private readonly again = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly ari: Ari,
    private readonly store: CampaignStore,
    private readonly registry: Registry,
    private readonly rules: DialRules,
    private readonly outboundDial: string,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly online: () => boolean = () => ari.connected,
  ) {
    ari.routeStasis('campaignagent', (channel, [entryId, token]) => void this.agentAnswered(channel, entryId, token)
      .catch((err) => this.log.error('campaign agent leg failed', { entryId, error: (err as Error).message })));
    ari.routeStasis('campaigncustomer', (channel, [entryId, token]) => void this.customerAnswered(channel, entryId, token)
      .catch((err) => this.log.error('campaign customer leg failed', { entryId, error: (err as Error).message })));
    ari.onEvent('StasisEnd', (e) => this.onChannelGone(e.channel.id, 0, 'left'));
    ari.onEvent('ChannelDestroyed', (e) => this.onChannelGone(e.channel.id, e.cause, 'destroyed'));
  }

  start(): void {
    const tick = () => { void this.sweep().finally(() => { this.sweepTimer = setTimeout(tick, SWEEP_MS); this.sweepTimer.unref(); }); };
    this.sweepTimer = setTimeout(tick, SWEEP_MS);
    this.sweepTimer.unref();
  }

  stop(): void { if (this.sweepTimer) clearTimeout(this.sweepTimer); }

  /** What can make a campaign call possible: an agent became ready, logged in or unpaused, a campaign resumed, entries added. */
  onEvent(e: AcdEvent): void {
    const d = e as Record<string, unknown>;
    if (e.type === 'agent.state' && d.state === 'ready') this.tryAgent(String(d.agentId));
    else if (e.type === 'campaign.agent' && d.loggedIn && !d.paused) this.tryAgent(String(d.agentId));
    else if (e.type === 'campaign.entries_added' || (e.type === 'campaign.updated' && (d.campaign as { state?: string } | null)?.state === 'active')) {
      void this.tryCampaign(String(d.campaignId));
    }
  }

  private async tryCampaign(campaignId: string): Promise<void> {
    const { login, paused } = await this.store.logins(campaignId).catch(() => ({ login: {}, paused: {} as Record<string, string> }));
    for (const a of Object.keys(login)) if (!(a in paused)) this.tryAgent(a);
  }

  /** Retries come due and events may have been missed: every active campaign's free agents are looked at. */
  private async sweep(): Promise<void> {
    if (!this.online()) return;
    try {
      for (const id of await this.store.ids()) {
        const c = await this.store.campaign(id);
        if (c?.state !== 'active') continue;
        if ((await this.store.stats(id)).notDialed === 0) continue;
        await this.tryCampaign(id);
      }
    } catch (err) {
      this.log.debug('campaign sweep failed', { error: (err as Error).message });
    }
  }

  tryAgent(agentId: string): void {
    if (this.trying.has(agentId)) { this.again.add(agentId); return; }
    this.trying.add(agentId);
    void (async () => {
      try {
        do {
          this.again.delete(agentId);
          await this.dialFor(agentId);
        } while (this.again.has(agentId));
      } catch (err) {
        this.log.warn('campaign dialing failed', { agentId, error: (err as Error).message });
      } finally {
        this.trying.delete(agentId);
      }
    })();
  }

  /** One reservation attempt per campaign the agent is logged in to, until one takes the agent. */
  private async dialFor(agentId: string): Promise<void> {
    if (!this.online()) return;
    for (const campaignId of await this.store.agentCampaigns(agentId)) {
      const campaign = await this.store.campaign(campaignId);
      if (!campaign || campaign.state !== 'active') continue;
      const token = randomUUID();
      const r = await this.store.reserve(campaignId, agentId, token, Date.now() + campaign.ringTimeoutSec * 1000 + RING_GRACE_MS, this.nodeId, `cc-${token}`);
      if (!r.ok) {
        // the agent is taken (or a caller waits for it): no other campaign can have it either
        if (r.code === 'AGENT_NOT_READY' || r.code === 'INBOUND_WAITING') return;
        continue;
      }
      const entry = await this.store.entry(r.value);
      if (!entry) return;
      await this.ringAgent(campaign, entry, token);
      return;
    }
  }

  private async ringAgent(campaign: CampaignRecord, entry: EntryRecord, token: string): Promise<void> {
    const log = this.log.child({ campaignId: campaign.id, entryId: entry.id, agentId: entry.agentId });
    // the options beyond the product (each off by default) are checked at dial time
    const verdict = await this.rules.check(campaign.options as CampaignOptions, entry);
    if (verdict.action !== 'dial') {
      log.info('campaign entry not dialed now', { action: verdict.action, why: verdict.why });
      await this.store.dialEnd(entry.id, token, verdict.action === 'defer' ? 'deferred' : 'refused',
        { retryAfterMs: verdict.action === 'defer' ? verdict.afterMs : -1 });
      return;
    }
    const d: Dialing = {
      entryId: entry.id, token, campaign, agentId: entry.agentId!, number: entry.number, name: entry.name,
      agentChannelId: `cagent-${token}`, ringbackId: `cring-${token}`, bridgeId: `cbridge-${token}`, state: 'agent', log,
    };
    this.dialing.set(entry.id, d);
    this.channels.set(d.agentChannelId, { entryId: entry.id, role: 'agent' });
    log.info('ringing the agent for a campaign call');
    const label = `${entry.name ? `${entry.name} ` : ''}`.replace(/["<>\\]/g, '').trim();
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${d.agentId}`, channelId: d.agentChannelId, app: APP, appArgs: `campaignagent,${entry.id},${token}`,
        // the phone shows that this is a campaign call, which one, and whom it will call
        callerId: `"Campaign ${campaign.name.replace(/["<>\\]/g, '')}${label ? ` - ${label}` : ''}" <${entry.number}>`,
        timeoutSec: campaign.ringTimeoutSec,
      });
    } catch (err) {
      log.warn('agent phone could not be rung for a campaign call', { error: (err as Error).message });
      // no answer from Asterisk: the phone may ring; the Redis deadline settles it
      if (!(err instanceof AriUnavailable)) {
        this.forget(d);
        await this.store.dialEnd(entry.id, token, 'agent_no_answer', { pauseReason: 'unreachable' });
      }
    }
  }

  private async agentAnswered(channel: AriChannel, entryId: string, token: string): Promise<void> {
    const d = this.dialing.get(entryId);
    if (!d || d.token !== token || d.state !== 'agent') { await this.ari.hangupQuietly(channel.id); return; }
    const r = await this.store.agentAnswered(entryId, token);
    if (!r.ok) { this.forget(d); await this.ari.hangupQuietly(channel.id); return; }
    d.state = 'customer';
    // a REFER from the agent's phone comes to the controller, which ignores it: a campaign call is not transferred by the phone
    void this.ari.setVar(channel.id, 'PJSIP_TRANSFER_HANDLING()', 'ari-only').catch(() => undefined);
    await this.ari.play(channel.id, d.ringbackId, ['tone:ring;tonezone=us']).catch(() => undefined);
    const org = (await this.registry.settings()).outboundPolicy;
    const verdict = evaluate(d.number, effectivePolicy(org, d.campaign.outboundPolicy as DestinationPolicyOverride | undefined));
    if (!verdict.allowed) {
      d.log.warn('campaign number refused by the outbound policy: not dialed', { reason: verdict.reason, rule: verdict.rule });
      await this.attemptOver(d, 'refused');
      return;
    }
    const customerChannelId = `ccust-${token}`;
    d.customerChannelId = customerChannelId;
    this.channels.set(customerChannelId, { entryId, role: 'customer' });
    d.log.info('dialing the campaign customer', { number: d.number });
    try {
      await this.ari.originate({
        endpoint: dialString(this.outboundDial, d.number), channelId: customerChannelId, app: APP,
        appArgs: `campaigncustomer,${entryId},${token}`, callerId: `"${d.campaign.name.replace(/["<>\\]/g, '')}" <>`,
        timeoutSec: d.campaign.dialTimeoutSec, originator: channel.id,
      });
    } catch (err) {
      d.log.warn('campaign customer could not be dialed', { error: (err as Error).message });
      await this.attemptOver(d, 'failed');
    }
  }

  private async customerAnswered(channel: AriChannel, entryId: string, token: string): Promise<void> {
    const d = this.dialing.get(entryId);
    if (!d || d.token !== token || d.state !== 'customer' || d.customerChannelId !== channel.id) { await this.ari.hangupQuietly(channel.id); return; }
    d.state = 'talking';
    d.talkFrom = Date.now();
    await this.ari.stopPlayback(d.ringbackId).catch(() => undefined);
    await this.ari.createBridge(d.bridgeId, 'mixing');
    await this.ari.addChannels(d.bridgeId, [d.agentChannelId, channel.id]);
    await this.store.customerConnected(entryId, token);
    d.log.info('campaign call connected to the customer');
  }

  private onChannelGone(channelId: string, cause: number, how: 'left' | 'destroyed'): void {
    const leg = how === 'destroyed' ? this.legGone.get(channelId) : undefined;
    if (leg) leg();
    const ref = this.channels.get(channelId);
    if (!ref) return;
    const d = this.dialing.get(ref.entryId);
    if (!d) { this.channels.delete(channelId); return; }
    if (ref.role === 'agent') {
      if (d.state === 'agent') {
        if (how === 'destroyed') {
          // the agent did not take it: the customer was never dialed, the entry waits again; the agent
          // is paused in this campaign (not elsewhere) so it is not rung again and again
          this.forget(d);
          const reason = cause === 17 ? 'busy' : cause === 21 ? 'rejected' : cause === 18 || cause === 19 ? 'no-answer' : 'unreachable';
          void this.store.dialEnd(d.entryId, d.token, 'agent_no_answer', { pauseReason: reason })
            .then((r) => d.log.info('campaign call not answered by the agent', { cause, state: r.ok ? r.value : r.code }));
        }
      } else if (d.state !== 'ending') {
        void this.attemptOver(d, d.state === 'talking' ? 'answered' : 'failed', how === 'destroyed');
      }
    } else if (d.state === 'customer' && how === 'destroyed') {
      void this.attemptOver(d, customerOutcome(cause));
    } else if (d.state === 'talking') {
      void this.attemptOver(d, 'answered');
    }
  }

  /**
   * The call is over once the agent answered: the agent hears that the customer was not reached,
   * the legs are hung up, and only once the agent's leg is gone is the entry resolved, which frees
   * the agent (freed earlier, the next call's INVITE could reach a phone still on this one).
   */
  private async attemptOver(d: Dialing, outcome: DialOutcome, agentLegGone = false): Promise<void> {
    if (d.state === 'ending') return;
    const wasTalking = d.state === 'talking';
    d.state = 'ending';
    this.forget(d);
    const talkMs = wasTalking && d.talkFrom ? Date.now() - d.talkFrom : 0;
    const agentGone = agentLegGone ? Promise.resolve(true) : this.waitLegGone(d.agentChannelId, 15_000);
    if (!wasTalking && !agentLegGone) {
      await this.ari.stopPlayback(d.ringbackId).catch(() => undefined);
      await this.ari.play(d.agentChannelId, `cna-${d.token}`, ['sound:number-not-answering']).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2500));
    }
    await Promise.all([
      this.ari.hangupQuietly(d.agentChannelId),
      this.ari.hangupQuietly(d.customerChannelId),
      this.ari.destroyBridge(d.bridgeId).catch(() => undefined),
    ]);
    if (!(await agentGone)) d.log.warn('the agent leg of a campaign call did not end in time: freeing the agent anyway');
    const entry = await this.store.entry(d.entryId);
    const retryAfterMs = entry ? this.rules.retryAfterMs(d.campaign.options as CampaignOptions, outcome, entry.attempts) : -1;
    const r = await this.store.dialEnd(d.entryId, d.token, outcome, {
      talkMs, wrap: this.registry.wrapUpFor(this.registry.findAgent(d.agentId)?.queues[0] ?? '', d.agentId), retryAfterMs,
    });
    d.log.info('campaign call over', { outcome, talkMs, status: r.ok ? r.value : r.code });
  }

  private waitLegGone(channelId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (gone: boolean) => { clearTimeout(t); this.legGone.delete(channelId); resolve(gone); };
      const t = setTimeout(() => done(false), timeoutMs);
      this.legGone.set(channelId, () => done(true));
    });
  }

  private forget(d: Dialing): void {
    this.dialing.delete(d.entryId);
    this.channels.delete(d.agentChannelId);
    if (d.customerChannelId) this.channels.delete(d.customerChannelId);
  }

  /** The ring deadline passed (its controller may have died): the agent is freed, the entry waits again. */
  async ringExpired(entryId: string, token: string): Promise<void> {
    const r = await this.store.dialEnd(entryId, token, 'agent_no_answer', { fromTimer: true, pauseReason: 'no-answer' });
    const d = this.dialing.get(entryId);
    if (r.ok && d?.token === token) {
      this.forget(d);
      await this.ari.hangupQuietly(d.agentChannelId);
    }
  }

  /**
   * After a (re)connect or a restart: campaign calls this controller was making that it no longer
   * follows are settled from what Redis says, never redialed blindly. Still ringing the agent: the
   * customer was never dialed, the entry waits again. The agent had answered: the customer was
   * (being) dialed, so the entry is resolved — handled when they were connected, not completed otherwise.
   */
  async reconcile(): Promise<void> {
    const live = new Set((await this.ari.listChannels()).map((c) => c.id));
    for (const campaignId of await this.store.ids()) {
      const { ids } = await this.store.entryIds(campaignId, 'dialing', 0, 10_000);
      for (const e of await this.store.entries(ids)) {
        if (e.node !== this.nodeId || this.dialing.has(e.id) || !e.token) continue;
        const agentLeg = `cagent-${e.token}`;
        const customerLeg = `ccust-${e.token}`;
        await this.ari.hangupQuietly(live.has(customerLeg) ? customerLeg : undefined);
        await this.ari.hangupQuietly(live.has(agentLeg) ? agentLeg : undefined);
        await this.ari.destroyBridge(`cbridge-${e.token}`).catch(() => undefined);
        const outcome: DialOutcome = e.callState === 'agent_ringing' ? 'lost' : e.callState === 'connected' ? 'answered' : 'failed';
        const talkMs = e.callState === 'connected' && e.connectedAt ? Date.now() - e.connectedAt : 0;
        const r = await this.store.dialEnd(e.id, e.token, outcome, { talkMs });
        this.log.info('campaign call settled on reconcile', { campaignId, entryId: e.id, callState: e.callState, outcome, status: r.ok ? r.value : r.code });
      }
    }
  }
}
