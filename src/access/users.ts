import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { FileUserSchema, User, UserSchema } from '../config/schema';
import { Conflict, NotFound } from '../errors';
import type { StateStore } from '../state/store';
import { Permission, effectivePermissions } from './permissions';
import { parseOrThrow } from '../validation/parse';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Who is calling the API, with the permissions in force. */
export interface Principal {
  id: string;
  role: User['role'];
  agentId?: string;
  supervisedQueues: string[];
  endpoint?: string;
  permissions: Record<Permission, boolean>;
  /**
   * The credential this request or socket came with (absent for ACD_ADMIN_TOKEN): revoking it,
   * whatever kind of token it is (API token, sign-in session), ends what it opened.
   */
  tokenId?: string;
}

export const principalOf = (u: User, tokenId?: string): Principal => ({
  id: u.id, role: u.role, agentId: u.agentId, supervisedQueues: u.supervisedQueues, endpoint: u.endpoint,
  permissions: effectivePermissions(u.role, u.permissions),
  ...(tokenId ? { tokenId } : {}),
});

/**
 * API users and their bearer tokens, in Redis: every controller sees a new or revoked token at once.
 * Tokens are stored as SHA-256 hashes only. ACD_ADMIN_TOKEN, when set, is an admin that lives in the
 * environment (the way in when Redis holds no user yet).
 */
export class UserDirectory {
  private readonly adminSha?: Buffer;

  constructor(private readonly state: StateStore, adminToken?: string) {
    if (adminToken) this.adminSha = Buffer.from(sha256(adminToken), 'hex');
  }

  /**
   * Users and tokens from the config file, on the first start only (like queues): one deleted or
   * revoked through the API stays gone after a restart. The outcomes, for the start-up log.
   */
  async seed(users: z.infer<typeof FileUserSchema>[]): Promise<{ userId: string; user: string; token?: string }[]> {
    const out: { userId: string; user: string; token?: string }[] = [];
    for (const { user, token, tokenSha256 } of users) {
      const u = await this.state.registryPut('users', user.id, user, 'seed');
      const sha = tokenSha256 ?? (token ? sha256(token) : undefined);
      const t = sha && (u.ok || u.code === 'KEPT') ? await this.state.tokenIssue(user.id, `config-${sha.slice(0, 8)}`, sha, 'from the config file', true) : undefined;
      out.push({ userId: user.id, user: u.ok ? 'created' : u.code, ...(t ? { token: t.ok ? 'issued' : t.code } : {}) });
    }
    return out;
  }

  /** The user's principal as stored now (after a change), with the same credential; undefined when gone. */
  async refresh(p: Principal): Promise<Principal | undefined> {
    if (p.id === 'admin' && !p.tokenId) return p;   // ACD_ADMIN_TOKEN lives in the environment
    const user = await this.state.registryGet<User>('users', p.id);
    return user ? principalOf(user, p.tokenId) : undefined;
  }

  async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const sha = sha256(token);
    if (this.adminSha && timingSafeEqual(Buffer.from(sha, 'hex'), this.adminSha)) {
      return { id: 'admin', role: 'admin', supervisedQueues: [], permissions: effectivePermissions('admin') };
    }
    const t = await this.state.tokenLookup(sha);
    const user = t && (await this.state.registryGet<User>('users', t.userId));
    return user ? principalOf(user, t.tokenId) : undefined;
  }

  async list(): Promise<User[]> {
    return (await this.state.registryAll<User>('users')).sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<User> {
    const u = await this.state.registryGet<User>('users', id);
    if (!u) throw new NotFound('user', id);
    return u;
  }

  async create(input: unknown): Promise<User> {
    const user = this.validate(input);
    const r = await this.state.registryPut('users', user.id, user, 'create');
    if (!r.ok) throw new Conflict('USER_EXISTS', `user ${user.id} already exists`);
    return user;
  }

  async replace(id: string, input: unknown): Promise<User> {
    await this.get(id);
    const user = this.validate({ ...(input as object), id });
    await this.state.registryPut('users', id, user, 'replace');
    return user;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.state.registryDelete('users', id);
  }

  /** A new token for the user; the only time it is ever shown. */
  async issueToken(userId: string, label: string): Promise<{ tokenId: string; token: string }> {
    await this.get(userId);
    const token = randomBytes(24).toString('base64url');
    const tokenId = randomUUID();
    const r = await this.state.tokenIssue(userId, tokenId, sha256(token), label);
    if (!r.ok) throw new Conflict('TOKEN_NOT_ISSUED', r.code);
    return { tokenId, token };
  }

  async tokens(userId: string) {
    await this.get(userId);
    return this.state.userTokens(userId);
  }

  async revoke(userId: string, tokenId: string): Promise<void> {
    await this.get(userId);
    const r = await this.state.tokenRevoke(userId, tokenId);
    if (!r.ok) throw new NotFound('token', tokenId);
  }

  private validate(input: unknown): User {
    return parseOrThrow(UserSchema, input, 'user');
  }
}
