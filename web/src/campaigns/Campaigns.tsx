import { useState } from 'react';
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
    </section>
  );
}

