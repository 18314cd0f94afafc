import { useEffect, useRef, useState } from 'react';
import { api, ApiError, enc } from '../api';
import { useSession } from '../App';
import type { AcdEvent } from '../live';
import { clock, duration, localDay, percent, timeZone } from '../format';
import { ErrorLine, Field, StateBadge, useAction, useNow } from '../ui';
import { AgentCampaigns, CampaignCallPanel, useAgentCampaigns } from '../campaigns/AgentCampaigns';

export interface QueueStats {
  queueId: string; serviceLevelSec: number;
  waiting: { callers: number; longestWaitMs: number; oldestEnqueuedAt: string | null; callbacks: number };
  agents: { loggedIn: number; ready: number; ringing: number; onCall: number; wrapUp: number; paused: number };
  today: { answered: number; abandoned: number; timedOut: number; handled: number; overflowed: number; averageHandleMs: number | null; serviceLevel: number | null; averageSpeedOfAnswerMs: number | null };
}
interface AgentState {
  state: string; reason: string | null; since: number | null; loggedInQueues: string[]; pausedQueues: Record<string, string> | null;
  callId: string | null; wrapUpUntil: string | number | null; device?: string;
}
interface Offer { callId: string; queueId: string; callerNumber: string; callerName?: string; kind: string }
interface Call { callId: string; queueId: string; callerNumber: string; callerName?: string; held: boolean; recording?: { id: string; paused: boolean } }
interface Clip { id: string; name: string; scope: 'personal' | 'public'; archived: boolean; durationMs: number; ownerAgentId?: string }
interface Day { day: string; queueCallsTaken: number; nonQueueCallsTaken: number; nonQueueCallsMade: number; talkMs: number }

const KIND_LABEL: Record<string, string> = { call: 'Queue call', callback: 'Callback request', campaign: 'Campaign call' };

