import { StoreBase, outcome } from './base';
import type { TransitionOutcome } from './results';

/** API tokens, sign-in sessions, passwords, and slowing down password guessers. Part of StateStore (src/state/store.ts). */
export class AccessStore extends StoreBase {
  async tokenIssue(userId: string, tokenId: string, sha256: string, label: string, seed = false): Promise<TransitionOutcome<'token_issue'>> {
    return outcome(await this.runKeyed('token_issue', [this.keys.registry('users'), this.keys.tokensRevoked(), this.keys.tokens(), this.keys.userTokens(userId), this.keys.events()], userId, tokenId, sha256, label, seed ? 'seed' : 'issue'), () => undefined);
  }
  async tokenRevoke(userId: string, tokenId: string | '*'): Promise<TransitionOutcome<'token_revoke', number>> {
    return outcome(await this.runKeyed('token_revoke', [this.keys.tokensRevoked(), this.keys.tokens(), this.keys.userTokens(userId), this.keys.events()], userId, tokenId), Number);
  }
  async tokenLookup(sha256: string): Promise<{ userId: string; tokenId: string; label: string; createdAt: number; kind?: 'session'; expiresAt?: number } | undefined> {
    const v = await this.redis.hget(this.keys.tokens(), sha256);
    const t = v ? JSON.parse(v) : undefined;
    // a session past its expiry is no token at all (session_open drops it for good later)
    return t && !(typeof t.expiresAt === 'number' && t.expiresAt <= this.now()) ? t : undefined;
  }
  async userTokens(userId: string): Promise<{ tokenId: string; label: string; createdAt: number }[]> {
    const shas = Object.values(await this.redis.hgetall(this.keys.userTokens(userId)));
    if (!shas.length) return [];
    const vals = await this.redis.hmget(this.keys.tokens(), ...shas);
    return vals.filter((v): v is string => !!v).map((v) => { const t = JSON.parse(v); return { tokenId: t.tokenId, label: t.label, createdAt: t.createdAt }; });
  }
  async sessionOpen(userId: string, tokenId: string, sha256: string, expiresAt: number, label: string): Promise<TransitionOutcome<'session_open'>> {
    return outcome(await this.runKeyed('session_open', [this.keys.registry('users'), this.keys.tokens(), this.keys.userTokens(userId), this.keys.events()], userId, tokenId, sha256, expiresAt, label), () => undefined);
  }
  async passwordSet(userId: string, hash: string, mode: 'set' | 'seed', by: string): Promise<TransitionOutcome<'password_set', 'set' | 'kept'>> {
    return outcome(await this.runKeyed('password_set', [this.keys.registry('users'), this.keys.passwords(), this.keys.tokens(), this.keys.userTokens(userId), this.keys.events()], userId, hash, mode, by), (v) => v as 'set' | 'kept');
  }
  async passwordHash(userId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.passwords(), userId)) ?? undefined;
  }
  async signInFailed(name: string, address: string, o: { freeName: number; freeAddress: number; maxMs: number; windowMs: number }): Promise<number> {
    const r = await this.runKeyed('signin_failed', [this.keys.signIn('name', name), this.keys.signIn('addr', address)], name, address, o.freeName, o.freeAddress, o.maxMs, o.windowMs);
    return Number(r[1]);
  }
  async signInSucceeded(name: string): Promise<void> { await this.runKeyed('signin_succeeded', [this.keys.signIn('name', name)], name); }
  /** Until when (ms) sign-in for this name or from this address must wait; 0 when it need not. */
  async signInWaitUntil(name: string, address: string): Promise<number> {
    const [a, b] = await Promise.all([this.redis.hget(this.keys.signIn('name', name), 'until'), this.redis.hget(this.keys.signIn('addr', address), 'until')]);
    return Math.max(Number(a ?? 0), Number(b ?? 0));
  }
}
