import type { AccessPolicy } from '../../access/policy';
import type { CallFeature } from '../core';
import type { CallService } from './callService';
import { hangupRouter } from './routes';

export { CallService, QUEUEING } from './callService';
export { Dispatcher } from './dispatcher';
export { WaitingPolicy } from './waitingPolicy';

/** Queueing and offers as registered with the core: CallService's Stasis kinds, channels, offer timer and reconcile, and the hang-up route. */
export function queueingFeature(calls: CallService, policy: AccessPolicy): CallFeature {
  return {
    name: calls.name, roles: calls.roles, stasis: calls.stasis, channelGone: calls.channelGone, timers: calls.timers,
    reconcile: () => calls.reconcile(), routes: () => hangupRouter(calls, policy),
  };
}