export function AgentDashboard() {
  const { user, live } = useSession();
  const me = user.agentId!;
  const [queues, setQueues] = useState<{ id: string; name: string }[]>([]);
  const [assigned, setAssigned] = useState<string[]>([]);
  const [stats, setStats] = useState<Record<string, QueueStats>>({});
  const [st, setSt] = useState<AgentState | null>(null);
  const [reasons, setReasons] = useState<{ code: string; name: string }[]>([]);
  const [offer, setOffer] = useState<Offer | null>(null);
  const [call, setCall] = useState<Call | null>(null);
  const [lastCall, setLastCall] = useState<Call | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const callRef = useRef<Call | null>(null);
  callRef.current = call;
  const campaigns = useAgentCampaigns(me);

  const load = async () => {
    try {
      const [a, q, s, pr] = await Promise.all([
        api(`GET`, `/agents/${enc(me)}`), api('GET', '/queues'), api('GET', '/stats/queues'),
        api('GET', '/pause-reasons').catch(() => ({ pauseReasons: [] })),
      ]);
      setAssigned(a.queues);
      setSt(a.state);
      setQueues(q.queues.map((x: any) => ({ id: x.id, name: x.name })));
      setStats(Object.fromEntries(s.queues.map((x: QueueStats) => [x.queueId, x])));
      setReasons(pr.pauseReasons);
      if (a.state.callId && ['on_call', 'reserved'].includes(a.state.state)) {
        const c = await api(`GET`, `/calls/${enc(a.state.callId)}`).catch(() => null);
        if (c && a.state.state === 'on_call') setCall({ callId: c.id ?? a.state.callId, queueId: c.queueId, callerNumber: c.callerNumber, callerName: c.callerName, held: false });
        if (c && a.state.state === 'reserved') setOffer({ callId: a.state.callId, queueId: c.queueId, callerNumber: c.callerNumber, callerName: c.callerName, kind: c.kind ?? 'call' });
      }
      setLoadError(null);
    } catch (e) { setLoadError(e); }
  };

  useEffect(() => {
    const offConnect = live.onConnect(() => void load());
    const off = live.on((e: AcdEvent) => {
      if (e.type === 'metrics.queue') setStats((s) => ({ ...s, [e.queueId]: e as unknown as QueueStats }));
      if (e.agentId !== me && e.type !== 'recording.paused' && e.type !== 'recording.resumed' && e.type !== 'recording.started') return;
      switch (e.type) {
        case 'agent.state':
          setSt((old) => ({ ...(old ?? {} as AgentState), state: e.state, reason: e.reason, since: Date.parse(e.at), loggedInQueues: e.queues, pausedQueues: e.pausedQueues, callId: e.callId, wrapUpUntil: e.wrapUpUntil, device: e.device }));
          if (e.state !== 'reserved') setOffer(null);
          break;
        case 'call.offered': setOffer({ callId: e.callId, queueId: e.queueId, callerNumber: e.callerNumber, kind: e.kind ?? 'call' }); break;
        case 'call.answered':
          setOffer(null);
          setCall((c) => ({ callId: e.callId, queueId: e.queueId, callerNumber: e.callerNumber ?? c?.callerNumber ?? offerCaller(e.callId), held: false }));
          break;
        case 'call.held': case 'call.unheld':
          setCall((c) => (c && c.callId === e.callId ? { ...c, held: e.type === 'call.held' } : c));
          break;
        case 'call.ended': case 'call.transferred': case 'call.parked':
          if (callRef.current?.callId === e.callId) { setLastCall(callRef.current); setCall(null); }
          break;
        case 'recording.started': case 'recording.paused': case 'recording.resumed':
          setCall((c) => (c && c.callId === e.callId ? { ...c, recording: { id: e.recordingId, paused: e.type === 'recording.paused' } } : c));
          break;
      }
    });
    return () => { off(); offConnect(); };
  }, [live, me]);
  const offerRef = useRef<Offer | null>(null);
  offerRef.current = offer;
  const offerCaller = (callId: string) => (offerRef.current?.callId === callId ? offerRef.current.callerNumber : '');

  const name = (q: string) => queues.find((x) => x.id === q)?.name ?? q;
  const myQueues = Array.from(new Set([...assigned, ...(st?.loggedInQueues ?? [])]));

  return (
    <div className="agent-dashboard">
      <h1>My dashboard <StateBadge state={st?.state ?? 'logged_out'} reason={st?.reason} /></h1>
      <ErrorLine error={loadError} />
      {offer && (
        <section className="incoming" role="alert" aria-live="assertive" data-testid="incoming">
          <h2>{KIND_LABEL[offer.kind] ?? offer.kind} ringing</h2>
          <p><strong data-testid="incoming-queue">{name(offer.queueId)}</strong> · caller <strong data-testid="incoming-caller">{offer.callerNumber || 'unknown'}</strong></p>
          <p className="hint">Answer on your phone.</p>
        </section>
      )}
      {call && <CallPanel call={call} me={me} queues={queues} />}
      {campaigns.call && <CampaignCallPanel call={campaigns.call} mine={campaigns.mine} />}
      {st?.state === 'wrap_up' && <WrapUp until={st.wrapUpUntil} me={me} callId={lastCall?.callId ?? st.callId} />}
      {!call && lastCall && st?.state !== 'wrap_up' && <Disposition callId={lastCall.callId} />}
      <MyState me={me} st={st} queues={myQueues} name={name} reasons={reasons} />
      <section aria-label="My queues" className="cards">
        {myQueues.map((q) => <QueueCard key={q} name={name(q)} s={stats[q]} />)}
      </section>
      <AgentCampaigns me={me} mine={campaigns.mine} reasons={reasons} />
      <Productivity me={me} />
      <Clips me={me} callId={call?.callId} />
    </div>
  );
}

function QueueCard({ name, s }: { name: string; s?: QueueStats }) {
  const now = useNow();
  const longest = s?.waiting.oldestEnqueuedAt ? now - Date.parse(s.waiting.oldestEnqueuedAt) : s?.waiting.longestWaitMs ?? 0;
  return (
    <article className="card" data-testid={`queue-card-${s?.queueId ?? name}`}>
      <h3>{name}</h3>
      <dl className="figures">
        <div><dt>Callers waiting</dt><dd data-testid="waiting">{s?.waiting.callers ?? '–'}</dd></div>
        <div><dt>Agents logged in</dt><dd>{s?.agents.loggedIn ?? '–'}</dd></div>
        <div><dt>Longest wait</dt><dd>{s?.waiting.callers ? duration(longest) : '–'}</dd></div>
        <div><dt>Avg handle</dt><dd>{duration(s?.today.averageHandleMs)}</dd></div>
        <div><dt>Calls today</dt><dd>{s ? s.today.answered + s.today.abandoned + s.today.timedOut : '–'}</dd></div>
        <div><dt>Handled / abandoned / timed out</dt><dd>{s ? `${s.today.handled} / ${s.today.abandoned} / ${s.today.timedOut}` : '–'}</dd></div>
        <div><dt>Service level</dt><dd>{percent(s?.today.serviceLevel)}</dd></div>
      </dl>
    </article>
  );
}

