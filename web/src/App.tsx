import { createContext, ReactElement, useContext, useEffect, useMemo, useState } from 'react';
import { api, session, whenUnauthorized } from './api';
import { eventsUrl, LiveStream } from './live';
import { Link, navigate, usePath } from './router';
import { SignIn } from './pages/SignIn';
import { AgentDashboard } from './pages/AgentDashboard';
import { SupervisorDashboard } from './pages/SupervisorDashboard';
import { Wallboards } from './pages/Wallboards';
import { WallDisplay } from './pages/WallDisplay';
import { Admin } from './pages/Admin';
import { Account } from './pages/Account';
import { PageBoundary } from './boundary';
import { CampaignsRoute, Lazy } from './campaigns/lazy';

export interface SessionUser {
  id: string; name?: string; role: 'admin' | 'supervisor' | 'agent'; agentId?: string; supervisedQueues: string[];
  endpoint?: string; permissions: Record<string, boolean>; expiresAt?: string | null;
}
interface Ctx { user: SessionUser; live: LiveStream }
const SessionContext = createContext<Ctx | null>(null);
export function useSession(): Ctx {
  const c = useContext(SessionContext);
  if (!c) throw new Error('no session');
  return c;
}

export const homeOf = (u: SessionUser) => (u.role === 'agent' ? '/agent' : '/supervisor');
const isStaff = (u: SessionUser) => u.role === 'admin' || u.role === 'supervisor';

export function App() {
  const path = usePath();
  const [user, setUser] = useState<SessionUser | null | undefined>(session.token ? undefined : null);

  useEffect(() => {
    whenUnauthorized(() => { session.set(null); setUser(null); });
    if (session.token && user === undefined) {
      api<SessionUser>('GET', '/sessions/current').then(setUser, () => { session.set(null); setUser(null); });
    }
  }, []);

  // the wallboard display works with its display token only, outside any session
  const wall = /^\/wall\/([^/]+)$/.exec(path);
  if (wall) return <WallDisplay id={decodeURIComponent(wall[1])} />;

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (!user) {
    return <SignIn onSignedIn={(token, u) => { session.set(token); setUser(u); navigate(path === '/' || path === '/signin' ? homeOf(u) : path, true); }} />;
  }
  return <SignedIn user={user} path={path} onSignOut={() => setUser(null)} />;
}

function SignedIn({ user, path, onSignOut }: { user: SessionUser; path: string; onSignOut: () => void }) {
  // refused at reconnect: ask who we are; a 401 there (session revoked or expired) signs the page out
  const live = useMemo(() => new LiveStream(eventsUrl('/events', session.token ?? ''), () => { void api('GET', '/sessions/current').catch(() => undefined); }), [user.id]);
  const [online, setOnline] = useState(live.online);
  useEffect(() => { const off = live.onStatus(setOnline); return () => { off(); live.close(); }; }, [live]);
  useEffect(() => { if (path === '/' || path === '/signin') navigate(homeOf(user), true); }, [path]);

  const signOut = async () => {
    await api('DELETE', '/sessions/current').catch(() => undefined);
    session.set(null);
    live.close();
    navigate('/signin', true);
    onSignOut();
  };

  const admin = user.role === 'admin';
  const links: [string, string][] = [];
  if (user.agentId) links.push(['/agent', 'My dashboard']);
  if (isStaff(user)) links.push(['/supervisor', 'Supervisor'], ['/wallboards', 'Wallboards']);
  if (isStaff(user)) links.push(['/campaigns', 'Campaigns']);
  if (admin || user.permissions.manageQueues) links.push(['/admin/queues', 'Queues']);
  if (admin || user.permissions.configAccess) links.push(['/admin/agents', 'Agents']);
  if (admin) links.push(['/admin/users', 'Users']);
  if (admin || user.permissions.managePauseReasons || user.permissions.viewPauseReasons) links.push(['/admin/pause-reasons', 'Pause reasons']);
  if (admin || user.permissions.viewSkills) links.push(['/admin/skills', 'Skills']);
  if (isStaff(user)) links.push(['/admin/settings', 'Settings']);

  let page: ReactElement;
  const forbidden = <NotAllowed />;
  if (path === '/agent') page = user.agentId ? <AgentDashboard /> : forbidden;
  else if (path === '/supervisor') page = isStaff(user) ? <SupervisorDashboard /> : forbidden;
  else if (path === '/wallboards' || path.startsWith('/wallboards/')) page = isStaff(user) ? <Wallboards path={path} /> : forbidden;
  else if (path === '/campaigns' || path.startsWith('/campaigns/')) page = isStaff(user) ? <Lazy><CampaignsRoute path={path} /></Lazy> : forbidden;
  else if (path.startsWith('/admin/')) page = isStaff(user) ? <Admin section={path.slice('/admin/'.length)} /> : forbidden;
  else if (path === '/account') page = <Account />;
  else page = <p>No such page. <Link to={homeOf(user)}>Go to your dashboard</Link></p>;

  return (
    <SessionContext.Provider value={{ user, live }}>
      {!online && <div className="offline" role="status" data-testid="offline-banner">Offline: reconnecting to the ACD… figures shown may be out of date.</div>}
      <header className="top">
        <strong className="brand">ACD</strong>
        <nav aria-label="Main">{links.map(([to, label]) => <Link key={to} to={to}>{label}</Link>)}</nav>
        <span className="who"><Link to="/account">{user.name ?? user.id}</Link> <span className="role">{user.role}</span></span>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main><PageBoundary page={path}>{page}</PageBoundary></main>
    </SessionContext.Provider>
  );
}

function NotAllowed() {
  return <section className="not-allowed" data-testid="not-allowed"><h1>Not allowed</h1><p>Your role does not give you this page.</p></section>;
}
