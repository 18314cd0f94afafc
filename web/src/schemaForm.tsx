import { ReactElement, useEffect, useState } from 'react';
import { api, ApiError } from './api';

/**
 * Forms drawn from the API's own OpenAPI document: every setting a schema names gets a field, and
 * the API's 422 details ([{path, message}]) land at the field of that path (e.g. wrapUp.sec).
 */
export type Schema = {
  type?: string; properties?: Record<string, Schema>; items?: Schema; enum?: string[]; oneOf?: Schema[]; $ref?: string;
  required?: string[]; description?: string; default?: unknown; additionalProperties?: boolean | Schema; writeOnly?: boolean;
  minimum?: number; maximum?: number; example?: unknown;
};
let docPromise: Promise<any> | null = null;
export function useOpenApi(): any {
  const [doc, setDoc] = useState<any>(null);
  useEffect(() => { (docPromise ??= api('GET', '/openapi.json', undefined, { token: null })).then(setDoc, () => undefined); }, []);
  return doc;
}
export function resolve(doc: any, s: Schema): Schema {
  let x = s;
  while (x?.$ref) x = x.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], doc);
  return x;
}

/** ringTimeoutSec → "Ring timeout (s)": the API's names, readable. */
export const human = (k: string) => {
  const t = k.replace(/Sec$/, ' (s)').replace(/Ms$/, ' (ms)').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
};

const messageAt = (error: unknown, path: string, exact = false) => {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return undefined;
  return (error.details as { path: string; message: string }[]).find((d) => d.path === path || (!exact && d.path.startsWith(`${path}.`)))?.message;
};

export function SchemaFields({ doc, schema, value, onChange, error, path = '', skip = [] }: {
  doc: any; schema: Schema; value: any; onChange: (v: any) => void; error: unknown; path?: string; skip?: string[];
}) {
  const s = resolve(doc, schema);
  const v = value ?? {};
  return (
    <div className="schema-fields">
      {Object.entries(s.properties ?? {}).filter(([k]) => !skip.includes(k)).map(([k, raw]) => (
        <SchemaField key={k} doc={doc} name={k} schema={resolve(doc, raw)} value={v[k]} required={s.required?.includes(k)} error={error}
          path={path ? `${path}.${k}` : k}
          onChange={(x) => { const next = { ...v }; if (x === undefined) delete next[k]; else next[k] = x; onChange(next); }} />
      ))}
    </div>
  );
}

