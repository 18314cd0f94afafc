import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { SessionService } from '../../src/access/sessions';
import { UserDirectory } from '../../src/access/users';
import { EventBus } from '../../src/events/bus';
import { AcdError } from '../../src/errors';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';

const HOUR = 3600_000;

describe('sign-in sessions, passwords and slowing guessers (real Redis)', function () {
  this.timeout(20_000);
  let redis: Redis;
  let state: StateStore;
  let users: UserDirectory;
  let sessions: SessionService;
  let now: number;

  const events = async (type: string) => {
    const raw = await redis.xrange(state.keys.events(), '-', '+');
    return raw.map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);
  };
  const refused = async (p: Promise<unknown>, status: number, code: string) => {
    await assert.rejects(p, (e: unknown) => e instanceof AcdError && e.status === status && e.code === code);
  };

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(async function () {
    now = Date.now();
    state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 's'), () => now);
    users = new UserDirectory(state);
    sessions = new SessionService(state, 8 * HOUR, { freeName: 3, freeAddress: 6, maxMs: 60_000, windowMs: 15 * 60_000 }, () => now);
    await users.create({ id: 'al', role: 'agent', agentId: 'a1', name: 'Al' });
    await users.create({ id: 'sam', role: 'supervisor', supervisedQueues: ['sales'] });
    await sessions.seed([{ user: await users.get('al'), password: 'al-password-1' }, { user: await users.get('sam'), password: 'sam-password-1' }]);
  });

  it('given the right password, the session token is accepted like an API token until it expires', async () => {
    const s = await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1');
    assert.equal(s.user.role, 'agent');
    assert.equal(s.user.agentId, 'a1');
    assert.equal(s.user.permissions.useDispositions, true);
    assert.equal(Date.parse(s.expiresAt), now + 8 * HOUR);
    assert.equal((await users.authenticate(s.token))?.id, 'al');
    const [opened] = await events('session.opened');
    assert.deepEqual([opened.userId, opened.tokenId], ['al', s.tokenId]);
    // the stored hash of the password is not the password
    assert.doesNotMatch(String(await state.passwordHash('al')), /al-password-1/);
    now += 8 * HOUR;
    assert.equal(await users.authenticate(s.token), undefined, 'expired');
  });

  it('given a signed-in user, sign-out revokes the session through token_revoke (token.revoked) and other sessions live on', async () => {
    const a = await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1');
    const b = await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.2');
    await sessions.signOut(a.token);
    assert.equal(await users.authenticate(a.token), undefined);
    assert.equal((await users.authenticate(b.token))?.id, 'al');
    const revoked = await events('token.revoked');
    assert.deepEqual(revoked.map((e) => [e.userId, e.tokenId]), [['al', a.tokenId]]);
    await refused(sessions.signOut(a.token), 409, 'NOT_A_SESSION');
  });

  it('given expired sessions, a new sign-in drops them from the store', async () => {
    const old = await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1');
    now += 9 * HOUR;
    await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1');
    const ids = (await state.userTokens('al')).map((t) => t.tokenId);
    assert.equal(ids.length, 1);
    assert.ok(!ids.includes(old.tokenId));
  });

  it('given a wrong password or an unknown user, sign-in is refused alike (401 BAD_CREDENTIALS) and opens nothing', async () => {
    await refused(sessions.signIn({ username: 'al', password: 'wrong-password' }, '10.0.0.1'), 401, 'BAD_CREDENTIALS');
    await refused(sessions.signIn({ username: 'nobody', password: 'al-password-1' }, '10.0.0.1'), 401, 'BAD_CREDENTIALS');
    await refused(sessions.signIn({ username: 'al' }, '10.0.0.1'), 422, 'INVALID_REQUEST');
    assert.equal((await events('session.opened')).length, 0);
    assert.equal((await state.userTokens('al')).length, 0);
  });

  it('given repeated wrong passwords for a name, further attempts must wait (429), even with the right password; after the wait it works and clears the count', async () => {
    for (let i = 0; i < 3; i++) await refused(sessions.signIn({ username: 'al', password: `guess-${i}` }, `10.0.1.${i}`), 401, 'BAD_CREDENTIALS');
    // the 4th failure sets a 1 s wait
    await refused(sessions.signIn({ username: 'al', password: 'guess-3' }, '10.0.1.9'), 401, 'BAD_CREDENTIALS');
    await assert.rejects(sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.2.1'),
      (e: any) => e.status === 429 && e.code === 'SIGN_IN_SLOWED' && e.details.retryAfterMs === 1000);
    // the other user is not slowed by al's guesser
    await sessions.signIn({ username: 'sam', password: 'sam-password-1' }, '10.0.2.1');
    now += 1000;
    await refused(sessions.signIn({ username: 'al', password: 'guess-4' }, '10.0.1.10'), 401, 'BAD_CREDENTIALS');
    await assert.rejects(sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.2.1'), (e: any) => e.details?.retryAfterMs === 2000, 'doubling');
    now += 2000;
    await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.2.1');
    // cleared: a wrong password now is a plain 401 again, and the next try is not slowed
    await refused(sessions.signIn({ username: 'al', password: 'guess-5' }, '10.0.3.1'), 401, 'BAD_CREDENTIALS');
    await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.3.1');
  });

  it('given many wrong passwords from one address across names, that address is slowed for every name', async () => {
    for (let i = 0; i < 7; i++) await refused(sessions.signIn({ username: `name${i}`, password: 'x' }, '10.9.9.9'), 401, 'BAD_CREDENTIALS');
    await refused(sessions.signIn({ username: 'sam', password: 'sam-password-1' }, '10.9.9.9'), 429, 'SIGN_IN_SLOWED');
    await sessions.signIn({ username: 'sam', password: 'sam-password-1' }, '10.9.9.8');
  });

  it('given a password changed since, the config file\'s seed does not bring the old one back; admins set, users change their own with the current one', async () => {
    await sessions.setPassword('al', { password: 'set-by-admin-1' }, 'admin');
    await sessions.seed([{ user: await users.get('al'), password: 'al-password-1' }]);
    await refused(sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1'), 401, 'BAD_CREDENTIALS');
    now += 60_000;
    const s = await sessions.signIn({ username: 'al', password: 'set-by-admin-1' }, '10.0.0.2');
    const me = (await users.authenticate(s.token))!;
    await assert.rejects(sessions.changeOwnPassword(me, { currentPassword: 'nope', password: 'changed-by-al-1' }),
      (e: any) => e.status === 422 && e.details[0].path === 'currentPassword');
    await assert.rejects(sessions.setPassword('al', { password: 'short' }, 'admin'), (e: any) => e.status === 422 && e.details[0].path === 'password');
    await sessions.changeOwnPassword(me, { currentPassword: 'set-by-admin-1', password: 'changed-by-al-1' });
    await sessions.signIn({ username: 'al', password: 'changed-by-al-1' }, '10.0.0.2');
    assert.deepEqual((await events('user.password_changed')).map((e) => e.by), ['admin', 'al']);
    await refused(sessions.setPassword('ghost', { password: 'whatever-123' }, 'admin'), 404, 'USER_NOT_FOUND');
  });

  it('given an admin resetting a password, the user\'s sessions end (token.revoked) and API tokens stay; the user\'s own change keeps the sessions', async () => {
    const api = await users.issueToken('al', 'script');
    const s1 = await sessions.signIn({ username: 'al', password: 'al-password-1' }, '10.0.0.1');
    const me = (await users.authenticate(s1.token))!;
    await sessions.changeOwnPassword(me, { currentPassword: 'al-password-1', password: 'al-password-2' });
    assert.equal((await users.authenticate(s1.token))?.id, 'al', 'own change: still signed in');
    await sessions.setPassword('al', { password: 'reset-by-admin-1' }, 'ada');
    assert.equal(await users.authenticate(s1.token), undefined, 'admin reset: signed out');
    assert.equal((await users.authenticate(api.token))?.id, 'al', 'the API token is not a session');
    assert.deepEqual((await events('token.revoked')).map((e) => e.tokenId), [s1.tokenId]);
  });

  it('given a deleted user, its password goes with it', async () => {
    await users.remove('al');
    assert.equal(await state.passwordHash('al'), undefined);
  });
});
