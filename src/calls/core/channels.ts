/**
 * Which call a channel belongs to, which feature owns it, and as which party. The feature names
 * itself when it puts a channel here (the core knows no feature): channel-gone events of the
 * channel are delivered to that feature, and only to it.
 */
export interface ChannelRef {
  callId: string;
  /** The name the owning feature registered with (CallFeature.name). */
  feature: string;
  /** The channel's part in the call, in the feature's words: 'caller', 'agent', 'party', 'customer'... */
  role: string;
  /** A feature's own sub-id (a conference party's id). */
  partyId?: string;
}

/** The one table from channel id to its call, owner and role, for every channel of every call on this controller. */
export class ChannelTable {
  private readonly refs = new Map<string, ChannelRef>();
  /** The roles each feature registered (CallFeature.roles). */
  private readonly roles = new Map<string, ReadonlySet<string>>();

  /** A feature's channel roles, at registration. */
  declareRoles(feature: string, roles: readonly string[]): void { this.roles.set(feature, new Set(roles)); }

  set(channelId: string, ref: ChannelRef): void {
    if (!this.roles.get(ref.feature)?.has(ref.role)) throw new Error(`feature ${ref.feature} registered no channel role ${ref.role}`);
    this.refs.set(channelId, ref);
  }
  get(channelId: string): ChannelRef | undefined { return this.refs.get(channelId); }
  has(channelId: string): boolean { return this.refs.has(channelId); }
  delete(channelId: string | undefined): void { if (channelId) this.refs.delete(channelId); }
  /** The channels of one call (all owners). */
  ofCall(callId: string): [string, ChannelRef][] { return [...this.refs].filter(([, r]) => r.callId === callId); }
  get size(): number { return this.refs.size; }
}
