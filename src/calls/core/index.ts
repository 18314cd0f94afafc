import type { Router } from 'express';
import type { Ari } from '../../ari/client';
import { TypedEmitter } from '../../events/typedEmitter';
import type { Logger } from '../../logger';
import type { TimerHandler } from '../../timers/timerService';
import type { CallEventMap } from './call';
import { ChannelTable } from './channels';
import { SerialExecutor } from './executor';
import type { CallFeature } from './feature';
import type { OfferSource } from './offers';
import { StasisRouter } from './stasisRouter';

export type { CallEventMap, CallSession, ConnectedCall } from './call';
export type { ChannelRef } from './channels';
export type { CallFeature } from './feature';
export type { OfferResult, OfferSource } from './offers';
export type { ChannelGoneHandler, StasisHandler } from './stasisRouter';
export { ChannelTable } from './channels';
export { SerialExecutor } from './executor';
export { StasisRouter } from './stasisRouter';
export { unansweredOutcome } from './outcome';

/** The ARI application every channel of ours enters. */
export const APP = 'acd';

/**
 * The call core: the one channel table, the per-call serial executor, the Stasis router and the
 * typed lifecycle events, and the features registered with it (their Stasis kinds, channel-gone
 * handlers, timer kinds, HTTP routes, offer sources and reconcile steps). Built once in main.ts;
 * features get it in their constructor.
 */
export class CallCore {
  readonly channels = new ChannelTable();
  readonly executor: SerialExecutor;
  readonly events = new TypedEmitter<CallEventMap>();
  readonly stasis: StasisRouter;
  private readonly features: CallFeature[] = [];

  constructor(readonly ari: Ari, log: Logger) {
    this.executor = new SerialExecutor(log);
    this.stasis = new StasisRouter(ari, this.channels);
  }

  register(feature: CallFeature): this {
    if (this.features.some((f) => f.name === feature.name)) throw new Error(`call feature ${feature.name} registered twice`);
    const kinds = new Set(this.features.flatMap((f) => Object.keys(f.timers ?? {})));
    for (const kind of Object.keys(feature.timers ?? {})) if (kinds.has(kind)) throw new Error(`timer kind ${kind} registered twice`);
    this.features.push(feature);
    this.channels.declareRoles(feature.name, feature.roles ?? []);
    for (const [kind, handler] of Object.entries(feature.stasis ?? {})) this.stasis.route(kind, handler);
    if (feature.channelGone) this.stasis.onChannelGone(feature.name, feature.channelGone);
    return this;
  }

  /** Every registered feature's timer kinds, for the TimerService. */
  timerHandlers(): Record<string, TimerHandler> {
    return Object.assign({}, ...this.features.map((f) => f.timers ?? {}));
  }

  /** Every registered feature's routes, in registration order. */
  routers(): Router[] {
    return this.features.flatMap((f) => (f.routes ? [f.routes()] : []));
  }

  /** The source that owns a queue entry that is not a waiting caller, if any. */
  offerSourceFor(entryId: string): OfferSource | undefined {
    for (const f of this.features) if (f.offers?.isMine(entryId)) return f.offers;
    return undefined;
  }

  /** Each feature's reconcile, in registration order (after an ARI (re)connect). */
  async reconcile(): Promise<void> {
    for (const f of this.features) await f.reconcile?.();
  }

  /** The names of the registered features (diagnostics, tests). */
  get featureNames(): string[] { return this.features.map((f) => f.name); }
}
