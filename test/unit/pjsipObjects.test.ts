import assert from 'node:assert/strict';
import { pjsipObjects } from '../../src/phones/pjsipObjects';

describe('agent phone provisioning', () => {
  it('gives a registering phone digest auth, one contact, and creates auth before aor before endpoint', () => {
    const objs = pjsipObjects({ id: 'a1', name: 'Ann "A"', queues: [], callbackQueues: [], protected: false, skills: {}, penalties: {}, phone: { mode: 'register', password: 'secret-123' } });
    assert.deepEqual(objs.map((o) => o.type), ['auth', 'aor', 'endpoint']);
    const get = (t: string, attr: string) => objs.find((o) => o.type === t)?.fields.find((f) => f.attribute === attr)?.value;
    assert.equal(get('auth', 'auth_type'), 'digest');
    assert.equal(get('aor', 'max_contacts'), '1');
    assert.equal(get('endpoint', 'auth'), 'a1');
    assert.equal(get('endpoint', 'callerid'), '"Ann A" <a1>');
    assert.equal(get('endpoint', 'direct_media'), 'no');
  });

  it('gives a static phone its contact and no credentials', () => {
    const objs = pjsipObjects({ id: 'a2', name: 'B', queues: [], callbackQueues: [], protected: false, skills: {}, penalties: {}, phone: { mode: 'static', contact: 'sip:a2@127.0.0.1:5090' } });
    assert.deepEqual(objs.map((o) => o.type), ['aor', 'endpoint']);
    assert.equal(objs[0].fields.find((f) => f.attribute === 'contact')?.value, 'sip:a2@127.0.0.1:5090');
  });
});
