import type { Router } from 'express';
import type { TimerHandler } from '../../timers/timerService';
import type { ChannelGoneHandler, StasisHandler } from './stasisRouter';
import type { OfferSource } from './offers';

/**
 * What a call feature tells the core about itself, once, at start (CallCore.register). The core
 * routes by these and knows no feature by name: adding a feature is its own folder and one
 * `core.register(...)` line in main.ts.
 */
export interface CallFeature {
  /** Unique; the owner name of the feature's channels in the channel table. */
  readonly name: string;
  /** The roles its channels have in the channel table; a channel put there with another role is a programming error. */
  readonly roles?: readonly string[];
  /** StasisStart kinds (first Stasis argument) of the channels this feature creates or receives. */
  readonly stasis?: Record<string, StasisHandler>;
  /** A channel this feature owns (in the channel table) left Stasis or was destroyed. */
  readonly channelGone?: ChannelGoneHandler;
  /** Redis timer kinds this feature fires (timers/timerService.ts), by kind. */
  readonly timers?: Record<string, TimerHandler>;
  /** The feature's HTTP routes under /api/v1 (authenticated; each route checks its permissions). */
  routes?(): Router;
  /** Queue entries of the feature's own kind the dispatcher offers through it. */
  readonly offers?: OfferSource;
  /**
   * After every ARI (re)connect, in registration order: settle what happened while events did not
   * reach us (Asterisk is the truth about channels).
   */
  reconcile?(): Promise<void>;
}
