import { memo, useCallback, useMemo, useState } from 'react';
import { api, enc } from '../api';
import { useSession } from '../App';
import { useLiveState } from '../batch';
import type { AcdEvent } from '../live';
import { dateTime, duration, percent } from '../format';
import { Dot, Elapsed, ErrorLine, StateBadge, useAction, useNow } from '../ui';
import type { QueueStats } from './AgentDashboard';
import { Lazy, MissedCalls } from '../campaigns/lazy';

interface AgentRow {
  id: string; name: string; queues: string[];
  state: { state: string; reason: string | null; since: number | null; loggedInQueues: string[]; pausedQueues: Record<string, string> | null; device: string; callId: string | null; wrapUpUntil: string | number | null };
}
interface LiveCall { callId: string; queueId: string; callerNumber: string; state: 'waiting' | 'offered' | 'connected'; agentId: string | null; enqueuedAt: number; position: number | null }
interface Monitor { id: string; callId: string; agentId: string; mode: string; supervisorId: string }
interface Board {
  queues: { id: string; name: string }[]; stats: Record<string, QueueStats>; agents: Record<string, AgentRow>;
  calls: Record<string, LiveCall>; monitors: Record<string, Monitor>; reasons: { code: string; name: string }[];
}
const EMPTY: Board = { queues: [], stats: {}, agents: {}, calls: {}, monitors: {}, reasons: [] };

async function loadBoard(): Promise<Board> {
  const [q, s, a, w, c, m, pr] = await Promise.all([
    api('GET', '/queues'), api('GET', '/stats/queues'), api('GET', '/agents'), api('GET', '/stats/waiting'), api('GET', '/calls'),
    api('GET', '/monitors').catch(() => ({ monitors: [] })), api('GET', '/pause-reasons').catch(() => ({ pauseReasons: [] })),
  ]);
  const stats: Record<string, QueueStats> = Object.fromEntries(s.queues.map((x: QueueStats) => [x.queueId, x]));
  const calls: Record<string, LiveCall> = {};
  for (const x of c.calls) {
    if (['waiting', 'offered', 'connected'].includes(x.state)) {
      calls[x.id] = { callId: x.id, queueId: x.queueId, callerNumber: x.callerNumber, state: x.state, agentId: x.agentId, enqueuedAt: Date.parse(x.enqueuedAt), position: null };
    }
  }
  for (const x of w.callers) calls[x.callId] = { ...(calls[x.callId] ?? {}), callId: x.callId, queueId: x.queueId, callerNumber: x.callerNumber, state: x.state, agentId: x.agentId, enqueuedAt: Date.parse(x.enqueuedAt), position: x.position };
  return {
    queues: q.queues.filter((x: any) => stats[x.id]).map((x: any) => ({ id: x.id, name: x.name })), stats,
    agents: Object.fromEntries(a.agents.map((x: AgentRow) => [x.id, x])), calls,
    monitors: Object.fromEntries(m.monitors.map((x: any) => [x.id, { id: x.id, callId: x.callId, agentId: x.agentId, mode: x.mode, supervisorId: x.supervisorId }])),
    reasons: pr.pauseReasons,
  };
}

