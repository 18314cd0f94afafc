import { randomUUID } from 'node:crypto';
import type { Ari } from '../../ari/client';
import { callerIdOf } from '../../ari/callerId';
import type { AriChannel } from '../../ari/types';
import { type Destinations, looksLikeNumber } from '../../destinations/destinations';
import { Conflict } from '../../errors';
import type { StateStore } from '../../state/store';
import { APP, type CallCore, type CallSession, type ChannelRef } from '../core';
import type { CallService } from '../queueing/callService';

export const CONFERENCE = 'conference';

interface Party { channelId: string; target: string; joined: boolean }

/**
 * Three-way calls: a third party (a PJSIP endpoint: an extension, an expert's desk, another agent's
 * phone) rung for a connected call and, on answer, added to the call's bridge, where all three hear
 * each other. The parties of each call are this feature's own table.
 */
export class ConferenceService {
  /** Per call: party id → their channel. */
  private readonly parties = new Map<string, Map<string, Party>>();

  constructor(
    private readonly core: CallCore,
    private readonly calls: CallService,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly destinations: Destinations,
  ) {
    // the call ends: its parties are hung up with it
    core.events.on('ending', (s) => {
      for (const p of this.parties.get(s.callId)?.values() ?? []) void this.ari.hangupQuietly(p.channelId);
    });
  }

  async addParty(callId: string, target: string, userId: string, isAgent = false): Promise<string> {
    const s = this.calls.connectedSession(callId);
    if (!isAgent && looksLikeNumber(target)) await this.destinations.check(target, s.queueId, 'three-way call');
    const partyId = randomUUID().slice(0, 8);
    const channelId = `party-${callId}-${partyId}`;
    const parties = this.parties.get(callId) ?? new Map<string, Party>();
    this.parties.set(callId, parties);
    parties.set(partyId, { channelId, target, joined: false });
    this.core.channels.set(channelId, { callId, feature: CONFERENCE, role: 'party', partyId });
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${target}`, channelId, app: APP, appArgs: `party,${callId},${partyId}`,
        callerId: callerIdOf(this.calls.queueOf(s)?.name ?? 'ACD', s.callerNumber), timeoutSec: 30,
      });
    } catch (err) {
      this.remove(callId, partyId);
      this.core.channels.delete(channelId);
      throw new Conflict('PARTY_NOT_REACHED', `could not call ${target}: ${(err as Error).message}`);
    }
    s.log.info('calling a third party', { partyId, target, userId });
    return partyId;
  }

  /** Drop a third party again; the call goes on between caller and agent. */
  async dropParty(callId: string, partyId: string): Promise<void> {
    const s = this.calls.liveSession(callId);
    const p = s && this.parties.get(callId)?.get(partyId);
    if (!s || !p) throw new Conflict('NOT_A_PARTY', `no party ${partyId} in call ${callId}`);
    await this.ari.hangupQuietly(p.channelId);
  }

  // --- Stasis handlers ------------------------------------------------------------------------
  /** StasisStart party,<callId>,<partyId>: the third party answered. */
  async partyAnswered(channel: AriChannel, callId: string, partyId: string): Promise<void> {
    const s = this.calls.liveSession(callId);
    const p = this.parties.get(callId)?.get(partyId);
    if (!s || !p || s.state !== 'connected' || !s.connected) { await this.ari.hangupQuietly(channel.id); return; }
    const r = await this.state.callParty(callId, partyId, 'join', p.target, '');
    if (!r.ok) { await this.ari.hangupQuietly(channel.id); return; }
    p.joined = true;
    await this.ari.addChannels(s.connected.bridgeId, [channel.id]);
    s.log.info('third party joined', { partyId, target: p.target });
  }

  /** A party's channel left or was destroyed. */
  async partyGone(channel: AriChannel, ref: ChannelRef): Promise<void> {
    const s = this.calls.liveSession(ref.callId);
    if (!s) { this.core.channels.delete(channel.id); this.remove(ref.callId, ref.partyId!); return; }
    await this.gone(s, ref.partyId!);
  }

  private async gone(s: CallSession, partyId: string): Promise<void> {
    const p = this.parties.get(s.callId)?.get(partyId);
    if (!p) return;
    this.remove(s.callId, partyId);
    this.core.channels.delete(p.channelId);
    if (p.joined) await this.state.callParty(s.callId, partyId, 'leave', p.target, '');
  }

  private remove(callId: string, partyId: string): void {
    const parties = this.parties.get(callId);
    parties?.delete(partyId);
    if (parties && !parties.size) this.parties.delete(callId);
  }
}