function MyState({ me, st, queues, name, reasons }: { me: string; st: AgentState | null; queues: string[]; name: (q: string) => string; reasons: { code: string; name: string }[] }) {
  const act = useAction();
  const [reason, setReason] = useState('');
  const now = useNow();
  const r = reason || reasons[0]?.code || 'break';
  const post = (what: string, body?: object) => act.run(() => api('POST', `/agents/${enc(me)}/${what}`, body ?? {}));
  const inQ = (q: string) => st?.loggedInQueues?.includes(q);
  const pausedIn = (q: string) => st?.pausedQueues?.[q] ?? (st?.state === 'paused' ? st.reason : null);
  return (
    <section className="my-state" aria-label="My state">
      <h2>My state {st?.since ? <small>since {clock(st.since)} ({duration(now - st.since)})</small> : null}</h2>
      <div className="row">
        <label>Pause reason <select value={r} onChange={(e) => setReason(e.target.value)} aria-label="Pause reason">
          {reasons.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
        </select></label>
        <span className="all-queues">All queues:</span>
        <button type="button" onClick={() => void post('login')}>Log in all</button>
        <button type="button" onClick={() => void post('ready')}>Ready all</button>
        <button type="button" onClick={() => void post('pause', { reason: r })}>Pause all</button>
        <button type="button" onClick={() => void post('logout')}>Log out all</button>
      </div>
      <table>
        <thead><tr><th>Queue</th><th>My state there</th><th>Actions</th></tr></thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q} data-testid={`my-queue-${q}`}>
              <td>{name(q)}</td>
              <td>{!inQ(q) ? 'logged out' : pausedIn(q) ? `paused (${pausedIn(q)})` : st?.state.replace('_', ' ')}</td>
              <td className="actions">
                {!inQ(q) && <button type="button" onClick={() => void post('login', { queues: [q] })}>Log in</button>}
                {inQ(q) && <button type="button" aria-label={`Ready in ${name(q)}`} onClick={() => void post('ready', { queues: [q] })}>Ready</button>}
                {inQ(q) && <button type="button" aria-label={`Pause in ${name(q)}`} onClick={() => void post('pause', { reason: r, queues: [q] })}>Pause</button>}
                {inQ(q) && <button type="button" aria-label={`Log out of ${name(q)}`} onClick={() => void post('logout', { queues: [q] })}>Log out</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={act.error} />
    </section>
  );
}

function CallPanel({ call, me, queues }: { call: Call; me: string; queues: { id: string; name: string }[] }) {
  const act = useAction();
  const [digits, setDigits] = useState('');
  const [target, setTarget] = useState({ kind: 'agentId', value: '' });
  const [attended, setAttended] = useState(false);
  const [consulting, setConsulting] = useState(false);
  const [clips, setClips] = useState<Clip[]>([]);
  const [clip, setClip] = useState('');
  const [then, setThen] = useState<'continue' | 'hangup'>('continue');
  const [agents, setAgents] = useState<string[]>([]);
  const c = (path: string, body?: object) => act.run(() => api('POST', `/calls/${enc(call.callId)}/${path}`, body));
  useEffect(() => {
    void api('GET', '/clips').then((r) => setClips(r.clips.filter((x: Clip) => !x.archived)), () => undefined);
    void api('GET', '/agents').then((r) => setAgents(r.agents.map((a: any) => a.id).filter((a: string) => a !== me)), () => undefined);
  }, [call.callId]);
  const transfer = async () => {
    const body = { [target.kind]: target.value };
    if (attended && target.kind !== 'queueId') {
      const ok = await c('consult', target.kind === 'agentId' ? { agentId: target.value } : { extension: target.value });
      if (ok) setConsulting(true);
    } else await c('transfer', body);
  };
  return (
    <section className="call" aria-label="Current call" data-testid="call-panel">
      <h2>On a call with <span data-testid="call-caller">{call.callerNumber || 'unknown caller'}</span>
        {' '}<small>{queues.find((q) => q.id === call.queueId)?.name ?? call.queueId}</small>
        {call.held && <span className="badge state-paused" data-testid="on-hold">on hold</span>}</h2>
      <div className="row">
        {call.held
          ? <button type="button" className="primary" onClick={() => void c('unhold')}>Take back</button>
          : <button type="button" onClick={() => void c('hold')}>Hold</button>}
        <button type="button" onClick={() => void c('park')}>Park</button>
        {call.recording && (call.recording.paused
          ? <button type="button" onClick={() => void c('recording/resume')}>Resume recording</button>
          : <button type="button" onClick={() => void c('recording/pause')}>Pause recording</button>)}
        <button type="button" className="danger" onClick={() => void c('hangup')}>Hang up</button>
      </div>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void c('dtmf', { digits }).then((ok) => ok && setDigits('')); }}>
        <Field label="Keypad" name="digits" error={act.error}>
          <input value={digits} onChange={(e) => setDigits(e.target.value)} inputMode="tel" aria-label="Keypad digits" />
        </Field>
        <div className="keypad" role="group" aria-label="Keypad">
          {'123456789*0#'.split('').map((d) => <button type="button" key={d} onClick={() => void c('dtmf', { digits: d })}>{d}</button>)}
        </div>
        <button type="submit">Send digits</button>
      </form>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void transfer(); }}>
        <label>Transfer to <select value={target.kind} onChange={(e) => setTarget({ kind: e.target.value, value: '' })}>
          <option value="agentId">an agent</option><option value="queueId">a queue</option><option value="extension">a number</option>
        </select></label>
        {target.kind === 'queueId'
          ? <select aria-label="Target queue" value={target.value} onChange={(e) => setTarget({ ...target, value: e.target.value })}>
            <option value="">choose…</option>{queues.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}</select>
          : <input aria-label="Transfer target" list={target.kind === 'agentId' ? 'agent-ids' : undefined} value={target.value} onChange={(e) => setTarget({ ...target, value: e.target.value })} />}
        <datalist id="agent-ids">{agents.map((a) => <option key={a} value={a} />)}</datalist>
        <label><input type="checkbox" checked={attended} onChange={(e) => setAttended(e.target.checked)} disabled={target.kind === 'queueId'} /> attended (talk first)</label>
        <button type="submit">{attended && target.kind !== 'queueId' ? 'Call first' : 'Transfer'}</button>
        <button type="button" onClick={() => void c('conference', target.kind === 'agentId' ? { agentId: target.value } : { extension: target.value })} disabled={target.kind === 'queueId'}>Add to call (three-way)</button>
        {consulting && <><button type="button" onClick={() => void c('consult/complete').then(() => setConsulting(false))}>Complete transfer</button>
          <button type="button" onClick={() => void c('consult/cancel').then(() => setConsulting(false))}>Cancel, back to caller</button></>}
      </form>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void c('play', { clipId: clip, then }); }}>
        <label>Play clip <select value={clip} onChange={(e) => setClip(e.target.value)}><option value="">choose…</option>
          {clips.map((x) => <option key={x.id} value={x.id}>{x.name}{x.scope === 'public' ? ' (public)' : ''}</option>)}</select></label>
        <label>then <select value={then} onChange={(e) => setThen(e.target.value as 'continue' | 'hangup')}><option value="continue">continue the call</option><option value="hangup">hang up</option></select></label>
        <button type="submit" disabled={!clip}>Play</button>
      </form>
      <ErrorLine error={act.error} />
    </section>
  );
}

