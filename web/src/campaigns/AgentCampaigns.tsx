import { useEffect, useRef, useState } from 'react';
import { useSession } from '../App';
import { percent } from '../format';
import { ErrorLine, Elapsed, useAction } from '../ui';
import { CALL_STATE_LABEL, Campaign, CampaignAgent, CampaignCall, campaigns, CampaignStats, isCampaignEvent } from './client';

export interface Mine { list: Campaign[]; stats: Record<string, CampaignStats>; me: Record<string, CampaignAgent | undefined> }

/**
 * The agent's campaigns (figures and the agent's own login / pause there) and the campaign call it
 * is on, with the contact. Loaded once per (re)connect, then kept by the campaign events; none
 * where the controller has no campaigns (the list answers 404).
 */
export function useAgentCampaigns(me: string): { mine: Mine | null; call: CampaignCall | null } {
  const { live } = useSession();
  const [mine, setMine] = useState<Mine | null>(null);
  const [call, setCall] = useState<CampaignCall | null>(null);
  const callRef = useRef<CampaignCall | null>(null);
  callRef.current = call;
  const mineRef = useRef<Mine | null>(null);
  mineRef.current = mine;

  useEffect(() => {
    let alive = true;
    const loadOne = async (c: Campaign) => {
      const [stats, agents] = await Promise.all([campaigns.stats(c.id).catch(() => undefined), campaigns.agents(c.id).catch(() => [])]);
      return { stats, agent: agents.find((a) => a.agentId === me), calls: await campaigns.calls(c.id).catch(() => []) };
    };
    const load = async () => {
      const list = await campaigns.list().catch(() => null);
      if (!alive) return;
      if (!list) { setMine(null); return; }
      const own = list.filter((c) => c.agents.includes(me));
      const each = await Promise.all(own.map(loadOne));
      if (!alive) return;
      setMine({
        list: own,
        stats: Object.fromEntries(own.flatMap((c, i) => (each[i].stats ? [[c.id, each[i].stats!]] : []))),
        me: Object.fromEntries(own.map((c, i) => [c.id, each[i].agent])),
      });
      const current = each.flatMap((x) => x.calls).find((x) => x.agentId === me);
      setCall(current ? await withDetails(current) : null);
    };
    // a new campaign call of mine: its contact (number, name) from the campaign's calls, details from its entry
    const callStarted = async (campaignId: string, entryId: string) => {
      const found = (await campaigns.calls(campaignId).catch(() => [])).find((x) => x.entryId === entryId);
      if (found && alive) setCall(await withDetails(found));
    };
    const offConnect = live.onConnect(() => void load());
    const off = live.on((e) => {
      if (!isCampaignEvent(e)) return;
      switch (e.type) {
        case 'campaign.updated':
          if (e.campaign && e.campaign.agents.includes(me)) {
            const c = e.campaign;
            // newly assigned: its figures and my state there are read once
            if (mineRef.current && !mineRef.current.list.some((x) => x.id === c.id)) {
              void loadOne(c).then((x) => alive && setMine((m) => m && ({ ...m, stats: x.stats ? { ...m.stats, [c.id]: x.stats } : m.stats, me: { ...m.me, [c.id]: x.agent } })));
            }
            setMine((m) => m && ({ ...m, list: m.list.some((x) => x.id === c.id) ? m.list.map((x) => (x.id === c.id ? c : x)) : [...m.list, c] }));
          } else setMine((m) => (m ? { ...m, list: m.list.filter((x) => x.id !== e.campaignId) } : m));
          break;
        case 'campaign.stats': setMine((m) => (m ? { ...m, stats: { ...m.stats, [e.campaignId]: e.stats } } : m)); break;
        case 'campaign.agent':
          if (e.agentId !== me) break;
          setMine((m) => {
            if (!m) return m;
            const old = m.me[e.campaignId];
            return { ...m, me: { ...m.me, [e.campaignId]: { agentId: me, name: old?.name ?? me, agentState: old?.agentState ?? '', loggedIn: e.loggedIn, paused: e.paused, pauseReason: e.pauseReason } } };
          });
          break;
        case 'campaign.call':
          if (e.agentId !== me) break;
          if (e.state === 'ended') { if (callRef.current?.entryId === e.entryId) setCall(null); break; }
          if (callRef.current?.entryId === e.entryId) setCall({ ...callRef.current, state: e.state });
          else if (e.number) {
            const started: CampaignCall = { entryId: e.entryId, campaignId: e.campaignId, agentId: me, number: e.number, name: e.name, state: e.state, since: e.at };
            setCall(started);
            void withDetails(started).then((x) => { if (alive && callRef.current?.entryId === x.entryId) setCall(x); });
          } else void callStarted(e.campaignId, e.entryId);
          break;
      }
    });
    return () => { alive = false; off(); offConnect(); };
  }, [live, me]);

  return { mine, call };
}