function applyEvent(b: Board, e: AcdEvent): Board {
  switch (e.type) {
    case 'metrics.queue': return b.stats[e.queueId] || b.queues.some((q) => q.id === e.queueId) ? { ...b, stats: { ...b.stats, [e.queueId]: e as unknown as QueueStats } } : b;
    case 'agent.state': {
      const a = b.agents[e.agentId];
      if (!a) return b;
      return { ...b, agents: { ...b.agents, [e.agentId]: { ...a, state: { ...a.state, state: e.state, reason: e.reason, since: Date.parse(e.at), loggedInQueues: e.queues, pausedQueues: e.pausedQueues, device: e.device, callId: e.callId, wrapUpUntil: e.wrapUpUntil } } } };
    }
    case 'call.queued': {
      const old = b.calls[e.callId];
      return { ...b, calls: { ...b.calls, [e.callId]: { callId: e.callId, queueId: e.queueId, callerNumber: e.callerNumber ?? old?.callerNumber ?? '', state: 'waiting', agentId: null, enqueuedAt: old?.enqueuedAt ?? Date.parse(e.at), position: e.position ?? null } } };
    }
    case 'call.offered': case 'call.answered': {
      const old = b.calls[e.callId];
      if (!old && !b.queues.some((q) => q.id === e.queueId)) return b;
      const call: LiveCall = { callId: e.callId, queueId: e.queueId, callerNumber: e.callerNumber ?? old?.callerNumber ?? '', enqueuedAt: old?.enqueuedAt ?? Date.parse(e.at), position: null, agentId: e.agentId, state: e.type === 'call.answered' ? 'connected' : 'offered' };
      return { ...b, calls: { ...b.calls, [e.callId]: call } };
    }
    case 'call.offer_failed': {
      const old = b.calls[e.callId];
      return old ? { ...b, calls: { ...b.calls, [e.callId]: { ...old, state: 'waiting', agentId: null } } } : b;
    }
    case 'call.ended': case 'call.abandoned': case 'call.callback_requested': case 'call.parked': {
      if (!b.calls[e.callId]) return b;
      const calls = { ...b.calls };
      delete calls[e.callId];
      return { ...b, calls };
    }
    case 'monitor.started': return { ...b, monitors: { ...b.monitors, [e.monitorId]: { id: e.monitorId, callId: e.callId, agentId: e.agentId, mode: e.mode, supervisorId: e.supervisorId } } };
    case 'monitor.mode_changed': { const m = b.monitors[e.monitorId]; return m ? { ...b, monitors: { ...b.monitors, [e.monitorId]: { ...m, mode: e.mode } } } : b; }
    case 'monitor.ended': { const monitors = { ...b.monitors }; delete monitors[e.monitorId]; return { ...b, monitors }; }
    case 'registry.changed': return b;
    default: return b;
  }
}

type Tab = 'queues' | 'agents' | 'callers' | 'callbacks' | 'missed';

export function SupervisorDashboard() {
  const { live, user } = useSession();
  const [board] = useLiveState(live, EMPTY, loadBoard, applyEvent);
  const [tab, setTab] = useState<Tab>('queues');
  const [queue, setQueue] = useState<string | null>(null);
  const qname = useCallback((id: string) => board.queues.find((q) => q.id === id)?.name ?? id, [board.queues]);
  const agents = Object.values(board.agents).sort((a, b) => a.name.localeCompare(b.name));
  const tabs: [Tab, string][] = [['queues', 'Queues'], ['agents', 'Agents'], ['callers', 'Callers'], ['callbacks', 'Callback requests'], ['missed', 'Missed calls']];
  return (
    <div className="supervisor">
      <h1>Supervisor dashboard</h1>
      {!user.endpoint && <p className="hint">No monitoring phone is set for you (user endpoint): listen, whisper and barge need one.</p>}
      <div className="tabs" role="tablist" aria-label="Views">
        {tabs.map(([t, label]) => <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => { setTab(t); setQueue(null); }}>{label}</button>)}
      </div>
      {tab === 'queues' && !queue && (
        <section className="cards" aria-label="Queues in scope">
          {board.queues.map((q) => <QueueOverview key={q.id} name={q.name} s={board.stats[q.id]} onOpen={() => setQueue(q.id)} />)}
        </section>
      )}
      {tab === 'queues' && queue && (
        <section aria-label={`Queue ${qname(queue)}`} data-testid={`queue-detail-${queue}`}>
          <h2><button type="button" onClick={() => setQueue(null)} aria-label="Back to all queues">←</button> {qname(queue)}</h2>
          <AddAgents queueId={queue} queueName={qname(queue)} agents={agents} />
          <AgentsTable agents={agents.filter((a) => a.queues.includes(queue) || a.state.loggedInQueues?.includes(queue))} board={board} queueId={queue} qname={qname} />
          <CallersTable calls={Object.values(board.calls).filter((c) => c.queueId === queue)} qname={qname} agents={board.agents} />
        </section>
      )}
      {tab === 'agents' && <AgentsTable agents={agents} board={board} qname={qname} />}
      {tab === 'callers' && <CallersTable calls={Object.values(board.calls)} qname={qname} agents={board.agents} showQueue />}
      {tab === 'callbacks' && <Callbacks qname={qname} />}
      {tab === 'missed' && <Lazy><MissedCalls qname={qname} /></Lazy>}
    </div>
  );
}

