import { FormEvent, useState } from 'react';
import { api, enc } from '../api';
import { useSession } from '../App';
import { dateTime, timeZone } from '../format';
import { ErrorLine, Field, useAction } from '../ui';

/** The signed-in user: who, until when, and changing one's own password. */
export function Account() {
  const { user } = useSession();
  const act = useAction();
  const [currentPassword, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    void act.run(async () => { await api('PUT', `/users/${enc(user.id)}/password`, { currentPassword, password }); setDone(true); setCurrent(''); setPassword(''); });
  };
  return (
    <section className="account">
      <h1>My account</h1>
      <p>{user.name ?? user.id} · {user.role}{user.agentId ? ` · agent ${user.agentId}` : ''}{user.expiresAt ? ` · signed in until ${dateTime(user.expiresAt)}` : ''} · times shown in {timeZone}</p>
      <form onSubmit={submit} aria-label="Change my password">
        <h2>Change my password</h2>
        <Field label="Current password" name="currentPassword" error={act.error}><input type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} /></Field>
        <Field label="New password" name="password" error={act.error}><input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        <button type="submit" className="primary">Change password</button>{done && <span className="ok" role="status">Password changed</span>}
        <ErrorLine error={act.error} />
      </form>
    </section>
  );
}