/** The agent's campaign cards; an agent in no campaign sees nothing of them. */
export function AgentCampaigns({ me, mine, reasons }: { me: string; mine: Mine | null; reasons: { code: string; name: string }[] }) {
  const [reason, setReason] = useState('');
  if (!mine || !mine.list.length) return null;
  const r = reason || reasons[0]?.code || 'break';
  return (
    <section aria-label="My campaigns" className="campaigns-mine">
      <div className="row">
        <h2>My campaigns</h2>
        <label>Campaign pause reason <select value={r} onChange={(e) => setReason(e.target.value)}>
          {reasons.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
        </select></label>
      </div>
      <div className="cards">
        {mine.list.map((c) => <CampaignCard key={c.id} me={me} c={c} s={mine.stats[c.id]} mine={mine.me[c.id]} reason={r} />)}
      </div>
    </section>
  );
}

export function CampaignStateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state === 'paused' ? 'paused' : 'ready'}`} data-testid="campaign-state">{state}</span>;
}

async function withDetails(call: CampaignCall): Promise<CampaignCall> {
  if (call.details) return call;
  // the entry being dialed holds the contact's other columns (from the CSV or the missed call)
  const r = await campaigns.entries(call.campaignId, { status: 'dialing', limit: 100 }).catch(() => null);
  const entry = r?.entries.find((x) => x.id === call.entryId);
  return entry ? { ...call, name: call.name ?? entry.name, details: entry.details } : call;
}

function CampaignCard({ me, c, s, mine, reason }: { me: string; c: Campaign; s?: CampaignStats; mine?: CampaignAgent; reason: string }) {
  const act = useAction();
  const run = (what: 'login' | 'logout' | 'ready' | 'pause') => void act.run(() => campaigns.agentAction(c.id, me, what, what === 'pause' ? reason : undefined));
  const myState = !mine?.loggedIn ? 'logged out' : mine.paused ? `paused${mine.pauseReason ? ` (${mine.pauseReason})` : ''}` : 'logged in';
  return (
    <article className="card campaign-card" data-testid={`campaign-card-${c.id}`} aria-label={`Campaign ${c.name}`}>
      <h3>{c.name} <CampaignStateBadge state={c.state} /></h3>
      <dl className="figures">
        <div><dt>Not dialed yet</dt><dd data-testid="not-dialed">{s?.notDialed ?? '–'}</dd></div>
        <div><dt>Dialed</dt><dd data-testid="percent-dialed">{percent(s?.percentDialed)}</dd></div>
        <div><dt>Agents logged in</dt><dd data-testid="agents-logged-in">{s?.agentsLoggedIn ?? '–'}</dd></div>
        <div><dt>Me here</dt><dd data-testid="my-campaign-state" className="small">{myState}</dd></div>
      </dl>
      <div className="row">
        {!mine?.loggedIn && <button type="button" onClick={() => run('login')} aria-label={`Log in to campaign ${c.name}`}>Log in</button>}
        {mine?.loggedIn && !mine.paused && <button type="button" onClick={() => run('pause')} aria-label={`Pause in campaign ${c.name}`}>Pause</button>}
        {mine?.loggedIn && mine.paused && <button type="button" onClick={() => run('ready')} aria-label={`Unpause in campaign ${c.name}`}>Unpause</button>}
        {mine?.loggedIn && <button type="button" onClick={() => run('logout')} aria-label={`Log out of campaign ${c.name}`}>Log out</button>}
      </div>
      <ErrorLine error={act.error} />
    </article>
  );
}

/** The campaign call the agent is on: the campaign, the contact and the contact's details. */
export function CampaignCallPanel({ call, mine }: { call: CampaignCall; mine: Mine | null }) {
  const campaignName = mine?.list.find((c) => c.id === call.campaignId)?.name ?? call.campaignId;
  const details = Object.entries(call.details ?? {}).filter(([, v]) => v !== '');
  return (
    <section className="card campaign-call" aria-label="Current campaign call" data-testid="campaign-call">
      <h2>Campaign {campaignName}: <span data-testid="campaign-call-contact">{call.name ? `${call.name} · ` : ''}{call.number}</span>
        {' '}<span className="badge state-on_call">{CALL_STATE_LABEL[call.state] ?? call.state}</span> <small><Elapsed since={Date.parse(call.since)} /></small></h2>
      {details.length > 0 && (
        <dl className="details" data-testid="campaign-call-details">
          {details.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
        </dl>
      )}
    </section>
  );
}