function QueueOverview({ name, s, onOpen }: { name: string; s?: QueueStats; onOpen: () => void }) {
  const now = useNow();
  return (
    <article className="card" data-testid={`overview-${s?.queueId}`}>
      <h3><button type="button" className="link" onClick={onOpen}>{name}</button></h3>
      <dl className="figures">
        <div><dt>Callers waiting</dt><dd data-testid="waiting">{s?.waiting.callers ?? '–'}</dd></div>
        <div><dt>Longest wait</dt><dd>{s?.waiting.oldestEnqueuedAt ? duration(now - Date.parse(s.waiting.oldestEnqueuedAt)) : '–'}</dd></div>
        <div><dt>Agents ready / on call / logged in</dt><dd>{s ? `${s.agents.ready} / ${s.agents.onCall} / ${s.agents.loggedIn}` : '–'}</dd></div>
        <div><dt>Service level</dt><dd>{percent(s?.today.serviceLevel)}</dd></div>
        <div><dt>Answered / abandoned today</dt><dd>{s ? `${s.today.answered} / ${s.today.abandoned}` : '–'}</dd></div>
        <div><dt>Avg handle</dt><dd>{duration(s?.today.averageHandleMs)}</dd></div>
      </dl>
    </article>
  );
}

function AgentsTable({ agents, board, queueId, qname }: { agents: AgentRow[]; board: Board; queueId?: string; qname: (q: string) => string }) {
  const { user } = useSession();
  const act = useAction();
  const [reason, setReason] = useState('');
  const r = reason || board.reasons[0]?.code || 'break';
  // only one's own monitoring session can be switched or stopped here
  const monitorOf = (callId: string | null) => Object.values(board.monitors).find((m) => m.callId === callId && m.supervisorId === user.id);
  return (
    <section className="panel" aria-label="Agents">
      <div className="row"><h2>Agents</h2>
        <label>Pause reason <select value={r} onChange={(e) => setReason(e.target.value)}>{board.reasons.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}</select></label>
      </div>
      <table>
        <thead><tr><th>Agent</th><th>Phone</th><th>State</th><th>Time in state</th><th>Call</th><th>Actions</th></tr></thead>
        <tbody>
          {agents.map((a) => (
            <AgentLine key={a.id} a={a} queueId={queueId} reason={r} qname={qname} onError={act.setError}
              call={a.state.callId ? board.calls[a.state.callId] : undefined} monitor={monitorOf(a.state.callId)} />
          ))}
        </tbody>
      </table>
      <ErrorLine error={act.error} />
    </section>
  );
}

/** One agent's row: drawn again only when that agent, its call or its monitoring changes. */
const AgentLine = memo(function AgentLine({ a, queueId, reason, qname, call, monitor, onError }: {
  a: AgentRow; queueId?: string; reason: string; qname: (q: string) => string; call?: LiveCall; monitor?: Monitor; onError: (e: unknown) => void;
}) {
  const st = a.state;
  const post = (what: string, body?: object) => api('POST', `/agents/${enc(a.id)}/${what}`, body ?? {}).then(() => onError(null), onError);
  const only = queueId ? { queues: [queueId] } : {};
  const loggedIn = queueId ? st.loggedInQueues?.includes(queueId) : st.state !== 'logged_out';
  return (
    <tr data-testid={`agent-row-${a.id}`}>
      <td>{a.name} <small className="hint">{a.id}</small>{!queueId && <div className="hint">{(st.loggedInQueues ?? []).map(qname).join(', ')}</div>}</td>
      <td><Dot on={st.device !== 'offline'} label={`phone ${st.device ?? 'unknown'}`} /> {st.device}</td>
      <td data-testid="agent-state"><StateBadge state={queueId && !loggedIn ? 'logged_out' : st.state} reason={st.pausedQueues?.[queueId ?? ''] ?? st.reason} /></td>
      <td><Elapsed since={st.since} /></td>
      <td data-testid="agent-call">{call ? `${call.callerNumber} (${qname(call.queueId)})` : ''}</td>
      <td className="actions">
        {!loggedIn && <button type="button" onClick={() => void post('login', only)}>Log in</button>}
        {loggedIn && <button type="button" onClick={() => void post('logout', only)} aria-label={`Log out ${a.name}`}>Log out</button>}
        {loggedIn && st.state !== 'paused' && <button type="button" onClick={() => void post('pause', { reason, ...only })}>Pause</button>}
        {loggedIn && (st.state === 'paused' || st.pausedQueues?.[queueId ?? '']) && <button type="button" onClick={() => void post('ready', only)}>Ready</button>}
        {st.state === 'wrap_up' && <button type="button" onClick={() => void post('wrapup/end')}>End wrap-up</button>}
        {st.state === 'on_call' && st.callId && <MonitorButtons callId={st.callId} monitor={monitor} agentName={a.name} onError={onError} />}
      </td>
    </tr>
  );
});

