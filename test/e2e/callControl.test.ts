import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { staticEndpoint } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually } from './harness/controller';
import { allocatePort } from './harness/ports';
import { RtpPeer } from './harness/rtpPeer';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const CALLER_HZ = 440;
const A1_HZ = 660;
const A2_HZ = 880;
const HEARD = 0.08;
const NOT_HEARD = 0.02;
// Over music on hold a tone's share is not near zero (music has energy at many frequencies, up to
// ~0.08 seen at 660 Hz); an agent still heard would dominate (~0.99 alone): this tells them apart.
const NOT_HEARD_OVER_MUSIC = 0.3;
const A1_TOKEN = 'e2e-agent-token-a1-0000005';

describe('in-call control: hold, DTMF, blind transfers (real SIP)', function () {
  this.timeout(60_000);
  const run = new TestRun();
  const track = (p: SippProcess) => run.track(p);
  const peer = async (hz: number) => run.trackMedia(await RtpPeer.open(hz));

  /** An agent whose phone answers, its media an RtpPeer sending `hz`. */
  const agent = async (id: string, queues: string[], hz: number) => {
    const media = await peer(hz);
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: 1, mediaPort: media.port }));
    await run.ctl.ok('POST', '/agents', { id, name: id, queues, phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
    return { media, phone };
  };
  /** A caller (440 Hz) connected to a1 (660 Hz) in sales (or support). */
  const connected = async (o: { queue?: 'sales' | 'support'; a1Calls?: number } = {}) => {
    const media = await peer(A1_HZ);
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: o.a1Calls ?? 1, mediaPort: media.port }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'a1', queues: ['sales', 'support'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    const a1 = { media, phone };
    await run.ctl.ok('POST', '/agents/a1/login');
    const caller = await peer(CALLER_HZ);
    const extension = o.queue === 'support' ? '8802' : '8801';
    track(startCaller({ extension, callerNumber: '15550501', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, mediaPort: caller.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    await eventually(async () => caller.hears(A1_HZ, 500) > HEARD, 5000, () => `caller hears a1 (caller: ${caller.describe()}; a1: ${media.describe()})`);
    return { callId: answered.callId as string, caller, a1 };
  };

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'ctl', {
      queues: [
        { id: 'sales', name: 'Sales', extension: '8801', wrapUp: { sec: 30 } },
        { id: 'support', name: 'Support', extension: '8802', parkTimeoutSec: 5 },
      ],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: A1_TOKEN },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('hold: the caller hears music and not the agent; unhold: they talk again', async () => {
    const { callId, caller } = await connected();
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/hold`, undefined, A1_TOKEN)).status, 204);
    await run.events.waitFor((e) => e.type === 'call.held' && e.callId === callId);
    await eventually(async () => caller.hears(A1_HZ, 800) < NOT_HEARD_OVER_MUSIC && caller.level(800) > 60, 8000, 'on hold: music, not the agent');
    const whileHeld = await caller.hearsNext(A1_HZ, 1000);
    assert.ok(whileHeld < NOT_HEARD_OVER_MUSIC, `on hold the caller must not hear the agent (${whileHeld})`);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/unhold`, undefined, A1_TOKEN)).status, 204);
    await run.events.waitFor((e) => e.type === 'call.unheld' && e.callId === callId);
    await eventually(async () => caller.hears(A1_HZ, 500) > HEARD, 5000, 'talking again after unhold');
  });

  it('hang up through the API: both parties are hung up, the call ends, the agent goes to wrap-up', async () => {
    const { callId, a1 } = await connected();
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/hangup`, undefined, A1_TOKEN)).status, 204);
    const ended = await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === callId, 5000, 'call.ended');
    assert.equal(ended.endedBy, 'api');
    assert.equal((await a1.phone.wait(5000)).successful, 1, 'the agent\'s phone got BYE');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
  });

  it('DTMF sent through the API reaches the caller as RFC 4733 events', async () => {
    const { callId, caller } = await connected();
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/dtmf`, { digits: '12#9' }, A1_TOKEN)).status, 204);
    await eventually(async () => caller.digits === '12#9', 5000, `digits received (got "${caller.digits}")`);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/dtmf`, { digits: 'x1' }, A1_TOKEN)).status, 422);
  });

  it('blind transfer to another agent: the caller is then with that agent; the first agent goes to wrap-up', async () => {
    const { callId, caller } = await connected();
    await agent('a2', ['support'], A2_HZ);
    await run.ctl.ok('POST', '/agents/a2/login');
    const r = await run.ctl.request('POST', `/calls/${callId}/transfer`, { agentId: 'a2' }, A1_TOKEN);
    assert.equal(r.status, 202);
    const t = await run.events.waitFor((e) => e.type === 'call.transferred', 5000, 'call.transferred');
    assert.deepEqual([t.fromAgentId, t.kind, t.target], ['a1', 'agent', 'a2']);
    await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a2' && e.callId === callId, 10_000, 'a2 answered');
    await eventually(async () => caller.hears(A2_HZ, 500) > HEARD, 5000, 'the caller hears a2');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
    assert.equal((await run.ctl.agentState('a2')).state, 'on_call');
  });

  it('blind transfer to a queue keeps the caller\'s original time: ahead of later callers there', async () => {
    const { callId } = await connected();
    // a later caller already waits in support
    track(startCaller({ extension: '8802', callerNumber: '15550502', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000 }));
    const later = await run.events.waitFor((e) => e.type === 'call.queued' && e.queueId === 'support');
    await run.ctl.ok('POST', `/calls/${callId}/transfer`, { queueId: 'support' }, A1_TOKEN);
    const requeued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callId === callId && e.transferred, 5000, 'requeued');
    assert.equal(requeued.position, 1, 'ahead of the caller who came later');
    const list = await run.ctl.ok('GET', '/queues/support/calls', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(list.calls.map((c: any) => c.callId), [callId, later.callId]);
    await agent('a2', ['support'], A2_HZ);
    await run.ctl.ok('POST', '/agents/a2/login');
    const served = await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a2', 10_000, 'served in support');
    assert.equal(served.callId, callId);
  });

  it('blind transfer to an extension: the caller leaves the ACD for that extension\'s phone', async () => {
    const { callId } = await connected();
    const port = allocatePort();
    // the desk phone counts its call failed unless the INVITE shows the caller's number
    const desk = track(startAgentPhone({ port, calls: 1, expectFromUser: '15550501', hangupAfterMs: 500 }));
    await staticEndpoint('7001', port);
    await run.ctl.ok('POST', `/calls/${callId}/transfer`, { extension: '7001' }, A1_TOKEN);
    await eventually(async () => desk.invites().length === 1, 10_000, 'the extension rings');
    assert.match(desk.invites()[0].requestUri, /^sip:7001@/);
    const deskResult = await desk.wait(15_000);
    assert.deepEqual([deskResult.successful, deskResult.failed], [1, 0], 'the desk phone answered a call showing the caller\'s number');
    const rec = await run.ctl.ok('GET', `/calls/${callId}`, undefined, SUPERVISOR_TOKEN);
    assert.equal(rec.state, 'ended');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
  });

  it('three-way call: a third party joins and all three hear each other; dropped, the call goes on', async () => {
    const { callId, caller, a1 } = await connected();
    const third = await peer(A2_HZ);
    const port = allocatePort();
    const desk = track(startAgentPhone({ port, calls: 1, mediaPort: third.port }));
    await staticEndpoint('7002', port);
    const r = await run.ctl.ok('POST', `/calls/${callId}/conference`, { extension: '7002' }, A1_TOKEN);
    await run.events.waitFor((e) => e.type === 'call.party_joined' && e.partyId === r.partyId, 10_000, 'party joined');
    // everyone hears the two others (mixed about half and half)
    await eventually(async () => caller.hears(A1_HZ) > HEARD && caller.hears(A2_HZ) > HEARD, 5000,
      () => `caller hears agent and third party (${caller.hears(A1_HZ)}, ${caller.hears(A2_HZ)})`);
    await eventually(async () => a1.media.hears(CALLER_HZ) > HEARD && a1.media.hears(A2_HZ) > HEARD, 5000, 'agent hears caller and third party');
    await eventually(async () => third.hears(CALLER_HZ) > HEARD && third.hears(A1_HZ) > HEARD, 5000, 'third party hears caller and agent');
    assert.equal((await run.ctl.request('DELETE', `/calls/${callId}/conference/${r.partyId}`, undefined, A1_TOKEN)).status, 204);
    await run.events.waitFor((e) => e.type === 'call.party_left' && e.partyId === r.partyId, 5000, 'party left');
    assert.equal((await desk.wait(5000)).successful, 1, 'the third party was hung up');
    await eventually(async () => caller.hears(A1_HZ, 800) > HEARD && caller.hears(A2_HZ, 800) < NOT_HEARD, 8000, 'caller and agent go on, alone');
  });

  it('attended transfer completed: the caller holds while a1 consults a2, then talks with a2; a1 goes to wrap-up', async () => {
    const { callId, caller, a1 } = await connected();
    const a2 = await agent('a2', ['support'], A2_HZ);
    await run.ctl.ok('POST', '/agents/a2/login');
    await run.ctl.ok('POST', `/calls/${callId}/consult`, { agentId: 'a2' }, A1_TOKEN);
    await run.events.waitFor((e) => e.type === 'call.consult_answered', 10_000, 'a2 answered the consultation');
    assert.equal((await run.ctl.agentState('a2')).state, 'on_call', 'a2 is busy with this call, never offered another');
    await eventually(async () => a1.media.hears(A2_HZ) > HEARD && a2.media.hears(A1_HZ) > HEARD, 5000, 'a1 and a2 talk');
    await eventually(async () => caller.hears(A1_HZ, 800) < NOT_HEARD_OVER_MUSIC && caller.hears(A2_HZ, 800) < NOT_HEARD_OVER_MUSIC && caller.level(800) > 60, 8000,
      () => `the caller hears music, neither agent, meanwhile (${caller.hears(A1_HZ, 800)}, ${caller.hears(A2_HZ, 800)})`);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/consult/complete`, undefined, A1_TOKEN)).status, 204);
    const t = await run.events.waitFor((e) => e.type === 'call.transferred', 5000, 'call.transferred');
    assert.deepEqual([t.kind, t.fromAgentId, t.target], ['attended', 'a1', 'a2']);
    await eventually(async () => caller.hears(A2_HZ, 500) > HEARD && a2.media.hears(CALLER_HZ, 500) > HEARD, 5000, 'caller and a2 talk');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
    assert.equal((await run.ctl.agentState('a2')).state, 'on_call');
    assert.equal((await run.ctl.ok('GET', `/calls/${callId}`, undefined, SUPERVISOR_TOKEN)).agentId, 'a2');
  });

  it('attended transfer cancelled: the target is hung up and ready, the caller is back with the agent', async () => {
    const { callId, caller } = await connected();
    const a2 = await agent('a2', ['support'], A2_HZ);
    await run.ctl.ok('POST', '/agents/a2/login');
    await run.ctl.ok('POST', `/calls/${callId}/consult`, { agentId: 'a2' }, A1_TOKEN);
    await run.events.waitFor((e) => e.type === 'call.consult_answered', 10_000, 'a2 answered');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/consult/cancel`, undefined, A1_TOKEN)).status, 204);
    const ended = await run.events.waitFor((e) => e.type === 'call.consult_ended', 5000, 'consultation ended');
    assert.equal(ended.reason, 'cancelled');
    assert.equal((await a2.phone.wait(5000)).successful, 1, 'a2 was hung up');
    await eventually(async () => caller.hears(A1_HZ, 500) > HEARD, 5000, 'the caller talks with a1 again');
    assert.equal((await run.ctl.agentState('a2')).state, 'ready');
    assert.equal((await run.ctl.agentState('a1')).state, 'on_call');
    assert.ok(!run.events.all.some((e) => e.type === 'call.transferred'));
  });

  it('park: the caller waits in a slot with music; another agent of the queue retrieves it to their phone', async () => {
    const { callId, caller } = await connected();
    const parked = await run.ctl.ok('POST', `/calls/${callId}/park`, undefined, A1_TOKEN);
    assert.ok(parked.slot >= 1);
    await run.events.waitFor((e) => e.type === 'call.parked' && e.callId === callId, 5000, 'call.parked');
    await eventually(async () => caller.hears(A1_HZ, 800) < NOT_HEARD_OVER_MUSIC && caller.level(800) > 60, 8000, 'parked: music, not the agent');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up', 'the parking agent is free of the call');
    const list = await run.ctl.ok('GET', '/parked', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(list.parked.map((p: any) => [p.slot, p.callId, p.parkedBy]), [[parked.slot, callId, 'a1']]);

    const a2 = await agent('a2', ['sales'], A2_HZ);
    await run.ctl.ok('POST', '/agents/a2/login');
    await run.ctl.ok('POST', '/users', { id: 'u2', role: 'agent', agentId: 'a2' });
    const { token } = await run.ctl.ok('POST', '/users/u2/tokens', {});
    assert.equal((await run.ctl.request('POST', `/parked/${parked.slot}/retrieve`, {}, token)).status, 202);
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === callId && e.agentId === 'a2', 10_000, 'a2 has the call');
    await eventually(async () => caller.hears(A2_HZ, 500) > HEARD && a2.media.hears(CALLER_HZ, 500) > HEARD, 5000, 'caller and a2 talk');
    assert.deepEqual((await run.ctl.ok('GET', '/parked', undefined, SUPERVISOR_TOKEN)).parked, [], 'the slot is free');
  });

  it('park timeout: a call nobody retrieves comes back to the agent who parked it', async () => {
    const { callId, caller } = await connected({ queue: 'support', a1Calls: 2 });
    await run.ctl.ok('POST', `/calls/${callId}/park`, undefined, A1_TOKEN);
    const parkedAt = Date.now();
    const back = await run.events.waitFor((e) => e.type === 'call.unparked' && e.callId === callId, 10_000, 'park timeout');
    assert.deepEqual([back.reason, back.agentId], ['timeout', 'a1']);
    assert.ok(Date.now() - parkedAt >= 4500, 'not before the 5 s park timeout');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === callId && e.agentId === 'a1' && Date.parse(e.at) > parkedAt, 10_000, 'back with a1');
    await eventually(async () => caller.hears(A1_HZ, 500) > HEARD, 5000, 'caller and a1 talk again');
  });

  it('a REFER from the agent\'s phone is honoured and tracked like an API transfer: to a queue, keeping the caller\'s time', async () => {
    // a1's phone answers, then after 1.5 s sends REFER to support's extension
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: 1, referTo: '8802', referAfterMs: 1500 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'a1', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    track(startCaller({ extension: '8801', callerNumber: '15550503', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000 }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    const t = await run.events.waitFor((e) => e.type === 'call.transferred', 10_000, 'call.transferred from the phone');
    assert.deepEqual([t.callId, t.kind, t.target, t.by], [answered.callId, 'queue', 'support', 'phone:a1']);
    const requeued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callId === answered.callId && e.transferred, 5000, 'in support');
    assert.equal(requeued.queueId, 'support');
    assert.equal((await phone.wait(10_000)).successful, 1, 'the phone got 202, NOTIFY and BYE');
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
  });

  it('refuses control of someone else\'s call (403) and bad transfer targets (422)', async () => {
    const { callId } = await connected();
    await run.ctl.ok('POST', '/agents', { id: 'a9', name: 'other', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a9@127.0.0.1:5999' } });
    await run.ctl.ok('POST', '/users', { id: 'u9', role: 'agent', agentId: 'a9' });
    const { token } = await run.ctl.ok('POST', '/users/u9/tokens', {});
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/hold`, undefined, token)).status, 403);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/transfer`, { agentId: 'nobody' }, A1_TOKEN)).status, 422);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/transfer`, { agentId: 'a9', queueId: 'support' }, A1_TOKEN)).status, 422);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/transfer`, { agentId: 'a9' }, A1_TOKEN)).status, 409, 'a9 is not ready');
    assert.ok(!run.events.all.some((e) => e.type === 'call.transferred'));
  });
});
