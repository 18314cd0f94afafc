import type { AccessPolicy } from '../../access/policy';
import type { Ari } from '../../ari/client';
import type { Destinations } from '../../destinations/destinations';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallCore, CallFeature } from '../core';
import type { CallService } from '../queueing/callService';
import { conferenceRouter } from './routes';
import { CONFERENCE, ConferenceService } from './service';

export { ConferenceService } from './service';

/** Three-way calls: the party legs (Stasis kind 'party', channel role 'party'). */
export class ConferenceFeature implements CallFeature {
  readonly name = CONFERENCE;
  readonly roles = ['party'];
  readonly service: ConferenceService;
  readonly stasis: CallFeature['stasis'];
  readonly channelGone: CallFeature['channelGone'];

  constructor(core: CallCore, private readonly calls: CallService, ari: Ari, state: StateStore, private readonly registry: Registry,
    destinations: Destinations, private readonly policy: AccessPolicy) {
    const svc = this.service = new ConferenceService(core, calls, ari, state, destinations);
    this.stasis = { party: (channel, [callId, partyId]) => void calls.inTurnQuietly(callId, () => svc.partyAnswered(channel, callId, partyId)) };
    this.channelGone = (channel, ref) => void calls.inTurnQuietly(ref.callId, () => svc.partyGone(channel, ref));
  }

  routes() { return conferenceRouter(this.service, this.calls, this.registry, this.policy); }
}
