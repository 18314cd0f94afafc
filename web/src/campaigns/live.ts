import { useEffect, useRef } from 'react';
import type { AcdEvent, LiveStream } from '../live';
import { Campaign, campaigns, CampaignStats, isCampaignEvent } from './client';

/** Every campaign in sight with its figures: loaded once per (re)connect, then kept by the campaign events. */
export interface CampaignBoard { loaded: boolean; campaigns: Record<string, Campaign>; stats: Record<string, CampaignStats> }
export const EMPTY_BOARD: CampaignBoard = { loaded: false, campaigns: {}, stats: {} };

export async function loadCampaignBoard(): Promise<CampaignBoard> {
  const list = await campaigns.list();
  const stats = await Promise.all(list.map((c) => campaigns.stats(c.id).catch(() => undefined)));
  return {
    loaded: true,
    campaigns: Object.fromEntries(list.map((c) => [c.id, c])),
    stats: Object.fromEntries(list.flatMap((c, i) => (stats[i] ? [[c.id, stats[i]!]] : []))),
  };
}

export function applyCampaignEvent(b: CampaignBoard, e: AcdEvent): CampaignBoard {
  if (!isCampaignEvent(e)) return b;
  if (e.type === 'campaign.updated') {
    const cs = { ...b.campaigns };
    if (e.campaign) cs[e.campaignId] = e.campaign; else delete cs[e.campaignId];
    const stats = { ...b.stats };
    if (!e.campaign) delete stats[e.campaignId];
    return { ...b, campaigns: cs, stats };
  }
  if (e.type === 'campaign.stats') return { ...b, stats: { ...b.stats, [e.campaignId]: e.stats } };
  return b;
}

/**
 * Calls `f` once, `ms` after the last of a burst of events it was asked for: a list that can only be
 * read again whole (entries, missed calls) is read once per burst, never polled.
 */
export function useDebounced(f: () => void, ms: number): () => void {
  const timer = useRef(0);
  const fn = useRef(f);
  fn.current = f;
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return () => { window.clearTimeout(timer.current); timer.current = window.setTimeout(() => fn.current(), ms); };
}

/** Subscribes `f` to the stream's events and reconnects (`onConnect`), for the component's life. */
export function useLiveEvents(live: LiveStream, f: (e: AcdEvent) => void, onConnect?: () => void, deps: unknown[] = []) {
  const fn = useRef(f);
  fn.current = f;
  const conn = useRef(onConnect);
  conn.current = onConnect;
  useEffect(() => {
    const off = live.on((e) => fn.current(e));
    const offConnect = live.onConnect(() => conn.current?.());
    return () => { off(); offConnect(); };
  }, [live, ...deps]);
}
