import type { AccessPolicy } from '../access/policy';
import type { Ari } from '../ari/client';
import type { Destinations } from '../destinations/destinations';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { AgentFirstCalls } from '../calls/agentFirst';
import type { CallCore, CallFeature } from '../calls/core';
import type { MediaWaiter } from '../calls/core/media';
import type { CallService } from '../calls/queueing/callService';
import { CallbackIvr } from './ivr';
import { CallbackRequests } from './requests';
import { callbacksRouter } from './routes';
import { CallbackServing } from './serving';

export { CALLBACK_PREFIX, isCallback } from './ids';
export type { CallbackView } from './requests';

export interface CallbackDeps {
  core: CallCore; ari: Ari; media: MediaWaiter; state: StateStore; registry: Registry; calls: CallService;
  destinations: Destinations; policy: AccessPolicy; outboundDial: string; nodeId: string; offerGraceMs: number; log: Logger;
}

/**
 * Callback requests that keep the caller's place in line: taken in the waiting caller's IVR
 * (ivr.ts) or through the API (requests.ts, routes.ts), served agent-first (serving.ts over
 * calls/agentFirst), with the timers of their due time and preferred-agent window.
 */
export class CallbacksFeature implements CallFeature {
  readonly name = 'callbacks';
  readonly roles: readonly string[];
  readonly ivr: CallbackIvr;
  readonly serving: CallbackServing;
  readonly requests: CallbackRequests;
  readonly offers: CallbackServing;
  readonly stasis: CallFeature['stasis'];
  readonly channelGone: CallFeature['channelGone'];
  readonly timers: CallFeature['timers'];

  constructor(private readonly d: CallbackDeps) {
    const dialer = new AgentFirstCalls(d.core, d.ari, d.media, d.destinations,
      { name: this.name, prefix: 'cb', agentKind: 'cbagent', customerKind: 'customer', outboundDial: d.outboundDial }, d.log);
    this.roles = dialer.roles;
    this.stasis = dialer.stasis;
    this.channelGone = dialer.channelGone;
    this.ivr = new CallbackIvr(d.core, d.ari, d.media, d.state, d.registry, d.calls, d.destinations, d.log);
    this.serving = this.offers = new CallbackServing(d.core, d.ari, d.media, dialer, d.state, d.registry, d.nodeId, d.offerGraceMs, d.log);
    this.requests = new CallbackRequests(d.ari, d.state, d.registry, d.destinations);
    this.timers = {
      callback: async ([id]) => { await d.state.callbackDue(id); },
      prefer: async ([id]) => { await d.state.callbackPreferEnd(id); },
    };
  }

  routes() { return callbacksRouter(this.requests, this.d.policy, (q) => Boolean(this.d.registry.findQueue(q))); }

  async reconcile(): Promise<void> { await this.serving.reconcile(); }
}
