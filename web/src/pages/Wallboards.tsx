import { useEffect, useState } from 'react';
import { api, ApiError, enc } from '../api';
import { navigate, Link } from '../router';
import { dateTime } from '../format';
import { ErrorLine, Field, useAction } from '../ui';
import { Widget, WIDGET_LABELS } from '../widgets';

interface Wallboard { id: string; name: string; description: string; widgets: Widget[]; archived: boolean; updatedAt: string; url: string }

export function Wallboards({ path }: { path: string }) {
  const m = /^\/wallboards\/([^/]+)$/.exec(path);
  if (m) return <WallboardEditor id={m[1] === 'new' ? null : decodeURIComponent(m[1])} />;
  return <WallboardList />;
}

/** Launching issues a display token for this screen and opens the wallboard's own URL with it. */
export async function launch(w: { id: string }): Promise<string> {
  const d = await api('POST', `/wallboards/${enc(w.id)}/displays`, { label: `launched ${new Date().toLocaleString()}` });
  return d.url as string;
}

function WallboardList() {
  const [list, setList] = useState<Wallboard[]>([]);
  const act = useAction();
  const load = () => act.run(async () => setList((await api('GET', '/wallboards')).wallboards));
  useEffect(() => { void load(); }, []);
  return (
    <section>
      <h1>Wallboards <Link to="/wallboards/new" className="button">+ New wallboard</Link></h1>
      <table><thead><tr><th>Name</th><th>Description</th><th>Widgets</th><th>Updated</th><th></th></tr></thead><tbody>
        {list.map((w) => (
          <tr key={w.id} className={w.archived ? 'archived' : ''} data-testid={`wallboard-${w.name}`}>
            <td><Link to={`/wallboards/${enc(w.id)}`}>{w.name}</Link>{w.archived && <span className="badge">archived</span>}</td>
            <td>{w.description}</td><td>{w.widgets.length}</td><td>{dateTime(w.updatedAt)}</td>
            <td className="actions">
              {!w.archived && <button type="button" onClick={() => void act.run(async () => { window.open(await launch(w), '_blank'); })}>Launch full screen</button>}
              <button type="button" onClick={() => void act.run(async () => { await api('POST', `/wallboards/${enc(w.id)}/${w.archived ? 'unarchive' : 'archive'}`); await load(); })}>{w.archived ? 'Unarchive' : 'Archive'}</button>
              <button type="button" className="danger" onClick={() => { if (confirm(`Delete wallboard ${w.name}?`)) void act.run(async () => { await api('DELETE', `/wallboards/${enc(w.id)}`); await load(); }); }}>Delete</button>
            </td>
          </tr>
        ))}
      </tbody></table>
      {list.length === 0 && <p className="hint">No wallboards yet.</p>}
      <ErrorLine error={act.error} />
    </section>
  );
}

