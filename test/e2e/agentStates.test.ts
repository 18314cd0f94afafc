import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { registerPhone, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const AGENT_TOKEN = 'e2e-agent-token-a1-0000006';

describe('agent state across queues: per-queue pause, pause reasons (real SIP)', function () {
  this.timeout(60_000);
  const run = new TestRun();

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'states', {
      pauseReasons: [{ code: 'lunch', name: 'Lunch' }, { code: 'coaching', name: 'Coaching' }],
      queues: [{ id: 'sales', name: 'Sales', extension: '8901' }, { id: 'support', name: 'Support', extension: '8902' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support'], permissions: { managePauseReasons: true } },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given an agent paused in queue A only, it still gets calls from queue B; ready in A again, it gets A\'s caller', async () => {
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 2, hangupAfterMs: 800 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales', 'support'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login', undefined, AGENT_TOKEN);
    const paused = await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch', queues: ['sales'] }, AGENT_TOKEN);
    assert.deepEqual([paused.state, paused.pausedQueues], ['ready', { sales: 'lunch' }]);

    run.track(startCaller({ extension: '8901', callerNumber: '15550601', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const salesCaller = await run.events.waitFor((e) => e.type === 'call.queued' && e.queueId === 'sales');
    run.track(startCaller({ extension: '8902', callerNumber: '15550602', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const supportOffer = await run.events.waitFor((e) => e.type === 'call.offered' && e.queueId === 'support', 10_000, 'support call offered');
    assert.equal(supportOffer.agentId, 'a1');
    await run.events.waitFor((e) => e.type === 'call.ended', 10_000, 'support call done');
    await sleep(1000);
    assert.ok(!run.events.all.some((e) => e.type === 'call.offered' && e.callId === salesCaller.callId), 'paused in sales: its caller waits');

    await run.ctl.ok('POST', '/agents/a1/ready', { queues: ['sales'] }, AGENT_TOKEN);
    const salesOffer = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === salesCaller.callId, 10_000, 'sales caller offered');
    assert.equal(salesOffer.agentId, 'a1');
  });

  it('given an agent whose phone unregisters, it gets no offers; registered again, it does', async () => {
    const port = allocatePort();
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'register', password: 'a1-secret-pass' } });
    await registerPhone({ user: 'a1', password: 'a1-secret-pass', port, asteriskPort: TEST_ENV.sipPort });
    await run.ctl.ok('POST', '/agents/a1/login');
    await eventually(async () => (await run.ctl.agentState('a1') as any).device === 'online', 5000, 'registered');
    await registerPhone({ user: 'a1', password: 'a1-secret-pass', port, asteriskPort: TEST_ENV.sipPort, expires: 0 });
    await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 'a1' && e.device === 'offline', 5000, 'seen unregistered');

    run.track(startCaller({ extension: '8901', callerNumber: '15550603', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued');
    await sleep(2000);
    assert.ok(!run.events.all.some((e) => e.type === 'call.offered'), 'no offer to an unregistered phone');
    assert.equal((await run.ctl.agentState('a1')).state, 'ready', 'the agent is still ready, not paused');

    await registerPhone({ user: 'a1', password: 'a1-secret-pass', port, asteriskPort: TEST_ENV.sipPort });
    run.track(startAgentPhone({ port, calls: 1 }));
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === queued.callId, 10_000, 'offered once registered');
    assert.equal(offered.agentId, 'a1');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === queued.callId, 10_000, 'answered');
  });

  it('pauses only with a reason from the list (422 otherwise, nothing changed); supervisors manage the list', async () => {
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } });
    await run.ctl.ok('POST', '/agents/a1/login');
    const seen = run.events.changes.length;
    const bad = await run.ctl.request('POST', '/agents/a1/pause', { reason: 'nap' }, AGENT_TOKEN);
    assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.details.allowed], [422, 'UNKNOWN_PAUSE_REASON', ['coaching', 'lunch']]);
    await sleep(200);
    assert.equal((await run.ctl.agentState('a1')).state, 'ready');
    // the new phone's endpoint may still be settling (device events); nothing else may happen
    const since = run.events.changes.slice(seen).filter((e) => !(e.type === 'agent.state' && e.state === 'ready' && e.reason === null));
    assert.deepEqual(since, [], 'no event but device updates');

    assert.deepEqual((await run.ctl.ok('GET', '/pause-reasons', undefined, AGENT_TOKEN)).pauseReasons.map((r: any) => r.code), ['coaching', 'lunch']);
    assert.equal((await run.ctl.request('POST', '/pause-reasons', { code: 'nap', name: 'Nap' }, AGENT_TOKEN)).status, 403);
    assert.equal((await run.ctl.request('POST', '/pause-reasons', { code: 'nap', name: 'Nap' }, SUPERVISOR_TOKEN)).status, 201);
    assert.equal((await run.ctl.request('POST', '/pause-reasons', { code: 'nap', name: 'Nap' }, SUPERVISOR_TOKEN)).status, 409);
    assert.equal((await run.ctl.request('POST', '/pause-reasons', { code: 'bad code!', name: 'x' }, SUPERVISOR_TOKEN)).status, 422);
    assert.equal((await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'nap' }, AGENT_TOKEN)).state, 'paused');
    assert.equal((await run.ctl.request('DELETE', '/pause-reasons/nap', undefined, SUPERVISOR_TOKEN)).status, 204);
    assert.equal((await run.ctl.request('DELETE', '/pause-reasons/nap', undefined, SUPERVISOR_TOKEN)).status, 404);
  });
});
