import type { Ari } from '../../ari/client';
import type { AriChannel } from '../../ari/types';
import type { ChannelRef, ChannelTable } from './channels';

export type StasisHandler = (channel: AriChannel, args: string[]) => void;
/** How a channel of a feature went: it left Stasis (StasisEnd), or was destroyed with a Q.850 cause. */
export type ChannelGoneHandler = (channel: AriChannel, ref: ChannelRef, how: 'left' | 'destroyed', cause: number) => void;

/**
 * The one Stasis router. A channel enters the application with the kind of channel as its first
 * argument (the dialplan's Stasis(acd,inbound,...) or our originate's appArgs): its StasisStart goes
 * to the feature that registered that kind. When a channel leaves Stasis or is destroyed, the
 * feature that owns it in the channel table hears of it; channels nobody owns are nobody's concern.
 */
export class StasisRouter {
  private readonly gone = new Map<string, ChannelGoneHandler>();
  private readonly kinds = new Set<string>();

  constructor(private readonly ari: Ari, private readonly table: ChannelTable) {
    ari.onEvent('StasisEnd', (e) => this.channelGone(e.channel, 'left', 0));
    ari.onEvent('ChannelDestroyed', (e) => this.channelGone(e.channel, 'destroyed', e.cause));
  }

  /** StasisStart with this first argument goes to `handler` with the other arguments. */
  route(kind: string, handler: StasisHandler): void {
    if (this.kinds.has(kind)) throw new Error(`Stasis kind ${kind} is routed twice`);
    this.kinds.add(kind);
    this.ari.routeStasis(kind, handler);
  }

  /** Channel-gone events of the channels `feature` owns in the table. */
  onChannelGone(feature: string, handler: ChannelGoneHandler): void {
    if (this.gone.has(feature)) throw new Error(`feature ${feature} registered twice`);
    this.gone.set(feature, handler);
  }

  private channelGone(channel: AriChannel, how: 'left' | 'destroyed', cause: number): void {
    const ref = this.table.get(channel.id);
    if (ref) this.gone.get(ref.feature)?.(channel, ref, how, cause);
  }
}