function WallboardEditor({ id }: { id: string | null }) {
  const [queues, setQueues] = useState<{ id: string; name: string }[]>([]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [widgets, setWidgets] = useState<Widget[]>([]);
  const [kind, setKind] = useState('callersWaiting');
  const [saved, setSaved] = useState<Wallboard | null>(null);
  const act = useAction();
  useEffect(() => {
    void api('GET', '/queues').then((r) => setQueues(r.queues.map((q: any) => ({ id: q.id, name: q.name }))));
    if (id) void act.run(async () => { const w = await api<Wallboard>('GET', `/wallboards/${enc(id)}`); setSaved(w); setName(w.name); setDescription(w.description); setWidgets(w.widgets); });
  }, [id]);
  const add = () => setWidgets([...widgets, { id: `w${Date.now().toString(36)}`, kind, queues: queues[0] ? [queues[0].id] : [] }]);
  const change = (i: number, w: Partial<Widget>) => setWidgets(widgets.map((x, j) => (j === i ? { ...x, ...w } : x)));
  const save = () => act.run(async () => {
    const body = { name, description, widgets: widgets.map(({ id: wid, kind: k, title, queues: q }) => ({ id: wid.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 40) || undefined, kind: k, ...(title ? { title } : {}), queues: q })) };
    const w = await api<Wallboard>(id ? 'PUT' : 'POST', id ? `/wallboards/${enc(id)}` : '/wallboards', body);
    setSaved(w); setWidgets(w.widgets);
    if (!id) navigate(`/wallboards/${enc(w.id)}`, true);
  });
  const err = act.error;
  return (
    <section className="wallboard-editor">
      <h1>{id ? `Wallboard ${saved?.name ?? ''}` : 'New wallboard'} <Link to="/wallboards">all wallboards</Link></h1>
      <form onSubmit={(e) => { e.preventDefault(); void save(); }} aria-label="Wallboard">
        <div className="row">
          <Field label="Name" name="name" error={err}><input value={name} onChange={(e) => setName(e.target.value)} /></Field>
          <Field label="Description" name="description" error={err}><input value={description} onChange={(e) => setDescription(e.target.value)} size={50} /></Field>
        </div>
        <h2>Widgets</h2>
        {widgets.map((w, i) => (
          <fieldset key={w.id} className="panel" data-testid={`widget-editor-${i}`}>
            <legend>{WIDGET_LABELS[w.kind]}</legend>
            <div className="row">
              <Field label="Widget" name={`widgets.${i}.kind`} error={err}>
                <select value={w.kind} onChange={(e) => change(i, { kind: e.target.value })}>{Object.entries(WIDGET_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}</select>
              </Field>
              <Field label="Title (optional)" name={`widgets.${i}.title`} error={err}><input value={w.title ?? ''} onChange={(e) => change(i, { title: e.target.value })} /></Field>
              <Field label="Queues" name={`widgets.${i}.queues`} error={err}>
                <span className="row" role="group" aria-label={`Queues of widget ${i + 1}`}>{queues.map((q) => (
                  <label key={q.id}><input type="checkbox" checked={w.queues.includes(q.id)}
                    onChange={(e) => change(i, { queues: e.target.checked ? [...w.queues, q.id] : w.queues.filter((x) => x !== q.id) })} /> {q.name}</label>))}</span>
              </Field>
              <button type="button" className="danger" onClick={() => setWidgets(widgets.filter((_, j) => j !== i))}>Remove widget</button>
            </div>
          </fieldset>
        ))}
        <div className="row">
          <label>Add a widget <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Widget to add">{Object.entries(WIDGET_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}</select></label>
          <button type="button" onClick={add}>Add widget</button>
        </div>
        <button type="submit" className="primary">Save</button>
        {saved && !err && <span className="ok" role="status">Saved</span>}
        {!(err instanceof ApiError && err.status === 422) && <ErrorLine error={err} />}
        {err instanceof ApiError && err.status === 422 && <p className="error" role="alert">{err.message}: see the fields marked.</p>}
      </form>
      {saved && <Displays w={saved} />}
    </section>
  );
}

function Displays({ w }: { w: Wallboard }) {
  const [list, setList] = useState<{ tokenId: string; label: string; createdAt: string }[]>([]);
  const [fresh, setFresh] = useState<string | null>(null);
  const act = useAction();
  const load = () => act.run(async () => setList((await api('GET', `/wallboards/${enc(w.id)}/displays`)).displays));
  useEffect(() => { void load(); }, [w.id]);
  return (
    <section className="panel" aria-label="Display links">
      <h2>Screens (display links)</h2>
      <p className="hint">A display link opens this wallboard full screen, read-only, without signing in. Revoke it to switch that screen off.</p>
      <div className="row">
        <button type="button" onClick={() => void act.run(async () => { const url = await launch(w); setFresh(`${location.origin}${url}`); await load(); })}>New display link</button>
        <button type="button" className="primary" onClick={() => void act.run(async () => { const url = await launch(w); await load(); window.open(url, '_blank'); })}>Launch full screen</button>
      </div>
      {fresh && <p data-testid="display-url">Shown once: <a href={fresh} target="_blank" rel="noreferrer">{fresh}</a></p>}
      <table><thead><tr><th>Screen</th><th>Since</th><th></th></tr></thead><tbody>
        {list.map((d) => <tr key={d.tokenId}><td>{d.label || d.tokenId}</td><td>{dateTime(d.createdAt)}</td>
          <td><button type="button" className="danger" onClick={() => void act.run(async () => { await api('DELETE', `/wallboards/${enc(w.id)}/displays/${enc(d.tokenId)}`); await load(); })}>Revoke</button></td></tr>)}
      </tbody></table>
      <ErrorLine error={act.error} />
    </section>
  );
}
