import { FormEvent, useEffect, useState } from 'react';
import { api, ApiError, enc } from '../api';
import { useSession } from '../App';
import { Link } from '../router';
import { SchemaFields, useOpenApi } from '../schemaForm';
import { Dot, ErrorLine, Field, useAction } from '../ui';

export function Admin({ section }: { section: string }) {
  switch (section) {
    case 'queues': return <Definitions key="queues" kind="queues" schemaName="Queue" title="Queues" idField="id" />;
    case 'agents': return <Definitions key="agents" kind="agents" schemaName="AgentInput" title="Agents and phones" idField="id" />;
    case 'users': return <Users />;
    case 'pause-reasons': return <PauseReasons />;
    case 'skills': return <SkillsPage />;
    case 'settings': return <Settings />;
    default: return <p>No such admin page. <Link to="/admin/queues">Queues</Link></p>;
  }
}

/** A form's overall error line: a 422 points at its fields, anything else is said here. */
function FormError({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 422 && Array.isArray(error.details)) {
    return <p className="error" role="alert" data-testid="form-error">{error.message}: see the fields marked.</p>;
  }
  return <ErrorLine error={error} />;
}

/** Queues and agents: a list and a form drawn from the API's schema (every setting), create, replace, delete. */
function Definitions({ kind, schemaName, title, idField }: { kind: 'queues' | 'agents'; schemaName: string; title: string; idField: string }) {
  const doc = useOpenApi();
  const [list, setList] = useState<any[]>([]);
  const [editing, setEditing] = useState<string | null | 'new'>(null);
  const [value, setValue] = useState<any>({});
  const [saved, setSaved] = useState(false);
  const act = useAction();
  const listAct = useAction();
  const load = () => listAct.run(async () => setList((await api('GET', `/${kind}`))[kind]));
  useEffect(() => { void load(); setEditing(null); }, [kind]);
  const open = (id: string | 'new') => {
    setSaved(false); act.setError(null); setEditing(id);
    if (id === 'new') { setValue(kind === 'agents' ? { phone: { mode: 'register' } } : {}); return; }
    void act.run(async () => {
      const d = await api('GET', `/${kind}/${enc(id)}`);
      // the read view carries live state and device; the form wants the definition only
      const { state: _s, device: _d, phone, ...def } = d;
      setValue(kind === 'agents' ? { ...def, phone: phone?.mode === 'static' ? phone : { mode: 'register' } } : def);
    });
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void act.run(async () => {
      if (editing === 'new') await api('POST', `/${kind}`, value);
      else { const { [idField]: _id, ...body } = value; await api('PUT', `/${kind}/${enc(editing!)}`, body); }
      setSaved(true);
      if (editing === 'new') setEditing(value[idField]);
      await load();
    });
  };
  const schema = doc?.components?.schemas?.[schemaName];
  return (
    <section className="admin">
      <h1>{title} <button type="button" onClick={() => open('new')}>+ New</button></h1>
      <table><thead><tr><th>Id</th><th>Name</th>{kind === 'queues' ? <><th>Extension</th><th>Strategy</th></> : <><th>Queues</th><th>Phone</th></>}<th></th></tr></thead><tbody>
        {list.map((x) => (
          <tr key={x.id} data-testid={`${kind}-row-${x.id}`}>
            <td><button type="button" className="link" onClick={() => open(x.id)}>{x.id}</button></td><td>{x.name}</td>
            {kind === 'queues' ? <><td>{x.extension}</td><td>{x.strategy}</td></>
              : <><td>{x.queues.join(', ')}</td><td><Dot on={x.device?.state === 'online'} label={`phone ${x.device?.state}`} /> {x.phone.mode === 'static' ? x.phone.contact : `registers as ${x.phone.username}`}</td></>}
            <td><button type="button" className="danger" onClick={() => { if (confirm(`Delete ${x.id}?`)) void listAct.run(async () => { await api('DELETE', `/${kind}/${enc(x.id)}`); await load(); }); }}>Delete</button></td>
          </tr>
        ))}
      </tbody></table>
      <ErrorLine error={listAct.error} />
      {editing && schema && (
        <form onSubmit={save} className="panel" aria-label={editing === 'new' ? `New ${kind === 'queues' ? 'queue' : 'agent'}` : `Edit ${editing}`}>
          <h2>{editing === 'new' ? `New ${kind === 'queues' ? 'queue' : 'agent'}` : editing}</h2>
          {kind === 'agents' && editing !== 'new' && value.phone?.mode === 'register' && <p className="hint">A registering phone's password is never shown: enter it again to save.</p>}
          <SchemaFields doc={doc} schema={schema} value={value} onChange={setValue} error={act.error} skip={editing === 'new' ? [] : [idField]} />
          <div className="row"><button type="submit" className="primary">Save</button>{saved && <span className="ok" role="status">Saved</span>}
            <button type="button" onClick={() => setEditing(null)}>Close</button></div>
          <FormError error={act.error} />
        </form>
      )}
    </section>
  );
}

// the product's permission names (src/access/permissions.ts); each is the role's default unless set
const PERMISSIONS = ['configAccess', 'limitToAssignedQueues', 'manageQueues', 'viewPauseReasons', 'managePauseReasons', 'viewSkills', 'manageSkills',
  'monitorProtected', 'accessRecordings', 'manageOwnClips', 'managePublicCannedMessages', 'createTags', 'useDispositions'];

function Users() {
  const { user: me } = useSession();
  const [list, setList] = useState<any[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState<any>({});
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState('');
  const act = useAction();
  const pw = useAction();
  const load = () => act.run(async () => setList((await api('GET', '/users')).users));
  useEffect(() => { void load(); }, []);
  const open = (u: any | null) => { setEditing(u ? u.id : 'new'); setValue(u ? { ...u } : { role: 'agent', supervisedQueues: [], permissions: {} }); setPassword(''); setSaved(''); act.setError(null); pw.setError(null); };
  const set = (k: string, v: any) => setValue({ ...value, [k]: v });
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved('');
    void act.run(async () => {
      const body = { ...value };
      for (const k of ['agentId', 'endpoint', 'name']) if (!body[k]) delete body[k];
      if (editing === 'new') await api('POST', '/users', body); else { delete body.id; await api('PUT', `/users/${enc(editing!)}`, body); }
      setSaved('Saved');
      setEditing(value.id);
      await load();
    });
  };
  const setPw = () => pw.run(async () => { await api('PUT', `/users/${enc(editing!)}/password`, { password }); setPassword(''); setSaved('Password set'); });
  return (
    <section className="admin">
      <h1>Users and permissions <button type="button" onClick={() => open(null)}>+ New</button></h1>
      <table><thead><tr><th>User</th><th>Name</th><th>Role</th><th>Agent</th><th>Supervises</th><th></th></tr></thead><tbody>
        {list.map((u) => <tr key={u.id}><td><button type="button" className="link" onClick={() => open(u)}>{u.id}</button></td><td>{u.name}</td><td>{u.role}</td><td>{u.agentId}</td><td>{u.supervisedQueues.join(', ')}</td>
          <td>{u.id !== me.id && <button type="button" className="danger" onClick={() => { if (confirm(`Delete user ${u.id}?`)) void act.run(async () => { await api('DELETE', `/users/${enc(u.id)}`); await load(); }); }}>Delete</button>}</td></tr>)}
      </tbody></table>
      {editing && (
        <form onSubmit={save} className="panel" aria-label={editing === 'new' ? 'New user' : `Edit user ${editing}`}>
          <div className="row">
            {editing === 'new' && <Field label="User name" name="id" error={act.error}><input value={value.id ?? ''} onChange={(e) => set('id', e.target.value)} /></Field>}
            <Field label="Full name" name="name" error={act.error}><input value={value.name ?? ''} onChange={(e) => set('name', e.target.value)} /></Field>
            <Field label="Role" name="role" error={act.error}><select value={value.role} onChange={(e) => set('role', e.target.value)}><option>agent</option><option>supervisor</option><option>admin</option></select></Field>
            <Field label="Agent id" name="agentId" error={act.error}><input value={value.agentId ?? ''} onChange={(e) => set('agentId', e.target.value)} /></Field>
            <Field label="Supervised queues" name="supervisedQueues" error={act.error}><input value={(value.supervisedQueues ?? []).join(', ')} onChange={(e) => set('supervisedQueues', e.target.value.split(',').map((x) => x.trim()).filter(Boolean))} /></Field>
            <Field label="Monitoring phone" name="endpoint" error={act.error} hint="e.g. PJSIP/sup1"><input value={value.endpoint ?? ''} onChange={(e) => set('endpoint', e.target.value)} /></Field>
          </div>
          <fieldset className="panel"><legend>Permissions</legend><div className="row">
            {PERMISSIONS.map((p) => (
              <Field key={p} label={p} name={`permissions.${p}`} error={act.error}>
                <select value={value.permissions?.[p] === undefined ? '' : String(value.permissions[p])} onChange={(e) => {
                  const perms = { ...(value.permissions ?? {}) };
                  if (e.target.value === '') delete perms[p]; else perms[p] = e.target.value === 'true';
                  set('permissions', perms);
                }}><option value="">role default</option><option value="true">yes</option><option value="false">no</option></select>
              </Field>))}
          </div></fieldset>
          <div className="row"><button type="submit" className="primary">Save user</button><button type="button" onClick={() => setEditing(null)}>Close</button></div>
          <FormError error={act.error} />
          {editing !== 'new' && (
            <div className="row">
              <Field label="New password" name="password" error={pw.error}><input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
              <button type="button" onClick={() => void setPw()}>Set password</button>
            </div>
          )}
          {saved && <span className="ok" role="status">{saved}</span>}
          {!(pw.error instanceof ApiError && pw.error.status === 422) && <ErrorLine error={pw.error} />}
        </form>
      )}
    </section>
  );
}

function PauseReasons() {
  const { user } = useSession();
  const [list, setList] = useState<{ code: string; name: string }[]>([]);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const act = useAction();
  const load = () => act.run(async () => setList((await api('GET', '/pause-reasons')).pauseReasons));
  useEffect(() => { void load(); }, []);
  const may = user.role === 'admin' || user.permissions.managePauseReasons;
  return (
    <section className="admin">
      <h1>Pause reasons</h1>
      <table><thead><tr><th>Code</th><th>Name</th><th></th></tr></thead><tbody>
        {list.map((r) => <tr key={r.code}><td>{r.code}</td><td>{r.name}</td><td>{may && <button type="button" className="danger" onClick={() => void act.run(async () => { await api('DELETE', `/pause-reasons/${enc(r.code)}`); await load(); })}>Delete</button>}</td></tr>)}
      </tbody></table>
      {may && (
        <form className="row" aria-label="New pause reason" onSubmit={(e) => { e.preventDefault(); void act.run(async () => { await api('POST', '/pause-reasons', { code, name }); setCode(''); setName(''); await load(); }); }}>
          <Field label="Code" name="code" error={act.error}><input value={code} onChange={(e) => setCode(e.target.value)} /></Field>
          <Field label="Name" name="name" error={act.error}><input value={name} onChange={(e) => setName(e.target.value)} /></Field>
          <button type="submit">Add pause reason</button>
        </form>
      )}
      <FormError error={act.error} />
    </section>
  );
}

function SkillsPage() {
  const { user } = useSession();
  const [skills, setSkills] = useState<{ name: string; agents: Record<string, number>; queues: Record<string, number> }[]>([]);
  const [agents, setAgents] = useState<{ id: string; name: string; skills: Record<string, number> }[]>([]);
  const [edit, setEdit] = useState<Record<string, string>>({});
  const act = useAction();
  const errs = useAction();
  const load = () => act.run(async () => {
    const [s, a] = await Promise.all([api('GET', '/skills'), api('GET', '/agents')]);
    setSkills(s.skills);
    setAgents(a.agents);
    setEdit(Object.fromEntries(a.agents.map((x: any) => [x.id, Object.entries(x.skills ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')])));
  });
  useEffect(() => { void load(); }, []);
  const may = user.role === 'admin' || user.permissions.manageSkills;
  const [failed, setFailed] = useState<string | null>(null);
  const save = (id: string) => errs.run(async () => {
    setFailed(id);
    const entries = (edit[id] ?? '').split(',').map((x) => x.trim()).filter(Boolean).map((x) => { const [k, v] = x.split('='); return [k.trim(), Number(v)]; });
    await api('PUT', `/agents/${enc(id)}/skills`, { skills: Object.fromEntries(entries) });
    setFailed(null);
    await load();
  });
  return (
    <section className="admin">
      <h1>Skills</h1>
      <table><thead><tr><th>Skill</th><th>Agents (level)</th><th>Queues requiring it</th></tr></thead><tbody>
        {skills.map((s) => <tr key={s.name}><td>{s.name}</td><td>{Object.entries(s.agents).map(([a, l]) => `${a} (${l})`).join(', ')}</td><td>{Object.entries(s.queues).map(([q, l]) => `${q} (${l})`).join(', ')}</td></tr>)}
      </tbody></table>
      <h2>Skills per agent</h2>
      <table><thead><tr><th>Agent</th><th>Skills (name=level 1-5)</th><th></th></tr></thead><tbody>
        {agents.map((a) => (
          <tr key={a.id} data-testid={`skills-row-${a.id}`}><td>{a.name} <small className="hint">{a.id}</small></td>
            <td><Field label={`Skills of ${a.id}`} name="skills" error={failed === a.id ? errs.error : null}>
              <input value={edit[a.id] ?? ''} disabled={!may} onChange={(e) => setEdit({ ...edit, [a.id]: e.target.value })} /></Field></td>
            <td>{may && <button type="button" onClick={() => void save(a.id)}>Save skills</button>}</td></tr>
        ))}
      </tbody></table>
      <ErrorLine error={act.error} />
      {!(errs.error instanceof ApiError && errs.error.status === 422) && <ErrorLine error={errs.error} />}
    </section>
  );
}

function Settings() {
  const { user } = useSession();
  const [allow, setAllow] = useState(false);
  const [saved, setSaved] = useState(false);
  const act = useAction();
  useEffect(() => { void act.run(async () => setAllow((await api('GET', '/settings')).allowUnassignedQueueLogin)); }, []);
  const may = user.role === 'admin' || user.permissions.configAccess;
  return (
    <section className="admin">
      <h1>Organisation settings</h1>
      <form className="panel" aria-label="Organisation settings" onSubmit={(e) => { e.preventDefault(); setSaved(false); void act.run(async () => { await api('PUT', '/settings', { allowUnassignedQueueLogin: allow }); setSaved(true); }); }}>
        <label><input type="checkbox" checked={allow} disabled={!may} onChange={(e) => setAllow(e.target.checked)} /> Agents may log in to queues they are not assigned to (until logged out of them)</label>
        {may && <div className="row"><button type="submit" className="primary">Save settings</button>{saved && <span className="ok" role="status">Saved</span>}</div>}
        <FormError error={act.error} />
      </form>
    </section>
  );
}
