import type { AccessPolicy } from '../../access/policy';
import type { Ari } from '../../ari/client';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore, CallFeature } from '../core';
import type { CallService } from '../queueing/callService';
import { parkingRouter } from './routes';
import { ParkService } from './service';

export { ParkService } from './service';

/** Park: its timer kind 'park' (the slot's timeout) and its routes; the parked caller stays the queueing feature's channel. */
export class ParkFeature implements CallFeature {
  readonly name = 'park';
  readonly service: ParkService;
  readonly timers: CallFeature['timers'];

  constructor(core: CallCore, private readonly calls: CallService, ari: Ari, private readonly state: StateStore, registry: Registry,
    private readonly policy: AccessPolicy) {
    const svc = this.service = new ParkService(core, calls, ari, state, registry);
    this.timers = { park: ([callId]) => svc.unpark(callId, '', true).catch(() => undefined) };
  }

  routes() { return parkingRouter(this.service, this.calls, this.state, this.policy); }
}