function WrapUp({ until, me, callId }: { until: string | number | null; me: string; callId: string | null }) {
  const now = useNow(250);
  const act = useAction();
  const end = typeof until === 'number' ? until : until ? Date.parse(until) : null;
  return (
    <section className="wrapup" aria-label="Wrap-up" data-testid="wrapup">
      <h2>Wrap-up <span data-testid="wrapup-left" aria-live="polite">{end ? duration(end - now) : ''}</span> left</h2>
      <div className="row">
        <button type="button" onClick={() => void act.run(() => api('POST', `/agents/${enc(me)}/wrapup/extend`))}>Extend</button>
        <button type="button" className="primary" onClick={() => void act.run(() => api('POST', `/agents/${enc(me)}/wrapup/end`))}>End wrap-up</button>
      </div>
      <ErrorLine error={act.error} />
      {callId && <Disposition callId={callId} />}
    </section>
  );
}

function Disposition({ callId }: { callId: string }) {
  const act = useAction();
  const [disposition, setDisposition] = useState('');
  const [tags, setTags] = useState('');
  const [notes, setNotes] = useState('');
  const [saved, setSaved] = useState(false);
  const save = () => act.run(async () => {
    await api('POST', `/calls/${enc(callId)}/disposition`, {
      ...(disposition ? { disposition } : {}), tags: tags.split(',').map((t) => t.trim()).filter(Boolean), notes,
    });
    setSaved(true);
  });
  return (
    <form className="disposition" onSubmit={(e) => { e.preventDefault(); void save(); }} aria-label="Disposition">
      <Field label="Disposition" name="disposition" error={act.error}><input value={disposition} onChange={(e) => setDisposition(e.target.value)} /></Field>
      <Field label="Tags (comma separated)" name="tags" error={act.error}><input value={tags} onChange={(e) => setTags(e.target.value)} /></Field>
      <Field label="Notes" name="notes" error={act.error}><textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} /></Field>
      <button type="submit">Save disposition</button>{saved && <span className="ok" role="status">Saved</span>}
      {!(act.error instanceof ApiError && act.error.status === 422) && <ErrorLine error={act.error} />}
    </form>
  );
}

