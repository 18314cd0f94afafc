import { useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { useSession } from '../App';
import { useLiveState } from '../batch';
import { dateTime, percent } from '../format';
import { Link, navigate } from '../router';
import { Elapsed, ErrorLine, StateBadge, useAction } from '../ui';
import { CampaignStateBadge } from './AgentCampaigns';
import { CampaignForm, PauseResume } from './CampaignForm';
import { CsvImport } from './CsvImport';
import {
  CALL_STATE_LABEL, Campaign, CampaignAgent, CampaignCall, campaigns, CampaignStats, Entry, ENTRY_STATUSES, EntryStatus,
  isCampaignEvent, RefusedEntry, seconds, STATUS_LABEL,
} from './client';
import { applyCampaignEvent, EMPTY_BOARD, loadCampaignBoard, useDebounced, useLiveEvents } from './live';

type Tab = 'overview' | 'entries' | 'agents' | 'calls' | 'settings';
const TABS: [Tab, string][] = [['overview', 'Overview'], ['entries', 'Entries'], ['agents', 'Agents'], ['calls', 'Calls in progress'], ['settings', 'Settings']];

/** One campaign: live figures, its entries, its agents, its calls in progress, its settings. */
export function CampaignPage({ id }: { id: string }) {
  const { live } = useSession();
  const [board] = useLiveState(live, EMPTY_BOARD, loadCampaignBoard, applyCampaignEvent);
  const [tab, setTab] = useState<Tab>('overview');
  const act = useAction();
  const c = board.campaigns[id];
  const others = Object.values(board.campaigns).filter((x) => x.id !== id).sort((a, b) => a.name.localeCompare(b.name));
  if (!board.loaded) return <p className="loading">Loading…</p>;
  if (!c) return <section><h1>No campaign {id}</h1><p><Link to="/campaigns">All campaigns</Link></p></section>;
  return (
    <section className="campaign" data-testid={`campaign-${id}`}>
      <h1><Link to="/campaigns" aria-label="All campaigns">←</Link> Campaign {c.name} <CampaignStateBadge state={c.state} /> <PauseResume c={c} onError={act.setError} /></h1>
      <ErrorLine error={act.error} />
      <div className="tabs" role="tablist" aria-label="Campaign views">
        {TABS.map(([t, label]) => <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>{label}</button>)}
      </div>
      {tab === 'overview' && <Overview s={board.stats[id]} />}
      {tab === 'entries' && <Entries c={c} others={others} />}
      {tab === 'agents' && <Agents c={c} />}
      {tab === 'calls' && <Calls c={c} />}
      {tab === 'settings' && <Settings c={c} />}
    </section>
  );
}

function Overview({ s }: { s?: CampaignStats }) {
  return (
    <section className="panel" aria-label="Overview" data-testid="campaign-overview">
      <div className="dialed-bar">
        <progress max={100} value={s?.percentDialed ?? 0} aria-label="Dialed" />
        <span>{s ? `${s.total - s.notDialed} of ${s.total} dialed` : ''}</span>
      </div>
      <dl className="figures wide">
        <div><dt>Not dialed yet</dt><dd data-testid="stat-not-dialed">{s?.notDialed ?? '–'}</dd></div>
        <div><dt>Dialed</dt><dd data-testid="stat-percent-dialed">{percent(s?.percentDialed)}</dd></div>
        <div><dt>Agents logged in</dt><dd data-testid="stat-agents-logged-in">{s?.agentsLoggedIn ?? '–'}</dd></div>
        <div><dt>Avg handle</dt><dd>{seconds(s?.avgHandleSec)}</dd></div>
        <div><dt>Calls today</dt><dd data-testid="stat-calls-today">{s?.callsToday ?? '–'}</dd></div>
        <div><dt>Entries</dt><dd data-testid="stat-total">{s?.total ?? '–'}</dd></div>
      </dl>
      <h2 className="spaced">By status</h2>
      <dl className="figures wide">
        {ENTRY_STATUSES.map((k) => <div key={k}><dt>{STATUS_LABEL[k]}</dt><dd data-testid={`stat-${k}`}>{s?.byStatus[k] ?? '–'}</dd></div>)}
      </dl>
    </section>
  );
}

const PAGE = 50;

function Entries({ c, others }: { c: Campaign; others: Campaign[] }) {
  const { live } = useSession();
  const [status, setStatus] = useState<EntryStatus | ''>('');
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState<{ entries: Entry[]; total: number } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [target, setTarget] = useState('');
  const [done, setDone] = useState('');
  const act = useAction();
  const load = () => campaigns.entries(c.id, { status, limit: PAGE, offset }).then((d) => {
    setData(d);
    // a selection keeps only what is still shown
    setSelected((sel) => new Set([...sel].filter((x) => d.entries.some((e) => e.id === x))));
  }, act.setError);
  const reload = useDebounced(() => void load(), 300);
  useEffect(() => { void load(); }, [c.id, status, offset]);
  useLiveEvents(live, (e) => {
    if (!isCampaignEvent(e)) return;
    // an entry moved out of this campaign comes under its new campaign's id
    if (e.type === 'campaign.entry' && e.movedFrom === c.id) { reload(); return; }
    if (e.campaignId !== c.id) return;
    if (e.type === 'campaign.entries_added') reload();
    if (e.type === 'campaign.entry' && (e.status === 'deleted' || e.movedFrom)) { reload(); return; }
    if (e.type === 'campaign.entry') {
      const status = e.status as EntryStatus;
      setData((d) => (d && d.entries.some((x) => x.id === e.entryId)
        ? { ...d, entries: d.entries.map((x) => (x.id === e.entryId ? { ...x, status, lastOutcome: e.lastOutcome ?? x.lastOutcome, agentId: e.agentId ?? x.agentId } : x)) }
        : d));
    }
    // entries moved or deleted elsewhere change the total: read the page again
    if (e.type === 'campaign.stats' && !status && data && data.total !== e.stats.total) reload();
  }, () => reload(), [c.id, status]);

  const entries = data?.entries ?? [];
  const all = entries.length > 0 && entries.every((x) => selected.has(x.id));
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const ids = [...selected];
  const bulk = (fn: () => Promise<string>) => act.run(async () => { setDone(await fn()); setSelected(new Set()); await load(); });
  return (
    <section aria-label="Entries" data-testid="campaign-entries">
      <div className="row">
        <label>Status <select value={status} onChange={(e) => { setStatus(e.target.value as EntryStatus | ''); setOffset(0); }} aria-label="Filter by status">
          <option value="">all</option>{ENTRY_STATUSES.map((s) => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}
        </select></label>
        <span className="hint" data-testid="entries-range">{data ? (data.total ? `${offset + 1}–${offset + entries.length} of ${data.total}` : 'no entries') : ''}</span>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
        <button type="button" disabled={!data || offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
      </div>
      <div className="row bulk" role="group" aria-label="Selected entries">
        <span data-testid="selected-count">{ids.length} selected</span>
        <label>Move to <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label="Move to campaign">
          <option value="">choose a campaign…</option>{others.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
        </select></label>
        <button type="button" disabled={!ids.length || !target} onClick={() => void bulk(async () => `Moved ${(await campaigns.moveEntries(c.id, ids, target)).moved}.`)}>Move</button>
        <button type="button" className="danger" disabled={!ids.length}
          onClick={() => { if (confirm(`Delete ${ids.length} entries?`)) void bulk(async () => `Deleted ${(await campaigns.deleteEntries(c.id, ids)).deleted}.`); }}>Delete selected</button>
        {done && <span className="ok" role="status">{done}</span>}
      </div>
      <table>
        <thead><tr>
          <th><input type="checkbox" aria-label="Select all shown" checked={all} onChange={() => setSelected(all ? new Set() : new Set(entries.map((x) => x.id)))} /></th>
          <th>Number</th><th>Name</th><th>Status</th><th>Source</th><th>Attempts</th><th>Last outcome</th><th>Agent</th><th>Added</th><th>Details</th><th></th>
        </tr></thead>
        <tbody>
          {entries.map((x) => (
            <tr key={x.id} data-testid={`entry-${x.number}`}>
              <td><input type="checkbox" aria-label={`Select ${x.number}`} checked={selected.has(x.id)} onChange={() => toggle(x.id)} /></td>
              <td>{x.number}</td><td>{x.name ?? ''}</td>
              <td data-testid="entry-status"><span className={`badge entry-${x.status}`}>{STATUS_LABEL[x.status]}</span></td>
              <td>{x.source}</td><td>{x.attempts}</td><td>{x.lastOutcome?.replace('_', ' ') ?? ''}</td><td>{x.agentId ?? ''}</td>
              <td>{dateTime(x.addedAt)}</td>
              <td className="details-cell">{Object.entries(x.details ?? {}).map(([k, v]) => `${k}: ${v}`).join(' · ')}</td>
              <td><button type="button" className="danger" aria-label={`Delete ${x.number}`} onClick={() => void act.run(async () => { await campaigns.deleteEntry(c.id, x.id); await load(); })}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={act.error} />
      <div className="two-columns">
        <AddEntry c={c} onAdded={() => void load()} />
        <CsvImport c={c} onImported={() => void load()} />
      </div>
    </section>
  );
}

function AddEntry({ c, onAdded }: { c: Campaign; onAdded: () => void }) {
  const act = useAction();
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [refused, setRefused] = useState<RefusedEntry | null>(null);
  const add = () => act.run(async () => {
    const r = await campaigns.addEntries(c.id, [{ number, ...(name ? { name } : {}) }]);
    setRefused(r.refused[0] ?? null);
    if (r.added.length) { setNumber(''); setName(''); onAdded(); }
  });
  return (
    <form className="panel" aria-label="Add an entry" onSubmit={(e) => { e.preventDefault(); void add(); }}>
      <h2>Add one by hand</h2>
      <div className="row">
        <label className="field"><span className="label">Number</span><input value={number} onChange={(e) => setNumber(e.target.value)} inputMode="tel" required aria-label="Number" /></label>
        <label className="field"><span className="label">Name</span><input value={name} onChange={(e) => setName(e.target.value)} aria-label="Name" /></label>
        <button type="submit" disabled={act.busy}>Add</button>
      </div>
      {refused && <p className="error" role="alert" data-testid="add-refused">Refused {refused.value}: {refused.reason} ({refused.code})</p>}
      <ErrorLine error={act.error} />
    </form>
  );
}

function Agents({ c }: { c: Campaign }) {
  const { live } = useSession();
  const [list, setList] = useState<CampaignAgent[]>([]);
  const [all, setAll] = useState<{ id: string; name: string }[]>([]);
  const [reasons, setReasons] = useState<{ code: string; name: string }[]>([]);
  const [reason, setReason] = useState('');
  const [pick, setPick] = useState('');
  const act = useAction();
  const load = () => campaigns.agents(c.id).then(setList, act.setError);
  useEffect(() => {
    void api('GET', '/agents').then((r) => setAll(r.agents.map((a: any) => ({ id: a.id, name: a.name }))), () => undefined);
    void api('GET', '/pause-reasons').then((r) => setReasons(r.pauseReasons), () => undefined);
  }, []);
  const reload = useDebounced(() => void load(), 200);
  useLiveEvents(live, (e) => {
    if (e.type === 'agent.state') setList((l) => l.map((a) => (a.agentId === e.agentId ? { ...a, agentState: e.state } : a)));
    if (!isCampaignEvent(e) || e.campaignId !== c.id) return;
    if (e.type === 'campaign.agent') {
      if (list.some((a) => a.agentId === e.agentId)) setList((l) => l.map((a) => (a.agentId === e.agentId ? { ...a, loggedIn: e.loggedIn, paused: e.paused, pauseReason: e.pauseReason } : a)));
      else reload();
    }
    // assignments changed
    if (e.type === 'campaign.updated' && e.campaign && e.campaign.agents.join() !== list.map((a) => a.agentId).join()) reload();
  }, () => void load(), [c.id]);
  const r = reason || reasons[0]?.code || 'break';
  const assigned = new Set(list.map((a) => a.agentId));
  const free = all.filter((a) => !assigned.has(a.id));
  const run = (fn: () => Promise<unknown>) => act.run(async () => { await fn(); });
  return (
    <section className="panel" aria-label="Campaign agents" data-testid="campaign-agents">
      <div className="row">
        <label>Assign <select value={pick} onChange={(e) => setPick(e.target.value)} aria-label="Agent to assign">
          <option value="">choose an agent…</option>{free.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.id})</option>)}
        </select></label>
        <button type="button" disabled={!pick} onClick={() => void run(async () => { setList(await campaigns.assign(c.id, pick)); setPick(''); })}>Assign</button>
        <label>Pause reason <select value={r} onChange={(e) => setReason(e.target.value)}>{reasons.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}</select></label>
      </div>
      <table>
        <thead><tr><th>Agent</th><th>State</th><th>In this campaign</th><th>Actions</th></tr></thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.agentId} data-testid={`campaign-agent-${a.agentId}`}>
              <td>{a.name} <small className="hint">{a.agentId}</small></td>
              <td><StateBadge state={a.agentState || 'logged_out'} /></td>
              <td data-testid="campaign-agent-state">{!a.loggedIn ? 'logged out' : a.paused ? `paused${a.pauseReason ? ` (${a.pauseReason})` : ''}` : 'logged in'}</td>
              <td className="actions">
                {!a.loggedIn && <button type="button" aria-label={`Log in ${a.name}`} onClick={() => void run(() => campaigns.agentAction(c.id, a.agentId, 'login'))}>Log in</button>}
                {a.loggedIn && !a.paused && <button type="button" aria-label={`Pause ${a.name}`} onClick={() => void run(() => campaigns.agentAction(c.id, a.agentId, 'pause', r))}>Pause</button>}
                {a.loggedIn && a.paused && <button type="button" aria-label={`Unpause ${a.name}`} onClick={() => void run(() => campaigns.agentAction(c.id, a.agentId, 'ready'))}>Unpause</button>}
                {a.loggedIn && <button type="button" aria-label={`Log out ${a.name}`} onClick={() => void run(() => campaigns.agentAction(c.id, a.agentId, 'logout'))}>Log out</button>}
                <button type="button" className="danger" aria-label={`Remove ${a.name}`} onClick={() => void run(async () => setList(await campaigns.unassign(c.id, a.agentId)))}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length === 0 && <p className="hint">No agent is assigned to this campaign.</p>}
      <ErrorLine error={act.error} />
    </section>
  );
}

function Calls({ c }: { c: Campaign }) {
  const { live } = useSession();
  const [calls, setCalls] = useState<CampaignCall[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const load = () => campaigns.calls(c.id).then((x) => { setCalls(x); setError(null); }, setError);
  const reload = useDebounced(() => void load(), 200);
  useEffect(() => { void api('GET', '/agents').then((r) => setNames(Object.fromEntries(r.agents.map((a: any) => [a.id, a.name]))), () => undefined); }, []);
  useLiveEvents(live, (e) => {
    if (e.type !== 'campaign.call' || e.campaignId !== c.id) return;
    if (e.state === 'ended') setCalls((l) => l.filter((x) => x.entryId !== e.entryId));
    else if (calls.some((x) => x.entryId === e.entryId)) setCalls((l) => l.map((x) => (x.entryId === e.entryId ? { ...x, state: e.state as CampaignCall['state'] } : x)));
    else if (e.number) setCalls((l) => [...l, { entryId: e.entryId, campaignId: c.id, agentId: e.agentId, number: e.number!, name: e.name, state: e.state as CampaignCall['state'], since: e.at }]);
    else reload();
  }, () => void load(), [c.id]);
  return (
    <section className="panel" aria-label="Calls in progress" data-testid="campaign-calls">
      <table>
        <thead><tr><th>Contact</th><th>Agent</th><th>State</th><th>Since</th></tr></thead>
        <tbody>
          {calls.map((x) => (
            <tr key={x.entryId} data-testid={`campaign-call-${x.entryId}`}>
              <td>{x.name ? `${x.name} · ` : ''}{x.number}</td><td>{names[x.agentId] ?? x.agentId}</td>
              <td><span className="badge state-on_call">{CALL_STATE_LABEL[x.state] ?? x.state}</span></td><td><Elapsed since={Date.parse(x.since)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {calls.length === 0 && <p className="hint">No campaign call in progress.</p>}
      <ErrorLine error={error} />
    </section>
  );
}

function Settings({ c }: { c: Campaign }) {
  const act = useAction();
  return (
    <section className="panel" aria-label="Settings">
      <CampaignForm key={c.id} initial={c} submitLabel="Save" onSubmit={(input) => campaigns.update(c.id, { name: input.name, inboundFirst: input.inboundFirst, options: input.options })} />
      <p>Created {dateTime(c.createdAt)}.</p>
      <button type="button" className="danger" onClick={() => {
        if (confirm(`Delete campaign ${c.name} and all its entries?`)) void act.run(async () => { await campaigns.remove(c.id); navigate('/campaigns'); });
      }}>Delete campaign</button>
      {!(act.error instanceof ApiError && act.error.status === 422) && <ErrorLine error={act.error} />}
    </section>
  );
}
