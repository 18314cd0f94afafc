import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { User } from '../config/schema';
import { AcdError, Conflict, Invalid, NotFound } from '../errors';
import type { StateStore } from '../state/store';
import { hashPassword, verifyPassword } from './passwords';
import { Principal, principalOf, sha256 } from './users';
import { parseOrThrow } from '../validation/parse';

export class BadCredentials extends AcdError {
  constructor() { super(401, 'BAD_CREDENTIALS', 'wrong user name or password'); }
}
export class SignInSlowed extends AcdError {
  constructor(readonly retryAfterMs: number) {
    super(429, 'SIGN_IN_SLOWED', 'too many wrong passwords: wait before trying again', { retryAfterMs });
  }
}

export const PasswordSchema = z.string().min(8, 'at least 8 characters').max(200);
const SignInSchema = z.object({ username: z.string().min(1).max(80), password: z.string().min(1).max(200) }).strict();

/** What the browser learns about the signed-in user: enough to show only what the role allows. */
export interface SessionUser {
  id: string; name?: string; role: Principal['role']; agentId?: string; supervisedQueues: string[];
  endpoint?: string; permissions: Principal['permissions'];
}

export interface SignInThrottle { freeName: number; freeAddress: number; maxMs: number; windowMs: number }
export const DEFAULT_THROTTLE: SignInThrottle = { freeName: 3, freeAddress: 20, maxMs: 60_000, windowMs: 15 * 60_000 };

/**
 * Sign-in by user name and password. A session is a bearer token with an expiry in the same token
 * store as API tokens: authenticate() takes both, and sign-out is the same revocation (token.revoked).
 * Wrong passwords are slowed per user name and per address, counted in Redis for all controllers.
 */
export class SessionService {
  constructor(private readonly state: StateStore, private readonly ttlMs = 12 * 3600_000,
    private readonly throttle: SignInThrottle = DEFAULT_THROTTLE, private readonly now: () => number = Date.now) {}

  async seed(users: { user: User; password?: string }[]): Promise<void> {
    for (const u of users) if (u.password) await this.state.passwordSet(u.user.id, await hashPassword(u.password), 'seed', 'seed');
  }

  async signIn(body: unknown, address: string): Promise<{ token: string; tokenId: string; expiresAt: string; user: SessionUser }> {
    const { username, password } = parseOrThrow(SignInSchema, body, 'sign-in');
    const waitUntil = await this.state.signInWaitUntil(username, address);
    if (waitUntil > this.now()) throw new SignInSlowed(waitUntil - this.now());
    const user = await this.state.registryGet<User>('users', username);
    const good = await verifyPassword(password, user && (await this.state.passwordHash(user.id)));
    if (!user || !good) {
      await this.state.signInFailed(username, address, this.throttle);
      throw new BadCredentials();
    }
    await this.state.signInSucceeded(username);
    const token = randomBytes(32).toString('base64url');
    const tokenId = `session-${randomUUID()}`;
    const expiresAt = this.now() + this.ttlMs;
    const r = await this.state.sessionOpen(user.id, tokenId, sha256(token), expiresAt, `signed in from ${address}`.slice(0, 80));
    if (!r.ok) throw new Conflict('SESSION_NOT_OPENED', r.code);
    return { token, tokenId, expiresAt: new Date(expiresAt).toISOString(), user: sessionUser(principalOf(user), user) };
  }

  /** Ends the session the request came with; an API token is not ended this way (revoke it under /users). */
  async signOut(token: string | undefined): Promise<void> {
    const t = token ? await this.state.tokenLookup(sha256(token)) : undefined;
    // an API token, or the environment's admin token (in no store): not ended by signing out
    if (t?.kind !== 'session') throw new Conflict('NOT_A_SESSION', 'this is an API token, not a session: revoke it through /users/{id}/tokens');
    await this.state.tokenRevoke(t.userId, t.tokenId);
  }

  async current(p: Principal, token: string | undefined): Promise<SessionUser & { expiresAt: string | null }> {
    const user = await this.state.registryGet<User>('users', p.id);
    const t = token ? await this.state.tokenLookup(sha256(token)) : undefined;
    return { ...sessionUser(p, user), expiresAt: t?.expiresAt ? new Date(t.expiresAt).toISOString() : null };
  }

  /** An admin sets (or resets) a user's password. */
  async setPassword(userId: string, body: unknown, by: string): Promise<void> {
    const p = parseOrThrow(z.object({ password: PasswordSchema }).strict(), body, 'password');
    const r = await this.state.passwordSet(userId, await hashPassword(p.password), 'set', by);
    if (!r.ok) throw new NotFound('user', userId);
  }

  /** Users change their own password, proving they know the current one. */
  async changeOwnPassword(p: Principal, body: unknown): Promise<void> {
    const b = parseOrThrow(z.object({ currentPassword: z.string().max(200), password: PasswordSchema }).strict(), body, 'password change');
    const ok = await verifyPassword(b.currentPassword, await this.state.passwordHash(p.id));
    if (!ok) throw new Invalid('invalid password change', [{ path: 'currentPassword', message: 'this is not your current password' }]);
    const r = await this.state.passwordSet(p.id, await hashPassword(b.password), 'set', p.id);
    if (!r.ok) throw new NotFound('user', p.id);
  }

  async hasPassword(userId: string): Promise<boolean> { return Boolean(await this.state.passwordHash(userId)); }
}

function sessionUser(p: Principal, u?: User): SessionUser {
  return { id: p.id, name: u?.name, role: p.role, agentId: p.agentId, supervisedQueues: p.supervisedQueues, endpoint: p.endpoint, permissions: p.permissions };
}
