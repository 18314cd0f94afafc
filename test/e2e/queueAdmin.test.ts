import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { ADMIN_TOKEN, Controller, SUPERVISOR_TOKEN, eventually } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const AGENT_TOKEN = 'e2e-agent-token-a1-qadmin1';
/** A supervisor who may manage queues and the configuration (settings). */
const QUEUE_ADMIN_TOKEN = 'e2e-queue-admin-token-0001';

const staticPhone = (id: string, port: number) => ({ mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` });

describe('queue configuration through the API, live on the controller (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const others: Controller[] = [];

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'qadmin', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8701' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales'] },
        { id: 'qa', role: 'supervisor', token: QUEUE_ADMIN_TOKEN, supervisedQueues: ['sales'], permissions: { manageQueues: true, configAccess: true } },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });

  afterEach(async function () {
    for (const o of others.splice(0)) await o.kill();
    await run.end(this);
  });

  it('given a queue created through the API, a SIP caller dialing its extension reaches an agent assigned to it with PUT /agents, with no restart', async () => {
    const port = allocatePort();
    const phone = run.track(startAgentPhone({ port, calls: 1, expectFromName: 'Billing' }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: staticPhone('a1', port) });

    const created = await run.ctl.request('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8711', ringTimeoutSec: 15 }, QUEUE_ADMIN_TOKEN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.id, created.body.strategy, created.body.ringTimeoutSec], ['billing', 'longest-idle', 15], 'defaults filled in');
    assert.deepEqual((await run.ctl.ok('GET', '/queues')).queues.map((q: any) => q.id), ['billing', 'sales']);
    await run.events.waitFor((e) => e.type === 'registry.changed' && e.kind === 'queues' && e.definitionId === 'billing', 5000, 'queue creation announced');

    await run.ctl.ok('PUT', '/agents/a1', { name: 'A', queues: ['billing'], phone: staticPhone('a1', port) });
    assert.deepEqual((await run.ctl.ok('POST', '/agents/a1/login', undefined, AGENT_TOKEN)).loggedInQueues, ['billing']);

    run.track(startCaller({ extension: '8711', callerNumber: '15550711', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued', 15_000, 'caller queued');
    assert.equal(queued.queueId, 'billing');
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === queued.callId, 15_000, 'offered');
    assert.equal(offered.agentId, 'a1');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === queued.callId, 15_000, 'answered');
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === queued.callId, 15_000, 'ended');
    const r = await phone.wait(20_000);
    assert.deepEqual([r.successful, r.failed], [1, 0], 'the agent phone rang with the new queue\'s name and took the call');
  });

  it('given a queue updated through the API, the next call rings with its new name and ring timeout', async () => {
    const port = allocatePort();
    // created ringing 60 s, so the update's 5 s is told apart by what happens, not by how fast
    await run.ctl.ok('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8712', ringTimeoutSec: 60 });
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['billing'], phone: staticPhone('a1', port) });
    await run.ctl.ok('POST', '/agents/a1/login');

    const updated = await run.ctl.request('PUT', '/queues/billing', { name: 'Accounts', extension: '8712', ringTimeoutSec: 5, strategy: 'fewest-calls' }, QUEUE_ADMIN_TOKEN);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const q = await run.ctl.ok('GET', '/queues/billing');
    assert.deepEqual([q.name, q.ringTimeoutSec, q.strategy], ['Accounts', 5, 'fewest-calls']);

    // the phone rings (showing the new name) and never answers: the offer ends after the new 5 s (its
    // end is awaited for 20 s, a third of the old 60 s), and not before
    const phone = run.track(startAgentPhone({ port, calls: 1, noAnswer: true, expectFromName: 'Accounts' }));
    run.track(startCaller({ extension: '8712', callerNumber: '15550712', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const offered = await run.events.waitFor((e) => e.type === 'call.offered', 15_000, 'offered');
    const failed = await run.events.waitFor((e) => e.type === 'call.offer_failed' && e.callId === offered.callId, 20_000, 'offer ended unanswered');
    assert.equal(failed.outcome, 'no-answer');
    const rangMs = Date.parse(failed.at) - Date.parse(offered.at);
    assert.ok(rangMs >= 4900, `rang the whole 5 s: ${rangMs} ms`);
    const r = await phone.wait(20_000);
    assert.deepEqual([r.successful, r.failed], [1, 0], 'rang with the new name, cancelled at the timeout');
  });

  it('given a queue in use, DELETE is 409 QUEUE_IN_USE saying why; unused, it is deleted and a call to its extension is refused', async () => {
    const port = allocatePort();
    await run.ctl.ok('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8713' });
    await run.ctl.ok('POST', '/queues', { id: 'backup', name: 'Backup', extension: '8714', overflow: { kind: 'queue', queueId: 'billing' } });
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['billing'], phone: staticPhone('a1', port) });
    await run.ctl.ok('POST', '/agents/a1/login');

    const inUse = await run.ctl.request('DELETE', '/queues/billing', undefined, QUEUE_ADMIN_TOKEN);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'QUEUE_IN_USE');
    assert.match(inUse.body.error.message, /agents assigned to it: a1/);
    assert.match(inUse.body.error.message, /queues overflow to it: backup/);
    assert.deepEqual([inUse.body.error.details.assignedAgents, inUse.body.error.details.loggedInAgents, inUse.body.error.details.overflowFrom],
      [['a1'], ['a1'], ['backup']]);

    // no longer assigned and nothing overflows to it: the agent's login still holds it
    await run.ctl.ok('PUT', '/agents/a1', { name: 'A', queues: [], phone: staticPhone('a1', port) });
    await run.ctl.ok('PUT', '/queues/backup', { name: 'Backup', extension: '8714' });
    const loggedIn = await run.ctl.request('DELETE', '/queues/billing');
    assert.deepEqual([loggedIn.status, loggedIn.body.error.code, loggedIn.body.error.details.loggedInAgents], [409, 'QUEUE_IN_USE', ['a1']]);
    await run.ctl.ok('POST', '/agents/a1/logout');

    // a waiting caller keeps it too
    run.track(startCaller({ extension: '8713', callerNumber: '15550713', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 3000 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued' && e.queueId === 'billing', 15_000, 'caller waiting');
    const waiting = await run.ctl.request('DELETE', '/queues/billing');
    assert.deepEqual([waiting.status, waiting.body.error.code, waiting.body.error.details.waiting], [409, 'QUEUE_IN_USE', 1]);
    await run.events.waitFor((e) => e.type === 'call.abandoned' && e.callId === queued.callId, 15_000, 'caller gone');

    assert.equal((await run.ctl.request('DELETE', '/queues/billing', undefined, QUEUE_ADMIN_TOKEN)).status, 204);
    assert.equal((await run.ctl.request('GET', '/queues/billing')).status, 404);
    assert.equal((await run.ctl.request('DELETE', '/queues/billing')).status, 404);
    await run.events.waitFor((e) => e.type === 'registry.changed' && e.kind === 'queues' && e.definitionId === 'billing' && e.change === 'deleted', 5000, 'deletion announced');

    // its extension leads nowhere now: Asterisk refuses the call (404), nothing is queued
    const seen = run.events.changes.length;
    const caller = run.track(startCaller({ extension: '8713', callerNumber: '15550714', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 3000 }));
    const r = await caller.wait(20_000);
    assert.deepEqual([r.successful, r.failed], [0, 1], 'the call was not answered');
    assert.match(r.messages, /SIP\/2\.0 404/, 'refused as an unallocated number');
    await eventually(async () => run.ctl.logs().includes('call to an extension with no queue'), 5000, 'controller logged the unknown extension');
    assert.deepEqual(run.events.changes.slice(seen).filter((e) => e.type.startsWith('call.')), [], 'no call event');
  });

  it('given a restart, Redis stays the truth: a file queue deleted through the API stays deleted, changed settings stay changed', async () => {
    await run.ctl.ok('DELETE', '/queues/sales');
    await run.ctl.ok('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8716' });
    await run.ctl.ok('PUT', '/settings', { allowUnassignedQueueLogin: true });
    await run.ctl.kill();
    await run.ctl.launch();
    assert.deepEqual((await run.ctl.ok('GET', '/queues')).queues.map((q: any) => q.id), ['billing'], 'the file\'s sales queue was not brought back');
    assert.equal((await run.ctl.ok('GET', '/settings')).allowUnassignedQueueLogin, true);
    // the same id may be created again through the API
    assert.equal((await run.ctl.request('POST', '/queues', { id: 'sales', name: 'Sales', extension: '8701' })).status, 201);
  });

  it('given two controllers on one Redis, a queue or a setting changed on one applies on the other at once', async () => {
    const ctl2 = await Controller.start({
      name: 'qadmin-second',
      httpPort: allocatePort(),
      config: { queues: [{ id: 'sales', name: 'Sales', extension: '8701' }], agents: [] },
      env: { ACD_KEY_PREFIX: run.ctl.prefix },
    });
    others.push(ctl2);
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: staticPhone('a1', 5999) });
    await ctl2.ok('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8715' });
    await eventually(async () => (await run.ctl.request('GET', '/queues/billing')).status === 200, 5000, 'the first controller sees the new queue');

    const refused = await run.ctl.request('POST', '/agents/a1/login', { queues: ['billing'] }, AGENT_TOKEN);
    assert.deepEqual([refused.status, refused.body.error.code], [422, 'QUEUE_NOT_ASSIGNED']);
    assert.equal((await ctl2.ok('PUT', '/settings', { allowUnassignedQueueLogin: true }, ADMIN_TOKEN)).allowUnassignedQueueLogin, true);
    // no wait: the setting is read from Redis by the request itself
    assert.deepEqual((await run.ctl.ok('POST', '/agents/a1/login', { queues: ['billing'] }, AGENT_TOKEN)).loggedInQueues, ['billing']);
    assert.equal((await run.ctl.ok('GET', '/settings', undefined, SUPERVISOR_TOKEN)).allowUnassignedQueueLogin, true);
  });
});

describe('logging in to a queue one is not assigned to (organisation setting, real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'unassigned', {
      settings: { allowUnassignedQueueLogin: false },
      queues: [{ id: 'sales', name: 'Sales', extension: '8721' }, { id: 'support', name: 'Support', extension: '8722' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support'] },
        { id: 'cfg', role: 'supervisor', token: QUEUE_ADMIN_TOKEN, supervisedQueues: ['sales', 'support'], permissions: { configAccess: true } },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('refused while the setting is off; allowed when on, it lasts (and takes calls) after the setting goes off, until logged out', async () => {
    const port = allocatePort();
    const phone = run.track(startAgentPhone({ port, calls: 2, expectFromName: 'Support' }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: staticPhone('a1', port) });

    // off: refused, nothing changed
    const seen = run.events.changes.length;
    const off = await run.ctl.request('POST', '/agents/a1/login', { queues: ['support'] }, AGENT_TOKEN);
    assert.deepEqual([off.status, off.body.error.code, off.body.error.details], [422, 'QUEUE_NOT_ASSIGNED', { queues: ['support'] }]);
    assert.equal((await run.ctl.agentState('a1')).state, 'logged_out');
    assert.deepEqual(run.events.changes.slice(seen).filter((e) => e.type === 'agent.state' && e.state !== 'logged_out'), [], 'no login happened');

    // on (a supervisor with configAccess may turn it on; a plain supervisor may only read it)
    assert.equal((await run.ctl.request('PUT', '/settings', { allowUnassignedQueueLogin: true }, SUPERVISOR_TOKEN)).status, 403);
    assert.equal((await run.ctl.ok('PUT', '/settings', { allowUnassignedQueueLogin: true }, QUEUE_ADMIN_TOKEN)).allowUnassignedQueueLogin, true);
    const on = await run.ctl.ok('POST', '/agents/a1/login', { queues: ['support'] }, AGENT_TOKEN);
    assert.deepEqual([on.state, on.loggedInQueues], ['ready', ['support']]);
    let a1 = await run.ctl.ok('GET', '/agents/a1', undefined, AGENT_TOKEN);
    assert.deepEqual([a1.queues, a1.state.loggedInQueues, a1.state.unassignedQueues], [['sales'], ['support'], ['support']], 'a temporary login, not an assignment');

    run.track(startCaller({ extension: '8722', callerNumber: '15550721', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    const first = await run.events.waitFor((e) => e.type === 'call.offered' && e.queueId === 'support', 15_000, 'first support call offered');
    assert.equal(first.agentId, 'a1');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === first.callId, 15_000, 'first answered');
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === first.callId, 15_000, 'first ended');

    // off again: the login made while it was on holds
    assert.equal((await run.ctl.ok('PUT', '/settings', { allowUnassignedQueueLogin: false })).allowUnassignedQueueLogin, false);
    a1 = await run.ctl.ok('GET', '/agents/a1');
    assert.deepEqual([a1.state.loggedInQueues, a1.state.unassignedQueues], [['support'], ['support']]);
    await eventually(async () => (await run.ctl.agentState('a1')).state === 'ready', 10_000, 'a1 ready after the first call');

    run.track(startCaller({ extension: '8722', callerNumber: '15550722', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    const second = await run.events.waitFor((e) => e.type === 'call.offered' && e.queueId === 'support' && e.callId !== first.callId, 15_000, 'second support call offered');
    assert.equal(second.agentId, 'a1');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === second.callId, 15_000, 'second answered');
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === second.callId, 15_000, 'second ended');
    const r = await phone.wait(20_000);
    assert.deepEqual([r.successful, r.failed], [2, 0], 'both support calls rang the agent\'s phone');

    // logged out of it (by a supervisor), it is over: logging in again is refused now
    await eventually(async () => (await run.ctl.agentState('a1')).state === 'ready', 10_000, 'a1 ready after the second call');
    const out = await run.ctl.ok('POST', '/agents/a1/logout', { queues: ['support'] }, SUPERVISOR_TOKEN);
    assert.deepEqual([out.state, out.loggedInQueues], ['logged_out', []]);
    const again = await run.ctl.request('POST', '/agents/a1/login', { queues: ['support'] }, AGENT_TOKEN);
    assert.deepEqual([again.status, again.body.error.code], [422, 'QUEUE_NOT_ASSIGNED']);
    assert.deepEqual((await run.ctl.ok('GET', '/agents/a1')).queues, ['sales'], 'the assignment never changed');
    // its own queues work as before
    assert.deepEqual((await run.ctl.ok('POST', '/agents/a1/login', undefined, AGENT_TOKEN)).loggedInQueues, ['sales']);
  });

  it('settings: staff read them, unknown keys or wrong types are 422 and change nothing', async () => {
    const before = await run.ctl.ok('GET', '/settings', undefined, SUPERVISOR_TOKEN);
    assert.equal(before.allowUnassignedQueueLogin, false);
    assert.equal((await run.ctl.request('GET', '/settings', undefined, AGENT_TOKEN)).status, 403);
    for (const body of [{ allowUnassignedQueueLogin: true, surprise: 1 }, { allowUnassignedQueueLogin: 'yes' }, [true],
      { outboundPolicy: { deniedPrefixes: ['1900'], maxLength: 1 } }, { outboundPolicy: { allowedPatterns: ['^.*$'] } }]) {
      const r = await run.ctl.request('PUT', '/settings', body);
      assert.deepEqual([r.status, r.body.error.code], [422, 'INVALID_REQUEST'], JSON.stringify(body));
      assert.ok(Array.isArray(r.body.error.details) && r.body.error.details.length > 0, 'details list the problems');
    }
    assert.deepEqual(await run.ctl.ok('GET', '/settings'), before);
  });
});