function SchemaField({ doc, name, schema: s, value, onChange, error, path, required }: {
  doc: any; name: string; schema: Schema; value: any; onChange: (v: any) => void; error: unknown; path: string; required?: boolean;
}) {
  const msg = messageAt(error, path);
  const id = `f-${path.replace(/\./g, '-')}`;
  const label = <label htmlFor={id} className="label">{human(name)}{required ? ' *' : ''}</label>;
  const hint = s.description ? <span className="hint">{s.description}</span> : null;
  const err = msg ? <span className="field-error" role="alert" id={`${id}-error`} data-field-error={path}>{msg}</span> : null;
  const aria = { id, 'aria-invalid': msg ? true : undefined, 'aria-describedby': msg ? `${id}-error` : undefined };
  const wrap = (control: ReactElement) => <div className={`field${msg ? ' invalid' : ''}`} data-field={path}>{label}{control}{err ?? hint}</div>;

  if (s.oneOf) {
    const variants = s.oneOf.map((o) => resolve(doc, o));
    const tagKey = Object.keys(variants[0].properties ?? {}).find((k) => variants.every((o) => o.properties?.[k]?.enum));
    const tags = variants.map((o) => o.properties![tagKey!].enum![0]);
    const current = value?.[tagKey!];
    const chosen = variants[tags.indexOf(current)];
    return (
      <fieldset className={`panel${msg ? ' invalid' : ''}`} data-field={path}>
        <legend>{human(name)}</legend>
        <div className="field">
          <label htmlFor={id} className="label">{human(tagKey!)}</label>
          <select {...aria} value={current ?? ''} onChange={(e) => onChange(e.target.value ? { [tagKey!]: e.target.value } : undefined)}>
            <option value="">{required ? 'choose…' : 'none'}</option>{tags.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        {chosen && <SchemaFields doc={doc} schema={chosen} value={value} onChange={onChange} error={error} path={path} skip={[tagKey!]} />}
        {err ?? (s.description ? hint : null)}
      </fieldset>
    );
  }
  if (s.type === 'object' && s.properties) {
    // the group's own problem only: its fields show theirs
    const own = messageAt(error, path, true);
    return (
      <fieldset className="panel" data-field={path}>
        <legend>{human(name)}</legend>{s.description && hint}
        <SchemaFields doc={doc} schema={s} value={value} onChange={(x) => onChange(Object.keys(x).length ? x : undefined)} error={error} path={path} />
        {own && <span className="field-error" role="alert" data-field-error={path}>{own}</span>}
      </fieldset>
    );
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const inner = resolve(doc, s.additionalProperties);
    return wrap(<MapInput aria={aria} value={value} numeric={inner.type === 'integer' || inner.type === 'number'} onChange={onChange} />);
  }
  if (s.type === 'object') return wrap(<JsonInput aria={aria} value={value} onChange={onChange} />);
  if (s.type === 'array') {
    const inner = s.items ? resolve(doc, s.items) : {};
    if (inner.type === 'object') return wrap(<JsonInput aria={aria} value={value} onChange={onChange} />);
    const numeric = inner.type === 'integer' || inner.type === 'number';
    return wrap(<ListInput aria={aria} value={value} numeric={numeric} onChange={onChange} />);
  }
  if (s.enum) {
    return wrap(
      <select {...aria} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        {!required && <option value="">{s.default !== undefined ? `default (${String(s.default)})` : '—'}</option>}
        {s.enum.map((x) => <option key={x} value={x}>{x}</option>)}
      </select>);
  }
  if (s.type === 'boolean') {
    return wrap(
      <select {...aria} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">{s.default !== undefined ? `default (${s.default ? 'yes' : 'no'})` : '—'}</option><option value="true">yes</option><option value="false">no</option>
      </select>);
  }
  if (s.type === 'integer' || s.type === 'number') {
    return wrap(<input {...aria} type="number" value={value ?? ''} placeholder={s.default !== undefined ? String(s.default) : ''}
      onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))} />);
  }
  return wrap(<input {...aria} type={s.writeOnly ? 'password' : 'text'} value={value ?? ''} placeholder={s.example !== undefined ? String(s.example) : ''}
    onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />);
}

function ListInput({ aria, value, numeric, onChange }: { aria: object; value: any; numeric: boolean; onChange: (v: any) => void }) {
  const [text, setText] = useState((value ?? []).join(', '));
  useEffect(() => { setText((value ?? []).join(', ')); }, [JSON.stringify(value)]);
  return <input {...aria} value={text} placeholder="comma separated" onChange={(e) => {
    setText(e.target.value);
    const items = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
    onChange(items.length ? items.map((x) => (numeric && /^-?\d+(\.\d+)?$/.test(x) ? Number(x) : x)) : undefined);
  }} />;
}

function MapInput({ aria, value, numeric, onChange }: { aria: object; value: any; numeric: boolean; onChange: (v: any) => void }) {
  const show = (v: any) => Object.entries(v ?? {}).map(([k, x]) => `${k}=${x}`).join(', ');
  const [text, setText] = useState(show(value));
  useEffect(() => { setText(show(value)); }, [JSON.stringify(value)]);
  return <input {...aria} value={text} placeholder="name=value, ..." onChange={(e) => {
    setText(e.target.value);
    const entries = e.target.value.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
      const [k, ...rest] = x.split('=');
      const val = rest.join('=').trim();
      return [k.trim(), numeric && /^-?\d+(\.\d+)?$/.test(val) ? Number(val) : val];
    });
    onChange(entries.length ? Object.fromEntries(entries) : undefined);
  }} />;
}

function JsonInput({ aria, value, onChange }: { aria: object; value: any; onChange: (v: any) => void }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return <>
    <textarea {...aria} rows={2} value={text} placeholder="JSON" onChange={(e) => {
      setText(e.target.value);
      if (!e.target.value.trim()) { setBad(false); onChange(undefined); return; }
      try { onChange(JSON.parse(e.target.value)); setBad(false); } catch { setBad(true); }
    }} />
    {bad && <span className="field-error">not valid JSON yet</span>}
  </>;
}
