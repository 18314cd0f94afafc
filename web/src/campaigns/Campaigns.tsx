import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { enc } from '../api';
import { useSession } from '../App';
import { useLiveState } from '../batch';
import { percent } from '../format';
import { Link, navigate } from '../router';
import { ErrorLine, useAction } from '../ui';
import { CampaignStateBadge } from './AgentCampaigns';
import { campaigns } from './client';
import { CampaignForm, PauseResume } from './CampaignForm';
import { applyCampaignEvent, EMPTY_BOARD, loadCampaignBoard } from './live';
import { CampaignPage } from './CampaignPage';

/** /campaigns (the list, create) and /campaigns/<id> (one campaign's page). */
export default function CampaignsRoute({ path }: { path: string }) {
  const m = /^\/campaigns\/([^/]+)$/.exec(path);
  if (m) return <CampaignPage id={decodeURIComponent(m[1])} />;
  return <CampaignList />;
}

function CampaignList() {
  const { live } = useSession();
  const [board] = useLiveState(live, EMPTY_BOARD, loadCampaignBoard, applyCampaignEvent);
  const act = useAction();
  const [creating, setCreating] = useState(false);
  const list = Object.values(board.campaigns).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section className="campaigns">
      <h1>Campaigns {!creating && <button type="button" onClick={() => setCreating(true)}>+ New campaign</button>}</h1>
      {creating && (
        <div className="panel">
          <h2>New campaign</h2>
          <CampaignForm submitLabel="Create campaign" onCancel={() => setCreating(false)}
            onSubmit={async (input) => { const c = await campaigns.create(input); setCreating(false); navigate(`/campaigns/${enc(c.id)}`); }} />
        </div>
      )}
      <table>
        <thead><tr><th>Campaign</th><th>State</th><th>Agents assigned</th><th>Agents logged in</th><th>Not dialed</th><th>Dialed</th><th>Calls today</th><th>Actions</th></tr></thead>
        <tbody>
          {list.map((c) => {
            const s = board.stats[c.id];
            return (
              <tr key={c.id} data-testid={`campaign-row-${c.id}`}>
                <td><Link to={`/campaigns/${enc(c.id)}`}>{c.name}</Link> <small className="hint">{c.id}</small></td>
                <td><CampaignStateBadge state={c.state} /></td>
                <td>{c.agents.length}</td>
                <td>{s?.agentsLoggedIn ?? '–'}</td>
                <td data-testid="not-dialed">{s?.notDialed ?? '–'}</td>
                <td>{percent(s?.percentDialed)}</td>
                <td>{s?.callsToday ?? '–'}</td>
                <td className="actions"><PauseResume c={c} onError={act.setError} />
                  <button type="button" className="danger" aria-label={`Delete campaign ${c.name}`}
                    onClick={() => { if (confirm(`Delete campaign ${c.name} and all its entries?`)) void act.run(() => campaigns.remove(c.id)); }}>Delete</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {board.loaded && list.length === 0 && <p className="hint">No campaigns yet.</p>}
      <ErrorLine error={act.error} />
      <DoNotCall />
    </section>
  );
}

/** The do-not-call list (one number a line), checked at dial time by the campaigns with that option. */
function DoNotCall() {
  const act = useAction();
  const [numbers, setNumbers] = useState<string[] | null>(null);
  const [text, setText] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => { void campaigns.doNotCall().then((n) => { setNumbers(n); setText(n.join('\n')); }, () => setNumbers(null)); }, []);
  if (!numbers) return null;
  const lines = text.split('\n');
  const save = () => act.run(async () => {
    setSaved(false);
    const n = await campaigns.setDoNotCall(lines.map((l) => l.trim()).filter(Boolean));
    setNumbers(n); setText(n.join('\n')); setSaved(true);
  });
  // a refused number is named by its index among the non-empty lines: shown with its own text
  const refused = act.error instanceof ApiError && Array.isArray(act.error.details)
    ? (act.error.details as { path: string; message: string }[]).filter((d) => /^numbers\.\d+$/.test(d.path))
      .map((d) => ({ value: lines.map((l) => l.trim()).filter(Boolean)[Number(d.path.split('.')[1])], message: d.message }))
    : [];
  return (
    <details className="panel do-not-call">
      <summary>Do-not-call list ({numbers.length} {numbers.length === 1 ? 'number' : 'numbers'})</summary>
      <form aria-label="Do-not-call list" onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <p className="hint">One number a line. Checked at dial time by the campaigns with “Check the do-not-call list” on.</p>
        <textarea aria-label="Do-not-call numbers" rows={6} cols={30} value={text} onChange={(e) => setText(e.target.value)} />
        <div className="row">
          <button type="submit" disabled={act.busy}>Save list</button>
          {saved && <span className="ok" role="status">Saved</span>}
        </div>
        {refused.length > 0
          ? <ul className="error" role="alert">{refused.map((r, i) => <li key={i}>{r.value}: {r.message}</li>)}</ul>
          : <ErrorLine error={act.error} />}
      </form>
    </details>
  );
}