function MonitorButtons({ callId, monitor, agentName, onError }: { callId: string; monitor?: Monitor; agentName: string; onError: (e: unknown) => void }) {
  const run = (p: Promise<unknown>) => p.catch(onError);
  const modes = ['listen', 'whisper', 'barge'] as const;
  if (!monitor) {
    return <>{modes.map((m) => <button key={m} type="button" aria-label={`${m[0].toUpperCase()}${m.slice(1)} to ${agentName}`} onClick={() => void run(api('POST', `/calls/${enc(callId)}/monitor`, { mode: m }))}>{m[0].toUpperCase() + m.slice(1)}</button>)}</>;
  }
  return (
    <span className="monitoring" data-testid="monitoring">
      <span className="badge state-on_call">{monitor.mode}</span>
      {modes.filter((m) => m !== monitor.mode).map((m) => <button key={m} type="button" aria-label={`Switch to ${m}`} onClick={() => void run(api('PATCH', `/monitors/${enc(monitor.id)}`, { mode: m }))}>{m[0].toUpperCase() + m.slice(1)}</button>)}
      <button type="button" onClick={() => void run(api('DELETE', `/monitors/${enc(monitor.id)}`))}>Stop</button>
    </span>
  );
}

function CallersTable({ calls, qname, agents, showQueue }: { calls: LiveCall[]; qname: (q: string) => string; agents: Record<string, AgentRow>; showQueue?: boolean }) {
  const now = useNow();
  const sorted = [...calls].sort((a, b) => (a.state === 'connected' ? 1 : 0) - (b.state === 'connected' ? 1 : 0) || a.enqueuedAt - b.enqueuedAt);
  // positions counted here from the order of arrival within each queue (the events carry the position at arrival only)
  const pos = new Map<string, number>();
  const seen: Record<string, number> = {};
  for (const c of sorted) if (c.state === 'waiting') pos.set(c.callId, (seen[c.queueId] = (seen[c.queueId] ?? 0) + 1));
  return (
    <section className="panel" aria-label="Callers">
      <h2>Callers</h2>
      <table>
        <thead><tr><th>Position</th>{showQueue && <th>Queue</th>}<th>Caller</th><th>State</th><th>Waiting / talking</th></tr></thead>
        <tbody>
          {sorted.map((c) => (
            <tr key={c.callId} data-testid={`caller-${c.callId}`}>
              <td>{pos.get(c.callId) ?? '–'}</td>{showQueue && <td>{qname(c.queueId)}</td>}
              <td>{c.callerNumber}</td>
              <td>{c.state === 'connected' ? `with ${agents[c.agentId ?? '']?.name ?? c.agentId}` : c.state === 'offered' ? `ringing ${agents[c.agentId ?? '']?.name ?? c.agentId}` : 'waiting'}</td>
              <td>{duration(now - c.enqueuedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sorted.length === 0 && <p className="hint">No callers.</p>}
    </section>
  );
}

/** "+ log in agents": find agents by name or id (and role, where the user list is readable), with their devices. */
function AddAgents({ queueId, queueName, agents }: { queueId: string; queueName: string; agents: AgentRow[] }) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const [role, setRole] = useState('any');
  const [roles, setRoles] = useState<Record<string, string> | null>(null);
  const act = useAction();
  const openIt = () => {
    setOpen(true);
    // only admins read /users; for others the role filter is the contact-center role "agent"
    void api('GET', '/users').then((r) => setRoles(Object.fromEntries(r.users.filter((u: any) => u.agentId).map((u: any) => [u.agentId, u.role]))), () => setRoles(null));
  };
  const list = useMemo(() => agents.filter((a) => !a.state.loggedInQueues?.includes(queueId))
    .filter((a) => `${a.name} ${a.id}`.toLowerCase().includes(search.toLowerCase()))
    .filter((a) => role === 'any' || (roles?.[a.id] ?? 'agent') === role), [agents, search, role, roles, queueId]);
  if (!open) return <button type="button" onClick={openIt}>+ log in agents</button>;
  return (
    <div className="panel" role="dialog" aria-label={`Log agents in to ${queueName}`}>
      <div className="row">
        <label>Search <input value={search} onChange={(e) => setSearch(e.target.value)} autoFocus aria-label="Search agents" /></label>
        <label>Role <select value={role} onChange={(e) => setRole(e.target.value)}><option value="any">any</option><option value="agent">agent</option><option value="supervisor">supervisor</option><option value="admin">admin</option></select></label>
        <button type="button" onClick={() => setOpen(false)}>Close</button>
      </div>
      <table><thead><tr><th>Agent</th><th>Role</th><th>Device</th><th></th></tr></thead><tbody>
        {list.map((a) => (
          <tr key={a.id}><td>{a.name} <small className="hint">{a.id}</small></td><td>{roles?.[a.id] ?? 'agent'}</td>
            <td><Dot on={a.state.device !== 'offline'} label={`phone ${a.state.device}`} /> PJSIP/{a.id} {(a as any).phone?.mode === 'static' ? (a as any).phone.contact : '(registers)'}</td>
            <td><button type="button" onClick={() => void act.run(() => api('POST', `/agents/${enc(a.id)}/login`, { queues: [queueId] }))}>Log in to {queueName}</button></td></tr>
        ))}
      </tbody></table>
      <ErrorLine error={act.error} />
    </div>
  );
}

function Callbacks({ qname }: { qname: (q: string) => string }) {
  const { live } = useSession();
  const [list, setList] = useLiveState<any[]>(live, [], async () => (await api('GET', '/callbacks')).callbacks, (s, e) => {
    if (!e.type.startsWith('callback.')) return s;
    void api('GET', '/callbacks').then((r) => setList(() => r.callbacks), () => undefined);
    return s;
  });
  const act = useAction();
  const [when, setWhen] = useState<Record<string, string>>({});
  const open = list.filter((c) => !['completed', 'cancelled'].includes(c.state));
  return (
    <section className="panel" aria-label="Callback requests">
      <h2>Callback requests</h2>
      <table><thead><tr><th>Queue</th><th>Number</th><th>State</th><th>Due</th><th>Attempts</th><th></th></tr></thead><tbody>
        {open.map((c) => (
          <tr key={c.id}><td>{qname(c.queueId)}</td><td>{c.number}</td><td>{c.state}</td><td>{c.dueAt ? dateTime(c.dueAt) : 'now'}</td><td>{c.attempts.length}/{c.maxAttempts}</td>
            <td className="actions">
              <button type="button" onClick={() => void act.run(() => api('POST', `/callbacks/${enc(c.id)}/complete`))}>Complete</button>
              <input type="datetime-local" aria-label={`New time for ${c.number}`} value={when[c.id] ?? ''} onChange={(e) => setWhen({ ...when, [c.id]: e.target.value })} />
              <button type="button" disabled={!when[c.id]} onClick={() => void act.run(() => api('POST', `/callbacks/${enc(c.id)}/reschedule`, { at: new Date(when[c.id]).toISOString() }))}>Reschedule</button>
            </td></tr>
        ))}
      </tbody></table>
      {open.length === 0 && <p className="hint">No open callback requests.</p>}
      <ErrorLine error={act.error} />
    </section>
  );
}
