import { FormEvent, useState } from 'react';
import { api, ApiError } from '../api';
import type { SessionUser } from '../App';
import { ErrorLine, Field } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: (token: string, user: SessionUser) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const r = await api<{ token: string; user: SessionUser; expiresAt: string }>('POST', '/sessions', { username, password }, { token: null });
      onSignedIn(r.token, { ...r.user, expiresAt: r.expiresAt });
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  const message = error instanceof ApiError && error.code === 'BAD_CREDENTIALS' ? 'Wrong user name or password.'
    : error instanceof ApiError && error.code === 'SIGN_IN_SLOWED' ? `Too many wrong passwords: try again in ${Math.ceil(Number((error.details as any)?.retryAfterMs ?? 1000) / 1000)} s.` : null;
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to the ACD</h1>
        <Field label="User name" name="username" error={error}>
          <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
        </Field>
        <Field label="Password" name="password" error={error}>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {message ? <p className="error" role="alert" data-testid="signin-error">{message}</p> : <ErrorLine error={error} />}
        <button type="submit" className="primary" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}
