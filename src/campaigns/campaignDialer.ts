import { randomUUID } from 'node:crypto';
import type { Ari } from '../ari/client';
import { callerIdOf } from '../ari/callerId';
import { CoalescedRuns } from '../coalescing/coalescedRuns';
import type { AgentFirstDialer, AgentFirstOutcome } from '../calls/agentFirst';
import { wrapUpFor } from '../calls/wrapUp/policy';
import { effectivePolicy, evaluate } from '../destinations/policy';
import type { DestinationPolicyOverride } from '../destinations/policy';
import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { CampaignRecord, CampaignStore, DialOutcome, EntryRecord } from '../state/campaignStore';
import type { CampaignOptions } from './campaignService';
import { DialRules } from './dialRules';

/** The agent-first legs of campaign calls: ccoffer-<token> (agent), cccust-<token> (customer), bridge cc-<token>. */
export const CAMPAIGN_LEG_PREFIX = 'cc';
/** Ring deadline beyond the phone's own ring time: the Redis timer is a backstop, the leg's end normally comes first. */
const RING_GRACE_MS = 5000;
/** How often waiting entries are looked at again (retries come due, an event missed while ARI was away). */
const SWEEP_MS = 2000;

/** The agent-first outcomes in the campaign's words (docs/campaigns-api.md: Entry.lastOutcome). */
const OUTCOME: Record<AgentFirstOutcome, DialOutcome> = {
  answered: 'answered', no_answer: 'no_answer', busy: 'busy', rejected: 'busy', failed: 'failed', refused: 'refused',
  // the agent hung up before the customer answered: the system tried, the customer was not reached
  agent_hung_up: 'failed',
};

/**
 * The campaign dialing, agent first. When an agent logged in to a campaign is ready (and, with
 * inboundFirst, no caller waits in its queues), one Lua step reserves the agent and the next entry
 * together on the agent's one global state, so an agent never gets two calls, whichever controller
 * or queue races for it. The call itself is the call core's agent-first outbound call
 * (calls/agentFirst): the agent's phone rings showing "Campaign <name>" and the contact's number;
 * on answer the agent hears ringing while the customer is dialed through the outbound route
 * (after the destination policy), and the two are bridged. The entry is handled when the customer
 * answered, not completed otherwise; an agent who does not answer puts the entry back untouched.
 */
export class CampaignDialer {
  /** Per agent, coalesced like the dispatcher's runs: a kick during a look makes one more look after it. */
  private readonly tries = new CoalescedRuns((agentId) => this.dialFor(agentId),
    (agentId, err) => this.log.warn('campaign dialing failed', { agentId, error: err.message }));
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;
  /**
   * False only once a sweep found no campaign at all and no campaign event came since: then an agent
   * who turns ready cannot be in a campaign and costs no read. Any controller's campaign change comes
   * on the event stream before any later agent event, and the sweep (every SWEEP_MS) stays the
   * backstop for missed events, so this holds with several controllers.
   */
  private mayHaveCampaigns = true;
  private campaignEvents = 0;