function Productivity({ me }: { me: string }) {
  const [data, setData] = useState<{ today: Day; week: Day[]; comparison: Day | null } | null>(null);
  useEffect(() => {
    // shown only where the history answers; hidden while that endpoint does not exist (404)
    void api(`GET`, `/agents/${enc(me)}/productivity?tz=${enc(timeZone)}&compareTo=${localDay(new Date(Date.now() - 7 * 86400_000))}`)
      .then(setData, () => setData(null));
  }, [me]);
  if (!data) return null;
  const sum = (k: keyof Day) => data.week.reduce((n, d) => n + Number(d[k]), 0);
  return (
    <section className="card productivity" aria-label="My productivity" data-testid="productivity">
      <h2>My productivity</h2>
      <table><thead><tr><th></th><th>Queue calls</th><th>Other calls taken</th><th>Calls made</th><th>Talk time</th></tr></thead>
        <tbody>
          <tr><th>Today</th><td>{data.today.queueCallsTaken}</td><td>{data.today.nonQueueCallsTaken}</td><td>{data.today.nonQueueCallsMade}</td><td>{duration(data.today.talkMs)}</td></tr>
          <tr><th>This week</th><td>{sum('queueCallsTaken')}</td><td>{sum('nonQueueCallsTaken')}</td><td>{sum('nonQueueCallsMade')}</td><td>{duration(sum('talkMs'))}</td></tr>
          {data.comparison && <tr><th>{data.comparison.day} (same day last week)</th><td>{data.comparison.queueCallsTaken}</td><td>{data.comparison.nonQueueCallsTaken}</td><td>{data.comparison.nonQueueCallsMade}</td><td>{duration(data.comparison.talkMs)}</td></tr>}
        </tbody></table>
    </section>
  );
}

function Clips({ me, callId }: { me: string; callId?: string }) {
  const { live } = useSession();
  const [clips, setClips] = useState<Clip[]>([]);
  const act = useAction();
  const [name, setName] = useState('');
  const file = useRef<HTMLInputElement>(null);
  const load = () => void api('GET', '/clips?archived=true').catch(() => api('GET', '/clips')).then((r) => setClips(r.clips), () => undefined);
  useEffect(() => { load(); return live.on((e) => { if (e.type.startsWith('clip.')) load(); }); }, []);
  const upload = () => act.run(async () => {
    const f = file.current?.files?.[0];
    await api('POST', `/clips?name=${enc(name)}&scope=personal`, undefined, { raw: f ?? new Blob([]), contentType: 'audio/wav' });
    setName(''); if (file.current) file.current.value = ''; load();
  });
  void callId;
  return (
    <section className="card clips" aria-label="My audio clips">
      <h2>Audio clips</h2>
      <table><thead><tr><th>Name</th><th>Kind</th><th>Length</th><th></th></tr></thead><tbody>
        {clips.map((c) => <ClipRow key={c.id} c={c} mine={c.ownerAgentId === me} onChange={load} />)}
      </tbody></table>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void upload(); }}>
        <Field label="New clip name" name="name" error={act.error}><input value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <label>WAV file <input type="file" accept="audio/wav,.wav" ref={file} /></label>
        <button type="submit">Upload</button>
      </form>
      <ErrorLine error={act.error} />
    </section>
  );
}

function ClipRow({ c, mine, onChange }: { c: Clip; mine: boolean; onChange: () => void }) {
  const act = useAction();
  const [name, setName] = useState(c.name);
  const patch = (b: object) => act.run(async () => { await api('PATCH', `/clips/${enc(c.id)}`, b); onChange(); });
  return (
    <tr className={c.archived ? 'archived' : ''}>
      <td>{mine ? <input aria-label={`Name of clip ${c.name}`} value={name} onChange={(e) => setName(e.target.value)} onBlur={() => name !== c.name && void patch({ name })} /> : c.name}
        {act.error instanceof ApiError && <span className="field-error">{act.error.field('name') ?? act.error.message}</span>}</td>
      <td>{c.scope}{c.archived ? ', archived' : ''}</td><td>{duration(c.durationMs)}</td>
      <td>{mine && <>
        <button type="button" onClick={() => void patch({ archived: !c.archived })}>{c.archived ? 'Unarchive' : 'Archive'}</button>
        <button type="button" className="danger" onClick={() => void act.run(async () => { await api('DELETE', `/clips/${enc(c.id)}`); onChange(); })}>Delete</button>
      </>}</td>
    </tr>
  );
}
