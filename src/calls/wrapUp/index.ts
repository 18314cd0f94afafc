import type { AccessPolicy } from '../../access/policy';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallFeature } from '../core';
import { wrapUpRouter } from './routes';
import { WrapUpService } from './service';

export { wrapUpFor } from './policy';
export { WrapUpService } from './service';

/** Wrap-up (after-call work): its deadline timer and the extend/end routes. */
export class WrapUpFeature implements CallFeature {
  readonly name = 'wrap-up';
  readonly service: WrapUpService;
  readonly timers: CallFeature['timers'];

  constructor(registry: Registry, state: StateStore, private readonly policy: AccessPolicy) {
    const svc = this.service = new WrapUpService(registry, state);
    this.timers = { wrapup: ([agentId, token]) => svc.deadline(agentId, token) };
  }

  routes() { return wrapUpRouter(this.service, this.policy); }
}
