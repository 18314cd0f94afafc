import type { AccessPolicy } from '../../access/policy';
import type { Ari } from '../../ari/client';
import type { Destinations } from '../../destinations/destinations';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore, CallFeature } from '../core';
import type { CallService } from '../queueing/callService';
import { transferRouter } from './routes';
import { TransferService } from './service';

export { EXTERNAL_TARGET, TransferService } from './service';

/** Blind transfer: the API's and the agent phone's REFER (ChannelTransfer, with PJSIP_TRANSFER_HANDLING ari-only). */
export class TransferFeature implements CallFeature {
  readonly name = 'transfer';
  readonly service: TransferService;

  constructor(core: CallCore, private readonly calls: CallService, ari: Ari, state: StateStore, private readonly registry: Registry,
    destinations: Destinations, private readonly policy: AccessPolicy) {
    this.service = new TransferService(core, calls, ari, state, registry, destinations);
    ari.onEvent('ChannelTransfer', (e) => void this.service.phoneTransfer(e.referred_by.source_channel.id, e.refer_to.requested_destination));
  }

  routes() { return transferRouter(this.service, this.calls, this.registry, this.policy); }
}
