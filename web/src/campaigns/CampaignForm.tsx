import { useState } from 'react';
import { ErrorLine, Field, useAction } from '../ui';
import { Campaign, CampaignInput, CampaignOptions, campaigns, RetryRule } from './client';

export function PauseResume({ c, onError }: { c: Campaign; onError: (e: unknown) => void }) {
  const run = (p: Promise<unknown>) => void p.then(() => onError(null), onError);
  return c.state === 'paused'
    ? <button type="button" className="primary" aria-label={`Resume campaign ${c.name}`} onClick={() => run(campaigns.resume(c.id))}>Resume</button>
    : <button type="button" aria-label={`Pause campaign ${c.name}`} onClick={() => run(campaigns.pause(c.id))}>Pause</button>;
}

const RETRY_KINDS = [['busy', 'Busy'], ['noAnswer', 'No answer'], ['failed', 'Failed']] as const;

/**
 * Create or edit a campaign: name, inbound callers first, and the options beyond the product (each off
 * unless set here). A refused value shows the API's message at its field.
 */
export function CampaignForm({ initial, submitLabel, onSubmit, onCancel }: {
  initial?: Campaign; submitLabel: string; onSubmit: (c: CampaignInput) => Promise<unknown>; onCancel?: () => void;
}) {
  const act = useAction();
  const [id, setId] = useState('');
  const [name, setName] = useState(initial?.name ?? '');
  const [inboundFirst, setInboundFirst] = useState(initial?.inboundFirst ?? true);
  const o = initial?.options ?? {};
  const [doNotCall, setDoNotCall] = useState(!!o.doNotCall);
  const [skipIfAnsweredInbound, setSkip] = useState(!!o.skipIfAnsweredInbound);
  const [onePerNumberPerDay, setOnePerDay] = useState(!!o.onePerNumberPerDay);
  const [hoursOn, setHoursOn] = useState(!!o.callingHours);
  const [hours, setHours] = useState(o.callingHours ?? { from: '09:00', to: '18:00', defaultTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  const [retry, setRetry] = useState<Record<string, RetryRule | undefined>>({ ...(o.retry ?? {}) });
  const [saved, setSaved] = useState(false);
  const err = act.error;

  const submit = () => act.run(async () => {
    setSaved(false);
    const options: CampaignOptions = { doNotCall, skipIfAnsweredInbound, onePerNumberPerDay };
    if (hoursOn) options.callingHours = hours;
    const r = Object.fromEntries(Object.entries(retry).filter(([, v]) => v));
    if (Object.keys(r).length) options.retry = r;
    await onSubmit({ ...(initial ? {} : id ? { id } : {}), name, inboundFirst, options });
    setSaved(true);
  });
  return (
    <form onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-label={initial ? 'Campaign settings' : 'New campaign'} className="campaign-form">
      <div className="row">
        <Field label="Name" name="name" error={err} hint="shown on the agent's phone as “Campaign <name>”"><input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required /></Field>
        {!initial && <Field label="Id (optional)" name="id" error={err} hint="lower case letters, digits, - and _"><input value={id} onChange={(e) => setId(e.target.value)} /></Field>}
      </div>
      <label className="check"><input type="checkbox" checked={inboundFirst} onChange={(e) => setInboundFirst(e.target.checked)} /> Inbound callers first (a campaign call is offered only when no caller waits for the agent)</label>
      <fieldset className="panel">
        <legend>Options (off unless set)</legend>
        <label className="check"><input type="checkbox" checked={doNotCall} onChange={(e) => setDoNotCall(e.target.checked)} /> Check the do-not-call list at dial time</label>
        <label className="check"><input type="checkbox" checked={skipIfAnsweredInbound} onChange={(e) => setSkip(e.target.checked)} /> Skip a number that has since called in and been answered</label>
        <label className="check"><input type="checkbox" checked={onePerNumberPerDay} onChange={(e) => setOnePerDay(e.target.checked)} /> At most one attempt per number per day</label>
        <label className="check"><input type="checkbox" checked={hoursOn} onChange={(e) => setHoursOn(e.target.checked)} /> Calling hours (in the contact's own time zone)</label>
        {hoursOn && (
          <div className="row">
            <Field label="From" name="options.callingHours.from" error={err}><input type="time" value={hours.from} onChange={(e) => setHours({ ...hours, from: e.target.value })} /></Field>
            <Field label="To" name="options.callingHours.to" error={err}><input type="time" value={hours.to} onChange={(e) => setHours({ ...hours, to: e.target.value })} /></Field>
            <Field label="Default time zone" name="options.callingHours.defaultTimeZone" error={err} hint="when the contact has no timeZone detail"><input value={hours.defaultTimeZone} onChange={(e) => setHours({ ...hours, defaultTimeZone: e.target.value })} /></Field>
          </div>
        )}
        {RETRY_KINDS.map(([k, label]) => {
          const rule = retry[k];
          return (
            <div className="row" key={k}>
              <label className="check"><input type="checkbox" checked={!!rule} onChange={(e) => setRetry({ ...retry, [k]: e.target.checked ? { attempts: 1, afterSec: 600 } : undefined })} /> Retry when {label.toLowerCase()}</label>
              {rule && <>
                <Field label="Attempts" name={`options.retry.${k}.attempts`} error={err}><input type="number" min={1} value={rule.attempts} onChange={(e) => setRetry({ ...retry, [k]: { ...rule, attempts: Number(e.target.value) } })} /></Field>
                <Field label="After (seconds)" name={`options.retry.${k}.afterSec`} error={err}><input type="number" min={0} value={rule.afterSec} onChange={(e) => setRetry({ ...retry, [k]: { ...rule, afterSec: Number(e.target.value) } })} /></Field>
              </>}
            </div>
          );
        })}
      </fieldset>
      <div className="row">
        <button type="submit" className="primary" disabled={act.busy}>{submitLabel}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
        {saved && initial && <span className="ok" role="status">Saved</span>}
      </div>
      <ErrorLine error={err} />
    </form>
  );
}
