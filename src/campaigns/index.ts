import type { AccessPolicy } from '../access/policy';
import type { Ari } from '../ari/client';
import { campaignsRouter } from '../api/routes/campaigns';
import { AgentFirstCalls } from '../calls/agentFirst';
import type { CallCore, CallFeature } from '../calls/core';
import type { MediaWaiter } from '../calls/core/media';
import type { Destinations } from '../destinations/destinations';
import type { CampaignHistory } from '../history/campaignHistory';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { CampaignStore } from '../state/campaignStore';
import type { StateStore } from '../state/store';
import { CAMPAIGN_LEG_PREFIX, CampaignDialer } from './campaignDialer';
import { CampaignService } from './campaignService';
import { DialRules } from './dialRules';

export interface CampaignDeps {
  core: CallCore; ari: Ari; media: MediaWaiter; store: CampaignStore; state: StateStore; registry: Registry;
  destinations: Destinations; policy: AccessPolicy; outboundDial: string; nodeId: string; timeZone: string; importMaxBytes: number; log: Logger;
  /** The history's campaign side and a wait for its writer (absent: no DATABASE_URL). */
  history?: { campaigns: CampaignHistory; catchUp(): Promise<unknown> };
}

/**
 * Campaigns of calls to make (issue #15; the API is docs/campaigns-api.md): settings, agents and
 * entries (service.ts, state in Redis through state/campaignStore.ts), dialed agent first through
 * the call core's agent-first outbound call (campaignDialer.ts), with the ring deadline as a Redis
 * timer and a reconcile after every (re)connect.
 */
export class CampaignsFeature implements CallFeature {
  readonly name = 'campaigns';
  readonly service: CampaignService;
  readonly dialer: CampaignDialer;
  readonly roles: readonly string[];
  readonly stasis: CallFeature['stasis'];
  readonly channelGone: CallFeature['channelGone'];
  readonly timers: CallFeature['timers'];

  constructor(private readonly d: CampaignDeps) {
    const calls = new AgentFirstCalls(d.core, d.ari, d.media, d.destinations,
      { name: this.name, prefix: CAMPAIGN_LEG_PREFIX, agentKind: 'campaignagent', customerKind: 'campaigncustomer', outboundDial: d.outboundDial }, d.log);
    this.roles = calls.roles;
    this.stasis = calls.stasis;
    this.channelGone = calls.channelGone;
    const h = d.history;
    this.service = new CampaignService(d.store, d.state, d.registry, h ? async (ids) => {
      await h.catchUp();
      const now = Date.now();
      const rows = await h.campaigns.missed({ from: new Date(now - 400 * 86_400_000), to: new Date(now + 60_000), timeZone: d.timeZone }, undefined, ids.length, ids);
      return new Map(rows.map((r) => [r.callId, r]));
    } : undefined, d.importMaxBytes);
    this.dialer = new CampaignDialer(d.ari, calls, d.store, d.registry,
      new DialRules(h ? (n, since) => h.campaigns.answeredInboundSince(n, since) : undefined), d.nodeId, d.log);
    this.timers = { campaign: ([entryId, token]) => this.dialer.ringExpired(entryId, token) };
  }

  routes() {
    return campaignsRouter({ campaigns: this.service, store: this.d.store, policy: this.d.policy, history: this.d.history, timeZone: this.d.timeZone });
  }

  async reconcile(): Promise<void> { await this.dialer.reconcile(); }
}
