import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../src/access/passwords';
import { FileUserSchema } from '../../src/config/schema';

describe('sign-in passwords', () => {
  it('given a password, the stored hash is salted scrypt: never the password, different each time, and verifies only that password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.match(a, /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.notEqual(a, b, 'a new salt each time');
    assert.ok(!a.includes('correct'));
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horse!', a), false);
    assert.equal(await verifyPassword('correct horse', undefined), false, 'no stored hash: refused (after the same work)');
    assert.equal(await verifyPassword('correct horse', 'md5$abc'), false, 'a hash in another format is refused');
  });

  it('given a user with a password in the config file, the password is split off the stored definition', () => {
    const u = FileUserSchema.parse({ id: 'al', role: 'agent', agentId: 'a1', password: 'al-sample-pass' });
    assert.equal(u.password, 'al-sample-pass');
    assert.equal('password' in u.user, false);
    assert.throws(() => FileUserSchema.parse({ id: 'al', role: 'agent', agentId: 'a1', password: 'short' }));
  });
});