  constructor(
    private readonly ari: Ari,
    private readonly dialer: AgentFirstDialer,
    private readonly store: CampaignStore,
    private readonly registry: Registry,
    private readonly rules: DialRules,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly online: () => boolean = () => ari.connected,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.sweep().finally(() => { if (!this.stopped) { this.sweepTimer = setTimeout(tick, SWEEP_MS); this.sweepTimer.unref(); } });
    };
    this.sweepTimer = setTimeout(tick, SWEEP_MS);
    this.sweepTimer.unref();
  }

  stop(): void { this.stopped = true; if (this.sweepTimer) clearTimeout(this.sweepTimer); }

  /** What can make a campaign call possible: an agent became ready, logged in or unpaused, a campaign resumed, entries added. */
  onEvent(e: AcdEvent): void {
    const d = e as Record<string, unknown>;
    if (e.type.startsWith('campaign.')) { this.campaignEvents++; this.mayHaveCampaigns = true; }
    if (e.type === 'agent.state' && d.state === 'ready') { if (this.mayHaveCampaigns) this.tryAgent(String(d.agentId)); }
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
      const seen = this.campaignEvents;
      const ids = await this.store.ids();
      if (ids.length === 0 && seen === this.campaignEvents) this.mayHaveCampaigns = false;
      for (const id of ids) {
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
    this.tries.kick(agentId);
  }

  /** One reservation attempt per campaign the agent is logged in to, until one takes the agent. */
  private async dialFor(agentId: string): Promise<void> {
    if (!this.online() || this.stopped) return;
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
      await this.place(campaign, entry, token);
      return;
    }
  }

  private async place(campaign: CampaignRecord, entry: EntryRecord, token: string): Promise<void> {
    const log = this.log.child({ campaignId: campaign.id, entryId: entry.id, agentId: entry.agentId });
    // the options beyond the product (each off by default) are checked at dial time
    const verdict = await this.rules.check(campaign.options as CampaignOptions, entry);
    if (verdict.action !== 'dial') {
      log.info('campaign entry not dialed now', { action: verdict.action, why: verdict.why });
      await this.store.dialEnd(entry.id, token, verdict.action === 'defer' ? 'deferred' : 'refused',
        { retryAfterMs: verdict.action === 'defer' ? verdict.afterMs : -1 });
      return;
    }
    // a campaign's own destination rules (the organisation's are checked again by the agent-first call)
    if (campaign.outboundPolicy) {
      const org = (await this.registry.settings()).outboundPolicy;
      const v = evaluate(entry.number, effectivePolicy(org, campaign.outboundPolicy as DestinationPolicyOverride));
      if (!v.allowed) {
        log.info('campaign number refused by the campaign\'s outbound policy: not dialed', { reason: v.reason, rule: v.rule });
        await this.store.dialEnd(entry.id, token, 'refused');
        return;
      }
    }
    const agentId = entry.agentId!;
    log.info('ringing the agent for a campaign call');
    const contact = entry.name ? ` - ${entry.name}` : '';
    await this.dialer.start({
      id: entry.id, token, agentId, ringTimeoutSec: campaign.ringTimeoutSec, log,
      // the phone shows that this is a campaign call, which one, and whom it will call
      agentCallerId: callerIdOf(`Campaign ${campaign.name}${contact}`.replace(/[<>\\]/g, ''), entry.number),
      number: entry.number, policyScope: '', customerCallerId: callerIdOf(campaign.name.replace(/[<>\\]/g, ''), ''),
      dialTimeoutSec: campaign.dialTimeoutSec,
    }, {
      agentAnswered: async () => (await this.store.agentAnswered(entry.id, token)).ok,
      customerAnswered: async () => { await this.store.customerConnected(entry.id, token); },
      agentNotReached: async (outcome, pauseReason) => {
        // the customer was never dialed: the entry waits again; the agent is paused in this campaign
        // (not elsewhere) so it is not rung again and again
        const r = await this.store.dialEnd(entry.id, token, 'agent_no_answer', { pauseReason: pauseReason ?? outcome });
        log.info('campaign call not answered by the agent', { outcome, state: r.ok ? r.value : r.code });
      },
      finished: async (outcome, talkMs) => {
        const o = OUTCOME[outcome];
        const now = await this.store.entry(entry.id);
        const retryAfterMs = now ? this.rules.retryAfterMs(campaign.options as CampaignOptions, o, now.attempts) : -1;
        const agentQueue = this.registry.findAgent(agentId)?.queues[0] ?? '';
        const r = await this.store.dialEnd(entry.id, token, o, { talkMs, wrap: wrapUpFor(this.registry, agentQueue, agentId), retryAfterMs });
        log.info('campaign call over', { outcome: o, talkMs, status: r.ok ? r.value : r.code });
      },
    });
  }

  /** The ring deadline passed (its controller may have died): the agent is freed, the entry waits again. */
  async ringExpired(entryId: string, token: string): Promise<void> {
    await this.store.dialEnd(entryId, token, 'agent_no_answer', { fromTimer: true, pauseReason: 'no-answer' });
    await this.dialer.cancel(entryId, token);
  }

  /**
   * After a (re)connect or a restart: campaign calls this controller was making that it no longer
   * follows are settled from what Redis says, never redialed blindly. Still ringing the agent: the
   * customer was never dialed, the entry waits again. The agent had answered: the customer was
   * (being) dialed, so the entry is resolved — handled when they were connected, not completed otherwise.
   * `node`: another controller's, dead with its Asterisk and every leg it had up (src/cluster: its
   * takeover), so that its entries do not stay `dialing` until it restarts. The value: how many were settled.
   */
  async reconcile(node = this.nodeId): Promise<number> {
    const mine = node === this.nodeId;
    const live = new Set(mine ? (await this.ari.listChannels()).map((c) => c.id) : []);
    let settled = 0;
    for (const campaignId of await this.store.ids()) {
      const { ids } = await this.store.entryIds(campaignId, 'dialing', 0, 10_000);
      for (const e of await this.store.entries(ids)) {
        if (e.node !== node || (mine && this.dialer.isPlacing(e.id)) || !e.token) continue;
        const customerLeg = this.dialer.customerChannelOf(e.token);
        const agentLeg = this.dialer.agentChannelOf(e.token);
        await this.ari.hangupQuietly(live.has(customerLeg) ? customerLeg : undefined);
        await this.ari.hangupQuietly(live.has(agentLeg) ? agentLeg : undefined);
        if (mine) await this.ari.destroyBridge(`${CAMPAIGN_LEG_PREFIX}-${e.token}`).catch(() => undefined);   // the agent-first call's bridge
        const outcome: DialOutcome = e.callState === 'agent_ringing' ? 'lost' : e.callState === 'connected' ? 'answered' : 'failed';
        const talkMs = e.callState === 'connected' && e.connectedAt ? Date.now() - e.connectedAt : 0;
        const r = await this.store.dialEnd(e.id, e.token, outcome, { talkMs });
        if (r.ok) settled++;
        this.log.info('campaign call settled on reconcile', { campaignId, entryId: e.id, node, callState: e.callState, outcome, status: r.ok ? r.value : r.code });
      }
    }
    return settled;
  }
}
