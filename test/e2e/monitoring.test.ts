import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { staticEndpoint } from './harness/asterisk';
import { eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { RtpPeer } from './harness/rtpPeer';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

// Each party speaks its own tone; what each hears tells who hears whom.
const CALLER_HZ = 440;
const AGENT_HZ = 660;
const SUPERVISOR_HZ = 880;
const HEARD = 0.08;     // share of a tone in what a party receives: clearly there
const NOT_HEARD = 0.02; // clearly not

const tokens = {
  sam: 'e2e-sup-token-sam-0000001',     // supervises sales
  sue: 'e2e-sup-token-sue-0000001',     // supervises support only
  una: 'e2e-sup-token-una-0000001',     // support only, but not limited to assigned queues
  pat: 'e2e-sup-token-pat-0000001',     // sales, may monitor protected agents
  agent: 'e2e-agent-token-a1-0000003',
};

describe('supervisor listen / whisper / barge (real SIP, proven by audio)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const track = (p: SippProcess) => run.track(p);
  const peer = async (hz: number) => run.trackMedia(await RtpPeer.open(hz));

  /** A connected call: caller and agent a1 (optionally protected) each sending their tone. */
  async function connectedCall(o: { protectedAgent?: boolean } = {}) {
    const caller = await peer(CALLER_HZ);
    const agent = await peer(AGENT_HZ);
    const port = allocatePort();
    track(startAgentPhone({ port, calls: 1, mediaPort: agent.port }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'Ann', queues: ['sales'], protected: o.protectedAgent ?? false, phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    track(startCaller({ extension: '8401', callerNumber: '15550201', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, mediaPort: caller.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    await eventually(async () => caller.hears(AGENT_HZ, 500) > HEARD && agent.hears(CALLER_HZ, 500) > HEARD, 5000, 'caller and agent hear each other');
    return { callId: answered.callId as string, caller, agent };
  }

  /** The supervisor's desk phone: a SIPp phone at a static PJSIP endpoint, its media an RtpPeer. */
  async function supervisorPhone(name: string, o: { hangupAfterMs?: number } = {}) {
    const media = await peer(SUPERVISOR_HZ);
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: 1, mediaPort: media.port, hangupAfterMs: o.hangupAfterMs }));
    await staticEndpoint(name, port);
    return { phone, media };
  }

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'mon', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8401' }, { id: 'support', name: 'Support', extension: '8402' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: tokens.sam, supervisedQueues: ['sales'], endpoint: 'PJSIP/e2e-sup-sam' },
        { id: 'sue', role: 'supervisor', token: tokens.sue, supervisedQueues: ['support'], endpoint: 'PJSIP/e2e-sup-sue' },
        { id: 'una', role: 'supervisor', token: tokens.una, supervisedQueues: ['support'], endpoint: 'PJSIP/e2e-sup-una', permissions: { limitToAssignedQueues: false } },
        { id: 'pat', role: 'supervisor', token: tokens.pat, supervisedQueues: ['sales'], endpoint: 'PJSIP/e2e-sup-pat', permissions: { monitorProtected: true } },
        { id: 'al', role: 'agent', agentId: 'a1', token: tokens.agent },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('listen, then whisper, then barge in one session: who hears the supervisor changes as the mode says, and the phone rings once', async () => {
    const { callId, caller, agent } = await connectedCall();
    const sup = await supervisorPhone('e2e-sup-sam');
    const started = await run.ctl.ok('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.sam);
    await run.events.waitFor((e) => e.type === 'monitor.connected' && e.monitorId === started.id, 10_000, 'monitor.connected');

    // listen: the supervisor hears both parties; neither hears the supervisor
    await eventually(async () => sup.media.hears(CALLER_HZ, 800) > HEARD && sup.media.hears(AGENT_HZ, 800) > HEARD, 8000,
      () => `listen: supervisor hears caller and agent (${sup.media.hears(CALLER_HZ, 800)}, ${sup.media.hears(AGENT_HZ, 800)})`);
    const [agentListening, callerListening] = await Promise.all([agent.hearsNext(SUPERVISOR_HZ, 1000), caller.hearsNext(SUPERVISOR_HZ, 1000)]);
    const listening = { agent: agentListening, caller: callerListening };
    assert.ok(listening.agent < NOT_HEARD, `listen: agent must not hear the supervisor (${listening.agent})`);
    assert.ok(listening.caller < NOT_HEARD, `listen: caller must not hear the supervisor (${listening.caller})`);

    // whisper: the agent hears the supervisor, the caller does not
    // (what must be heard is awaited with a deadline: a busy machine moves media more slowly;
    // what must not be heard is checked over the next second of audio after that)
    await run.ctl.ok('PATCH', `/monitors/${started.id}`, { mode: 'whisper' }, tokens.sam);
    await eventually(async () => agent.hears(SUPERVISOR_HZ, 800) > HEARD, 8000, 'whisper: agent hears the supervisor');
    const whispering = await caller.hearsNext(SUPERVISOR_HZ, 1000);
    assert.ok(whispering < NOT_HEARD, `whisper: caller must not hear the supervisor (${whispering})`);
    assert.ok(sup.media.hears(CALLER_HZ) > HEARD && sup.media.hears(AGENT_HZ) > HEARD, 'whisper: supervisor still hears both');

    // barge: both hear the supervisor
    await run.ctl.ok('PATCH', `/monitors/${started.id}`, { mode: 'barge' }, tokens.sam);
    await eventually(async () => agent.hears(SUPERVISOR_HZ, 800) > HEARD && caller.hears(SUPERVISOR_HZ, 800) > HEARD, 8000,
      () => `barge: agent and caller hear the supervisor (${agent.hears(SUPERVISOR_HZ, 800)}, ${caller.hears(SUPERVISOR_HZ, 800)})`);
    await eventually(async () => sup.media.hears(CALLER_HZ, 800) > HEARD && sup.media.hears(AGENT_HZ, 800) > HEARD, 8000, 'barge: supervisor hears both');

    // and back to listen: silence towards the parties again
    await run.ctl.ok('PATCH', `/monitors/${started.id}`, { mode: 'listen' }, tokens.sam);
    await eventually(async () => caller.hears(SUPERVISOR_HZ, 800) < NOT_HEARD && agent.hears(SUPERVISOR_HZ, 800) < NOT_HEARD, 8000, 'back to listen');
    const [callerAfter, agentAfter] = await Promise.all([caller.hearsNext(SUPERVISOR_HZ, 1000), agent.hearsNext(SUPERVISOR_HZ, 1000)]);
    assert.ok(callerAfter < NOT_HEARD && agentAfter < NOT_HEARD, `back to listen, and it stays so (${callerAfter}, ${agentAfter})`);

    assert.equal(sup.phone.invites().length, 1, 'the supervisor\'s phone rang once for the whole session');
    const modes = run.events.all.filter((e) => e.type === 'monitor.mode_changed').map((e) => e.mode);
    assert.deepEqual(modes, ['whisper', 'barge', 'listen']);

    // stopping through the API ends the session and hangs up the supervisor's phone, not the call
    const r = await run.ctl.request('DELETE', `/monitors/${started.id}`, undefined, tokens.sam);
    assert.equal(r.status, 204);
    const ended = await run.events.waitFor((e) => e.type === 'monitor.ended', 5000, 'monitor.ended');
    assert.equal(ended.reason, 'stopped');
    assert.equal((await sup.phone.wait(5000)).successful, 1);
    const goingOn = await caller.hearsNext(AGENT_HZ, 500);
    assert.ok(goingOn > HEARD, `the call goes on: the caller keeps hearing the agent (${goingOn})`);
  });

  it('several supervisors monitor one call; the session ends when the call ends', async () => {
    const { callId } = await connectedCall();
    const sam = await supervisorPhone('e2e-sup-sam');
    const pat = await supervisorPhone('e2e-sup-pat');
    const m1 = await run.ctl.ok('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.sam);
    const m2 = await run.ctl.ok('POST', '/agents/a1/monitor', { mode: 'listen' }, tokens.pat);
    await eventually(async () => run.events.all.filter((e) => e.type === 'monitor.connected').length === 2, 10_000, 'both connected');
    for (const s of [sam, pat]) {
      await eventually(async () => s.media.hears(CALLER_HZ, 800) > HEARD && s.media.hears(AGENT_HZ, 800) > HEARD, 8000, 'each supervisor hears both parties');
    }
    await hangupCall(callId);
    const ended = await eventually(async () => {
      const e = run.events.all.filter((x) => x.type === 'monitor.ended');
      return e.length === 2 && e;
    }, 10_000, 'both sessions ended');
    assert.deepEqual(ended.map((e: any) => e.reason), ['call-ended', 'call-ended']);
    assert.deepEqual(new Set(ended.map((e: any) => e.monitorId)), new Set([m1.id, m2.id]));
  });

  it('the session ends when the supervisor hangs up', async () => {
    const { callId } = await connectedCall();
    const sup = await supervisorPhone('e2e-sup-sam', { hangupAfterMs: 1500 });
    await run.ctl.ok('POST', `/calls/${callId}/monitor`, { mode: 'whisper' }, tokens.sam);
    const ended = await run.events.waitFor((e) => e.type === 'monitor.ended', 10_000, 'monitor.ended');
    assert.equal(ended.reason, 'supervisor-hung-up');
    assert.equal((await sup.phone.wait(5000)).successful, 1);
  });

  it('a supervisor monitoring a call outside their queues gets 403; with "limit access to assigned queues" lifted they may', async () => {
    const { callId } = await connectedCall();
    const denied = await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.sue);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'FORBIDDEN');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.agent)).status, 403, 'agents never');
    assert.ok(!run.events.all.some((e) => e.type === 'monitor.started'), 'nothing started');
    await supervisorPhone('e2e-sup-una');
    const allowed = await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.una);
    assert.equal(allowed.status, 201);
    await run.events.waitFor((e) => e.type === 'monitor.connected', 10_000, 'monitor.connected');
  });

  it('a protected agent can be monitored only with the monitorProtected permission', async () => {
    const { callId } = await connectedCall({ protectedAgent: true });
    const denied = await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.sam);
    assert.equal(denied.status, 403);
    assert.match(denied.body.error.message, /protected/);
    await supervisorPhone('e2e-sup-pat');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'barge' }, tokens.pat)).status, 201);
    await run.events.waitFor((e) => e.type === 'monitor.connected', 10_000, 'monitor.connected');
  });

  it('refuses a bad mode (422), an unknown call (404), a session that does not exist (404)', async () => {
    const { callId } = await connectedCall();
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'spy' }, tokens.sam)).status, 422);
    assert.equal((await run.ctl.request('POST', '/calls/nope/monitor', { mode: 'listen' }, tokens.sam)).status, 404);
    assert.equal((await run.ctl.request('PATCH', '/monitors/nope', { mode: 'listen' }, tokens.sam)).status, 404);
    assert.ok(!run.events.all.some((e) => e.type === 'monitor.started'));
  });

  it('given a session on a sales call, GET, PATCH and DELETE /monitors/{id} are scoped like the call, while it is connected and after it ended; the monitored agent gets no monitor events', async () => {
    const agentEvents = await run.ctl.events(tokens.agent);
    try {
      const { callId } = await connectedCall();
      await supervisorPhone('e2e-sup-sam');
      const m = await run.ctl.ok('POST', `/calls/${callId}/monitor`, { mode: 'listen' }, tokens.sam);
      await run.events.waitFor((e) => e.type === 'monitor.connected' && e.monitorId === m.id, 10_000, 'monitor.connected');
      const outsider = async () => [
        (await run.ctl.request('GET', `/monitors/${m.id}`, undefined, tokens.sue)).status,
        (await run.ctl.request('PATCH', `/monitors/${m.id}`, { mode: 'barge' }, tokens.sue)).status,
        (await run.ctl.request('DELETE', `/monitors/${m.id}`, undefined, tokens.sue)).status,
        (await run.ctl.request('GET', `/monitors/${m.id}`, undefined, tokens.agent)).status,
      ];
      assert.deepEqual(await outsider(), [403, 403, 403, 403], 'connected: a supervisor of another queue and the agent are refused');
      assert.equal((await run.ctl.ok('GET', `/monitors/${m.id}`, undefined, tokens.sam)).mode, 'listen', 'the refused PATCH changed nothing');
      assert.equal((await run.ctl.ok('GET', `/monitors/${m.id}`, undefined, tokens.una)).state, 'active', 'the refused DELETE ended nothing; a supervisor without the limit reads it');
      assert.deepEqual((await run.ctl.ok('GET', '/monitors', undefined, tokens.sue)).monitors, [], 'nor is it listed for them');

      await hangupCall(callId);
      await run.events.waitFor((e) => e.type === 'monitor.ended' && e.monitorId === m.id, 10_000, 'monitor.ended');
      assert.deepEqual(await outsider(), [403, 403, 403, 403], 'after the call: still refused');
      assert.equal((await run.ctl.ok('GET', `/monitors/${m.id}`, undefined, tokens.sam)).state, 'ended', 'its supervisor still reads it');
      await sleep(300);   // the agent's socket would have had them by now: they go out to every socket at once
      assert.deepEqual(run.events.all.filter((e) => e.type.startsWith('monitor.') && e.monitorId === m.id).map((e) => e.type),
        ['monitor.started', 'monitor.connected', 'monitor.ended'], 'the admin saw the monitor events');
      assert.deepEqual(agentEvents.all.filter((e) => e.type.startsWith('monitor.')), [], 'the monitored agent saw none of them');
      assert.ok(agentEvents.all.some((e) => e.type === 'call.answered' && e.callId === callId), 'while seeing its own call');
    } finally {
      agentEvents.close();
    }
  });

  /** The caller hangs up: through ARI, as if the caller's phone sent BYE. */
  async function hangupCall(callId: string): Promise<void> {
    await fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari/channels/${callId}`, {
      method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
    });
  }
});
