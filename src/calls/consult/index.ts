import type { AccessPolicy } from '../../access/policy';
import type { Ari } from '../../ari/client';
import type { Destinations } from '../../destinations/destinations';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore, CallFeature } from '../core';
import type { HoldService } from '../hold/service';
import type { CallService } from '../queueing/callService';
import { consultRouter } from './routes';
import { CONSULT, ConsultService } from './service';

export { ConsultService } from './service';

/** Attended transfer: the consulted target's leg (Stasis kind 'consult', channel role 'consult'). */
export class ConsultFeature implements CallFeature {
  readonly name = CONSULT;
  readonly roles = ['consult'];
  readonly service: ConsultService;
  readonly stasis: CallFeature['stasis'];
  readonly channelGone: CallFeature['channelGone'];

  constructor(core: CallCore, private readonly calls: CallService, hold: HoldService, ari: Ari, state: StateStore,
    private readonly registry: Registry, destinations: Destinations, private readonly policy: AccessPolicy) {
    const svc = this.service = new ConsultService(core, calls, hold, ari, state, registry, destinations);
    this.stasis = { consult: (channel, [callId, consultId]) => void calls.inTurnQuietly(callId, () => svc.answered(channel, callId, consultId)) };
    this.channelGone = (channel, ref) => void calls.inTurnQuietly(ref.callId, () => svc.gone(channel, ref));
  }

  routes() { return consultRouter(this.service, this.calls, this.registry, this.policy); }
}
