import type { AccessPolicy } from '../../access/policy';
import type { Ari } from '../../ari/client';
import type { StateStore } from '../../state/store';
import type { CallFeature } from '../core';
import type { CallService } from '../queueing/callService';
import { holdRouter } from './routes';
import { HoldService } from './service';

export { HoldService } from './service';

/** Hold and DTMF: no channels or timers of its own, only routes. */
export class HoldFeature implements CallFeature {
  readonly name = 'hold';
  readonly service: HoldService;

  constructor(private readonly calls: CallService, ari: Ari, state: StateStore, private readonly policy: AccessPolicy) {
    this.service = new HoldService(calls, ari, state);
  }

  routes() { return holdRouter(this.service, this.calls, this.policy); }
}
