import { useState } from 'react';
import { useSession } from '../App';
import { useLiveState } from '../batch';
import { clock } from '../format';
import { ErrorLine, useAction } from '../ui';
import { campaigns, MissedCall, RefusedEntry, seconds } from './client';
import { applyCampaignEvent, EMPTY_BOARD, loadCampaignBoard, useDebounced, useLiveEvents } from './live';

/**
 * Today's missed calls (callers who abandoned or timed out and were not answered later) as cards, to
 * add to a campaign one at a time or many at once. Read again when a caller gives up or entries are
 * added (the history writes the row just after the event, hence the short wait), never polled.
 */
export default function MissedCalls({ qname }: { qname: (q: string) => string }) {
  const { live } = useSession();
  const [board] = useLiveState(live, EMPTY_BOARD, loadCampaignBoard, applyCampaignEvent);
  const [missed, setMissed] = useState<MissedCall[] | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [target, setTarget] = useState('');
  const [done, setDone] = useState<{ added: number; refused: RefusedEntry[]; to: string } | null>(null);
  const act = useAction();
  const load = () => campaigns.missed().then((m) => {
    setMissed(m);
    setSelected((s) => new Set([...s].filter((x) => m.some((c) => c.callId === x))));
  }, act.setError);
  const soon = useDebounced(() => void load(), 1500);
  const now = useDebounced(() => void load(), 200);
  useLiveEvents(live, (e) => {
    if (e.type === 'call.abandoned' || e.type === 'call.overflowed') soon();
    if (e.type === 'campaign.entries_added') now();
  }, () => void load());

  const list = board.campaigns;
  const names = Object.values(list).sort((a, b) => a.name.localeCompare(b.name));
  const to = target && list[target] ? target : names[0]?.id ?? '';
  const add = (ids: string[]) => act.run(async () => {
    const r = await campaigns.addMissed(to, ids);
    setDone({ added: r.added.length, refused: r.refused, to });
    setSelected(new Set());
    await load();
  });
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const cards = missed ?? [];
  return (
    <section aria-label="Missed calls" className="missed" data-testid="missed-calls">
      <h2>Missed calls today</h2>
      <div className="row" role="group" aria-label="Add missed calls to a campaign">
        <label>Campaign <select value={to} onChange={(e) => setTarget(e.target.value)} aria-label="Campaign to add to">
          {names.length === 0 && <option value="">no campaign yet</option>}
          {names.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select></label>
        <button type="button" disabled={!to || selected.size === 0} onClick={() => void add([...selected])}>Add selected ({selected.size}) to campaign</button>
        <button type="button" disabled={!cards.length} onClick={() => setSelected(selected.size === cards.length ? new Set() : new Set(cards.map((m) => m.callId)))}>
          {selected.size === cards.length && cards.length ? 'Select none' : 'Select all'}</button>
        {done && <span className="ok" role="status" data-testid="missed-added">Added {done.added} to {list[done.to]?.name ?? done.to}.</span>}
      </div>
      {done && done.refused.length > 0 && (
        <ul className="error" role="alert">{done.refused.map((r) => <li key={r.index}>{r.value}: {r.reason} ({r.code})</li>)}</ul>
      )}
      <div className="cards">
        {cards.map((m) => {
          const inTo = m.campaignIds.includes(to);
          return (
            <article key={m.callId} className={`card missed-card${selected.has(m.callId) ? ' selected' : ''}`} data-testid={`missed-${m.callId}`} aria-label={`Missed call from ${m.number}`}>
              <h3><label className="check"><input type="checkbox" checked={selected.has(m.callId)} onChange={() => toggle(m.callId)} aria-label={`Select ${m.number}`} /> {m.name ? `${m.name} · ` : ''}{m.number}</label></h3>
              <dl className="figures">
                <div><dt>Queue</dt><dd className="small">{qname(m.queueId)}</dd></div>
                <div><dt>At</dt><dd className="small">{clock(m.at)}</dd></div>
                <div><dt>Waited</dt><dd className="small">{seconds(m.waitedSec)}</dd></div>
                <div><dt>Outcome</dt><dd className="small">{m.outcome === 'timeout' ? 'timed out' : 'abandoned'}</dd></div>
              </dl>
              {m.campaignIds.length > 0 && <p className="hint" data-testid="missed-in">In {m.campaignIds.map((id) => list[id]?.name ?? id).join(', ')}</p>}
              <button type="button" disabled={!to || inTo} onClick={() => void add([m.callId])}>{inTo ? 'In this campaign' : 'Add to campaign'}</button>
            </article>
          );
        })}
      </div>
      {missed && cards.length === 0 && <p className="hint">No missed call today.</p>}
      <ErrorLine error={act.error} />
    </section>
  );
}
