import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { asteriskLogSince, asteriskLogSize, bridgeOfCall } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { AUDIBLE, RtpListener, SILENT } from './harness/rtp';
import { AgentPhoneOptions, parseTrace, registerPhone, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SALES = { id: 'sales', name: 'Sales', extension: '8101', ringTimeoutSec: 5 };
const AGENT_TOKEN = 'e2e-agent-token-a1-000001';

describe('queue calls through real SIP (Asterisk + Redis + SIPp)', function () {
  this.timeout(60_000);
  const run = new TestRun();

  const caller = (o: { number: string; hangupAfterMs: number; mediaPort?: number; extension?: string }) =>
    run.track(startCaller({ extension: o.extension ?? SALES.extension, callerNumber: o.number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: o.hangupAfterMs, mediaPort: o.mediaPort }));
  /** An agent whose phone is a SIPp UAS at a static contact; created through the API. */
  const agent = async (id: string, phone: Omit<AgentPhoneOptions, 'port'>, login = true) => {
    const port = allocatePort();
    const p = run.track(startAgentPhone({ ...phone, port }));
    await run.ctl.ok('POST', '/agents', { id, name: `Agent ${id}`, queues: ['sales'], phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
    if (login) await run.ctl.ok('POST', `/agents/${id}/login`);
    return p;
  };
  const listen = async () => run.trackMedia(await RtpListener.open());

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'e2e', {
      queues: [SALES, { id: 'support', name: 'Support', extension: '8102' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support', 'plain'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given an idle ready agent, the call rings the agent with the caller number and queue name, is bridged, and the agent is freed when the caller hangs up', async () => {
    const phone = await agent('a1', { calls: 1, expectFromUser: '+15550001', expectFromName: 'Sales' });
    const call = caller({ number: '+15550001', hangupAfterMs: 2500 });

    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    assert.equal(answered.agentId, 'a1');
    const bridge = await eventually(() => bridgeOfCall(answered.callId).then((b) => b?.channels.length === 2 && b), 5000, 'a bridge with both parties');
    assert.ok(bridge.channels.includes(answered.callId), 'the caller is in the bridge');

    const ended = await run.events.waitFor((e) => e.type === 'call.ended', 10_000, 'call.ended');
    assert.equal(ended.endedBy, 'caller');
    // the talk time is the time from the agent's answer to the caller's hang-up
    assert.ok(ended.talkMs > 0, `talk time ${ended.talkMs}`);
    assert.equal(ended.talkMs, Date.parse(ended.at) - Date.parse(answered.at), 'talk time = answered → ended');
    assert.equal((await call.wait(10_000)).successful, 1);
    const agentSide = await phone.wait(10_000);
    assert.deepEqual([agentSide.successful, agentSide.failed], [1, 0], 'the phone saw the caller number and the queue name');
    const st = await run.ctl.agentState('a1');
    assert.deepEqual([st.state, st.callsToday], ['ready', 1]);
    assert.equal(await bridgeOfCall(answered.callId), undefined, 'the bridge is gone');
  });

  it('given no ready agent, the caller waits hearing music on hold; an agent logs in through the API and the caller is connected', async () => {
    const ear = await listen();
    caller({ number: '+15550002', hangupAfterMs: 15_000, mediaPort: ear.port });
    const queued = await run.events.waitFor((e) => e.type === 'call.queued');
    await eventually(async () => ear.level(1000).meanAbs > AUDIBLE, 8000, 'music on hold while waiting');
    await sleep(1000);
    const waiting = ear.level(1000);
    assert.ok(waiting.packets > 30 && waiting.meanAbs > AUDIBLE, `music on hold heard while waiting: ${JSON.stringify(waiting)}`);
    const list = await run.ctl.ok('GET', '/queues/sales/calls');
    assert.deepEqual(list.calls.map((c: any) => [c.callId, c.position]), [[queued.callId, 1]]);

    await agent('a1', { calls: 1 }, false);
    await run.ctl.ok('POST', '/agents/a1/login', { queues: ['sales'] }, AGENT_TOKEN);
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === queued.callId, 10_000, 'call.answered');
    assert.ok(answered.waitMs >= 1000, `the caller waited until the login (${answered.waitMs} ms)`);
    await eventually(async () => ear.level(800).meanAbs < SILENT, 8000, `music stops once connected (${JSON.stringify(ear.level(800))})`);
  });

  it('given the first agent does not answer within the ring timeout, the second agent gets the call and the first is paused with reason no-answer', async () => {
    const silent = await agent('a1', { calls: 1, noAnswer: true });
    await sleep(20);                        // a1 is idle longer, so it is offered first
    const answering = await agent('a2', { calls: 1, hangupAfterMs: 1000 });
    caller({ number: '+15550003', hangupAfterMs: 20_000 });

    const firstOffer = await run.events.waitFor((e) => e.type === 'call.offered');
    assert.equal(firstOffer.agentId, 'a1');
    const failed = await run.events.waitFor((e) => e.type === 'call.offer_failed', 15_000, 'call.offer_failed');
    assert.deepEqual([failed.agentId, failed.outcome], ['a1', 'no-answer']);
    const rang = Date.parse(failed.at) - Date.parse(firstOffer.at);
    assert.ok(rang >= 4900, `rang the queue's whole ring timeout (5 s), not cut short: ${rang} ms`);
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    assert.equal(answered.agentId, 'a2');
    const offers = run.events.all.filter((e) => e.type === 'call.offered').map((e) => e.agentId);
    assert.deepEqual(offers, ['a1', 'a2'], 'a2 was offered the call only once a1\'s offer had failed');
    assert.ok(run.events.all.indexOf(failed) < run.events.all.findIndex((e) => e.type === 'call.offered' && e.agentId === 'a2'));
    const st = await run.ctl.agentState('a1');
    assert.deepEqual([st.state, st.reason], ['paused', 'no-answer']);
    assert.equal((await silent.wait(10_000)).successful, 1, 'the first phone got a CANCEL');
    assert.equal((await answering.wait(15_000)).successful, 1);
  });

  it('given a waiting caller who hangs up, the entry is gone and call.abandoned with the wait time is on the WebSocket', async () => {
    const call = caller({ number: '+15550004', hangupAfterMs: 2000 });
    const queued = await run.events.waitFor((e) => e.type === 'call.queued');
    const abandoned = await run.events.waitFor((e) => e.type === 'call.abandoned', 10_000, 'call.abandoned');
    assert.equal(abandoned.callId, queued.callId);
    assert.equal(abandoned.callerNumber, '+15550004');
    // the wait is the time from joining the queue to hanging up
    assert.ok(abandoned.waitMs > 0, `wait ${abandoned.waitMs}`);
    assert.equal(abandoned.waitMs, Date.parse(abandoned.at) - Date.parse(queued.at), 'wait = queued → abandoned');
    assert.deepEqual((await run.ctl.ok('GET', '/queues/sales/calls')).calls, []);
    assert.equal((await call.wait(10_000)).successful, 1);
  });

  it('given three callers queued and one agent, they are served in arrival order', async () => {
    for (const n of ['+15550011', '+15550012', '+15550013']) {
      caller({ number: n, hangupAfterMs: 30_000 });
      await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === n);
      await sleep(150);
    }
    const phone = await agent('a1', { calls: 3, hangupAfterMs: 400 });
    await eventually(async () => run.events.all.filter((e) => e.type === 'call.ended').length === 3, 20_000, 'three calls served');
    const from = phone.invites().map((i) => /sip:([^@]+)@/.exec(i.from)?.[1]);
    assert.deepEqual(from, ['+15550011', '+15550012', '+15550013']);
    const answeredOrder = run.events.all.filter((e) => e.type === 'call.answered').map((e) => e.callId);
    const queuedOrder = run.events.all.filter((e) => e.type === 'call.queued').map((e) => e.callId);
    assert.deepEqual(answeredOrder, queuedOrder);
  });

  it('given the controller is killed while a caller waits, after it restarts the same caller is connected to an agent', async () => {
    const ear = await listen();
    caller({ number: '+15550005', hangupAfterMs: 30_000, mediaPort: ear.port });
    const queued = await run.events.waitFor((e) => e.type === 'call.queued');
    await eventually(async () => ear.level(500).meanAbs > AUDIBLE, 5000, 'music on hold before the kill');
    run.events.close();
    await run.ctl.kill('SIGKILL');
    await sleep(1500);
    const meanwhile = ear.level(1000);
    assert.ok(meanwhile.meanAbs > AUDIBLE, `the caller still hears music while no controller runs: ${JSON.stringify(meanwhile)}`);

    await run.ctl.launch();
    run.events = await run.ctl.events();
    const list = await run.ctl.ok('GET', '/queues/sales/calls');
    assert.deepEqual(list.calls.map((c: any) => c.callId), [queued.callId], 'still waiting after the restart');
    await agent('a1', { calls: 1 });
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    assert.equal(answered.callId, queued.callId, 'the same caller');
    assert.ok(await eventually(() => bridgeOfCall(queued.callId).then((b) => b?.channels.length === 2), 5000, 'bridged'));
  });

  it('given an agent whose phone registers with digest credentials, the registry shows it online and calls reach it', async () => {
    const port = allocatePort();
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'Reg', queues: ['sales'], phone: { mode: 'register', password: 'a1-secret-pass' } });
    assert.equal((await run.ctl.ok('GET', '/agents/a1')).device.state, 'offline', 'not registered yet');
    await assert.rejects(registerPhone({ user: 'a1', password: 'wrong-password', port, asteriskPort: TEST_ENV.sipPort }));
    await registerPhone({ user: 'a1', password: 'a1-secret-pass', port, asteriskPort: TEST_ENV.sipPort });
    const a = await run.ctl.ok('GET', '/agents/a1');
    assert.deepEqual([a.device.state, a.phone], ['online', { mode: 'register', username: 'a1' }], 'no password in the response');
    const phone = run.track(startAgentPhone({ port, calls: 1, expectFromUser: '+15550006' }));
    await run.ctl.ok('POST', '/agents/a1/login');
    caller({ number: '+15550006', hangupAfterMs: 1500 });
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    assert.equal(answered.agentId, 'a1');
    assert.equal((await phone.wait(10_000)).successful, 1);
    await registerPhone({ user: 'a1', password: 'a1-secret-pass', port, asteriskPort: TEST_ENV.sipPort, expires: 0 });
    assert.equal((await run.ctl.ok('GET', '/agents/a1')).device.state, 'offline', 'unregistered');
  });

  it('given the controller is down, a caller hears the fallback announcement and Asterisk hangs up (never dead air)', async () => {
    run.events.close();
    await run.ctl.kill();
    await sleep(500);
    const logFrom = asteriskLogSize();
    const ear = await listen();
    const call = caller({ number: '+15550007', hangupAfterMs: 20_000, mediaPort: ear.port });
    await eventually(async () => ear.level(500).meanAbs > AUDIBLE, 5000, 'the announcement is audible');
    const r = await call.wait(15_000);
    assert.equal(r.successful, 1);
    assert.ok(parseTrace(r.messages).some((m) => m.direction === 'received' && m.text.startsWith('BYE ')), 'Asterisk hung up');
    assert.match(asteriskLogSince(logFrom), /ACD controller unavailable: 8101 from \+15550007/);
    await run.ctl.launch();                      // afterEach expects a controller
  });
});
