import assert from 'node:assert/strict';
import { effectivePermissions } from '../../src/access/permissions';
import { unansweredOutcome } from '../../src/calls/session';
import { EventBus } from '../../src/events/bus';
import { pjsipObjects } from '../../src/phones/pjsipObjects';

describe('unanswered offers', () => {
  it('maps ring timeout (19) and no response (18) to a no-answer pause, busy and reject to their own reasons', () => {
    assert.deepEqual(unansweredOutcome(19), { outcome: 'no-answer', pauseReason: 'no-answer' });
    assert.deepEqual(unansweredOutcome(18), { outcome: 'no-answer', pauseReason: 'no-answer' });
    assert.equal(unansweredOutcome(17).pauseReason, 'busy');
    assert.equal(unansweredOutcome(21).pauseReason, 'rejected');
    assert.equal(unansweredOutcome(38).pauseReason, 'unreachable');
  });
});

describe('permissions', () => {
  it('gives each role its defaults: supervisors limited to their queues, agents their own tools', () => {
    const sup = effectivePermissions('supervisor');
    assert.deepEqual([sup.limitToAssignedQueues, sup.accessRecordings, sup.monitorProtected, sup.viewSkills], [true, false, false, true]);
    const agent = effectivePermissions('agent');
    assert.deepEqual([agent.manageOwnClips, agent.useDispositions, agent.managePublicCannedMessages], [true, true, false]);
  });

  it('applies per-user changes to supervisors and agents, never takes rights from an admin', () => {
    assert.equal(effectivePermissions('supervisor', { limitToAssignedQueues: false, accessRecordings: true }).accessRecordings, true);
    assert.equal(effectivePermissions('supervisor', { limitToAssignedQueues: false }).limitToAssignedQueues, false);
    const admin = effectivePermissions('admin', { accessRecordings: false });
    assert.deepEqual([admin.accessRecordings, admin.limitToAssignedQueues], [true, false]);
  });
});

describe('event stream entries', () => {
  it('turn into {type, at, ...data} with lists kept as lists', () => {
    const e = EventBus.parse('1-0', ['type', 'agent.state', 'at', '42', 'data', JSON.stringify({ agentId: 'a1', state: 'logged_out', queues: {} })]);
    assert.deepEqual(e, { id: '1-0', type: 'agent.state', at: 42, agentId: 'a1', state: 'logged_out', queues: [] });
  });
});

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
