import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { AriObserver, ari, asteriskLogSince, asteriskLogSize, staticEndpoint } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { RtpPeer } from './harness/rtpPeer';
import { parseTrace, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const CALLER_HZ = 440;
const A1_HZ = 660;
const HEARD = 0.08;
const A1_TOKEN = 'e2e-agent-token-sec-a1-00001';
/** The REFER target a compromised (or malicious) phone sent: Dial("PJSIP/1@trunk,5,U(evil),60") before the fix. */
const INJECTING_TARGET = '1%40trunk%2C5%2CU(evil)';

/** The sipfrag status lines of the NOTIFYs a phone received (transfer progress), in order. */
function notifyStatuses(trace: string): number[] {
  return parseTrace(trace)
    .filter((m) => m.direction === 'received' && m.text.startsWith('NOTIFY '))
    .map((m) => /SIP\/2\.0 (\d{3})/.exec(m.text.split(/\r?\n\r?\n/).slice(1).join('\n'))?.[1])
    .filter((c): c is string => Boolean(c)).map(Number);
}

/**
 * Nothing a phone sends reaches a dial string; every number the system dials passes the one
 * destination policy (premium-rate and international refused by default); a supervisor's monitor
 * phone is theirs or a registry phone. Each through real SIP calls into the real Asterisk.
 */
describe('call path security: REFER targets, outbound destination policy, monitor endpoints (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const peer = async (hz: number) => run.trackMedia(await RtpPeer.open(hz));

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'sec', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8501' }, { id: 'support', name: 'Support', extension: '8502' }],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support'], endpoint: 'PJSIP/e2e-sec-sam' },
        { id: 'al', role: 'agent', agentId: 'a1', token: A1_TOKEN },
      ],
    });
  });
  afterEach(function () { return run.end(this); });

  /** A caller (440 Hz) connected to a1 (660 Hz), a1's phone doing what `phone` says. */
  async function connected(phone: { referTo?: string; referAfterMs?: number } = {}) {
    const media = await peer(A1_HZ);
    const port = allocatePort();
    const a1 = run.track(startAgentPhone({ port, calls: 1, mediaPort: media.port, ...phone }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'a1', queues: ['sales', 'support'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    const caller = await peer(CALLER_HZ);
    run.track(startCaller({ extension: '8501', callerNumber: '15550601', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, mediaPort: caller.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call.answered');
    // a phone that REFERs does so a set time after answering, whether or not media is flowing yet: the
    // tests that use it check the audio after the REFER (waiting for it here raced the REFER on a busy machine)
    if (!phone.referTo) await eventually(async () => caller.hears(A1_HZ, 500) > HEARD, 5000, 'caller hears a1');
    return { callId: answered.callId as string, caller, media, a1 };
  }

  it('given a connected call, when the agent\'s phone REFERs to "1%40trunk%2C5%2CU(evil)", then the phone gets a failure NOTIFY, nothing is dialed and the call goes on', async () => {
    const observer = await AriObserver.open();
    try {
      const logFrom = asteriskLogSize();
      const { callId, caller, media, a1 } = await connected({ referTo: INJECTING_TARGET, referAfterMs: 1500 });
      const channelsBefore = (await ari<{ id: string }[]>('/channels')).map((c) => c.id).sort();
      await eventually(async () => notifyStatuses(a1.messages()).some((c) => c >= 300), 10_000, 'a failure NOTIFY');
      const statuses = notifyStatuses(a1.messages());
      assert.ok(statuses.at(-1)! >= 300, `the last transfer progress is a failure (${statuses})`);
      assert.ok(!statuses.includes(200), `no success NOTIFY (${statuses})`);
      await sleep(1500);
      // the call goes on, caller and agent still hear each other
      const rec = await run.ctl.ok('GET', `/calls/${callId}`, undefined, SUPERVISOR_TOKEN);
      assert.deepEqual([rec.state, rec.agentId], ['connected', 'a1']);
      await eventually(async () => caller.hears(A1_HZ, 500) > HEARD && media.hears(CALLER_HZ, 500) > HEARD, 5000, 'caller and a1 still talk');
      assert.ok(!run.events.all.some((e) => e.type === 'call.transferred'), 'no transfer happened');
      // nothing was dialed: no new channel, no dialplan step running Dial
      assert.deepEqual((await ari<{ id: string }[]>('/channels')).map((c) => c.id).sort(), channelsBefore);
      const referAt = parseTrace(a1.messages()).find((m) => m.direction === 'sent' && m.text.startsWith('REFER '))!.at;
      const created = observer.events.filter((e) => e.type === 'ChannelCreated' && Date.parse(e.timestamp) >= referAt - 50);
      assert.deepEqual(created.map((e) => e.channel.name), [], 'no channel created after the REFER');
      const log = asteriskLogSince(logFrom);
      assert.ok(!/Dial\(/.test(log), `Asterisk ran no Dial():\n${log.split('\n').filter((l) => /Dial\(/.test(l)).join('\n')}`);
      assert.ok(!/evil/.test(log.split('\n').filter((l) => /Executing/.test(l)).join('\n')), 'the target reached no application');
      // and it ends normally
      assert.equal((await run.ctl.request('POST', `/calls/${callId}/hangup`, undefined, A1_TOKEN)).status, 204);
      assert.equal((await a1.wait(10_000)).successful, 1, 'the phone got BYE');
    } finally {
      observer.close();
    }
  });

  it('given a connected call, when the agent\'s phone REFERs to another agent, then that agent gets the caller (a good REFER still works)', async () => {
    const a2media = await peer(880);
    const port = allocatePort();
    const a2 = run.track(startAgentPhone({ port, calls: 1, mediaPort: a2media.port }));
    await run.ctl.ok('POST', '/agents', { id: 'a2', name: 'a2', queues: ['support'], phone: { mode: 'static', contact: `sip:a2@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a2/login');
    const { callId, caller, a1 } = await connected({ referTo: 'a2', referAfterMs: 1500 });
    const t = await run.events.waitFor((e) => e.type === 'call.transferred', 10_000, 'call.transferred');
    assert.deepEqual([t.callId, t.kind, t.target, t.by], [callId, 'agent', 'a2', 'phone:a1']);
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === callId && e.agentId === 'a2', 10_000, 'a2 answered');
    await eventually(async () => caller.hears(880, 500) > HEARD, 5000, 'the caller hears a2');
    assert.equal((await a1.wait(10_000)).successful, 1, 'a1\'s phone got 202, NOTIFY and BYE');
    assert.ok(notifyStatuses(a1.messages()).includes(200), 'a1\'s phone was told the transfer succeeded');
    assert.equal(a2.invites().length, 1);
  });

  it('given a connected call, premium-rate and international numbers are refused for transfer, consultation and three-way (422 DESTINATION_NOT_ALLOWED, nothing dialed), while an allowed number is dialed', async () => {
    const { callId } = await connected();
    const before = run.events.changes.length;
    const channelsBefore = (await ari<{ id: string }[]>('/channels')).length;
    const refused: [string, object][] = [
      ['transfer', { extension: '19005550100' }],
      ['transfer', { extension: '+442079460000' }],
      ['transfer', { extension: '00442079460000' }],
      ['consult', { extension: '19005550100' }],
      ['consult', { extension: '011442079460000' }],
      ['conference', { extension: '+33123456789' }],
      ['conference', { extension: '09001234567' }],
    ];
    for (const [action, body] of refused) {
      const r = await run.ctl.request('POST', `/calls/${callId}/${action}`, body, A1_TOKEN);
      assert.equal(r.status, 422, `${action} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'DESTINATION_NOT_ALLOWED');
      assert.equal(r.body.error.details.reason, 'denied-prefix');
    }
    await sleep(300);
    assert.equal(run.events.changes.length, before, 'no event: nothing changed');
    assert.equal((await ari<unknown[]>('/channels')).length, channelsBefore, 'nothing dialed');
    assert.equal((await run.ctl.ok('GET', `/calls/${callId}`, undefined, SUPERVISOR_TOKEN)).state, 'connected');

    // an allowed (domestic) number is dialed: a desk reached as 5550123
    const port = allocatePort();
    const desk = run.track(startAgentPhone({ port, calls: 1 }));
    await staticEndpoint('5550123', port);
    const party = await run.ctl.ok('POST', `/calls/${callId}/conference`, { extension: '5550123' }, A1_TOKEN);
    await run.events.waitFor((e) => e.type === 'call.party_joined' && e.partyId === party.partyId, 10_000, 'party joined');
    assert.match(desk.invites()[0].requestUri, /^sip:5550123@/);
  });

  it('given a supervisor, a monitor request naming an arbitrary channel string is refused (422, nothing dialed); a registry phone is rung', async () => {
    const { callId } = await connected();
    const channelsBefore = (await ari<unknown[]>('/channels')).length;
    for (const endpoint of ['PJSIP/19005550100@trunk', 'PJSIP/e2e-sec-other', 'Local/123@acd-transfer', 'PJSIP/nobody']) {
      const r = await run.ctl.request('POST', `/calls/${callId}/monitor`, { mode: 'listen', endpoint }, SUPERVISOR_TOKEN);
      assert.equal(r.status, 422, `${endpoint} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'DESTINATION_NOT_ALLOWED');
    }
    await sleep(300);
    assert.equal((await ari<unknown[]>('/channels')).length, channelsBefore, 'nothing dialed');
    assert.ok(!run.events.all.some((e) => e.type.startsWith('monitor.')), 'no monitor session');
    // the phone of an agent of the registry is allowed
    const port = allocatePort();
    const deskPhone = run.track(startAgentPhone({ port, calls: 1 }));
    await run.ctl.ok('POST', '/agents', { id: 'desk9', name: 'Desk 9', queues: [], phone: { mode: 'static', contact: `sip:desk9@127.0.0.1:${port}` } });
    const m = await run.ctl.ok('POST', `/calls/${callId}/monitor`, { mode: 'listen', endpoint: 'PJSIP/desk9' }, SUPERVISOR_TOKEN);
    assert.equal(m.endpoint, 'PJSIP/desk9');
    await eventually(async () => deskPhone.invites().length === 1, 10_000, 'the registry phone rings');
  });

  it('given the outbound policy in the settings, a queue override and PUT /settings: callbacks to refused numbers are 422, allowed ones created; a bad pattern is 422', async () => {
    // the shipped default refuses premium and international callback numbers too
    await run.ctl.ok('PUT', '/queues/support', { name: 'Support', extension: '8502', callbacks: { enabled: true } });
    for (const number of ['19005550100', '+442079460000', '0033123456789']) {
      const r = await run.ctl.request('POST', '/callbacks', { queueId: 'support', number }, SUPERVISOR_TOKEN);
      assert.equal(r.status, 422, `${number} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'DESTINATION_NOT_ALLOWED');
    }
    assert.deepEqual((await run.ctl.ok('GET', '/callbacks')).callbacks, []);
    const settings = await run.ctl.ok('GET', '/settings');
    assert.ok(settings.outboundPolicy.deniedPrefixes.includes('+'), 'international denied by default');
    // the organisation allows only 7-digit local numbers; a queue may widen it again
    const bad = await run.ctl.request('PUT', '/settings', { ...settings, outboundPolicy: { allowedPatterns: ['_X(.*)+'] } });
    assert.equal(bad.status, 422);
    await run.ctl.ok('PUT', '/settings', { ...settings, outboundPolicy: { ...settings.outboundPolicy, allowedPatterns: ['_NXXXXXX'] } });
    const longNumber = await run.ctl.request('POST', '/callbacks', { queueId: 'support', number: '15550601' }, SUPERVISOR_TOKEN);
    assert.deepEqual([longNumber.status, longNumber.body.error?.details?.reason], [422, 'not-allowed-pattern']);
    assert.equal((await run.ctl.request('POST', '/callbacks', { queueId: 'support', number: '5550601' }, SUPERVISOR_TOKEN)).status, 201);
    await run.ctl.ok('PUT', '/queues/support', { name: 'Support', extension: '8502', callbacks: { enabled: true }, outboundPolicy: { allowedPatterns: ['_1NXXXXXX'] } });
    assert.equal((await run.ctl.request('POST', '/callbacks', { queueId: 'support', number: '15550601' }, SUPERVISOR_TOKEN)).status, 201, 'the queue\'s override allows it');
    assert.equal((await run.ctl.request('POST', '/callbacks', { queueId: 'support', number: '19005550100' }, SUPERVISOR_TOKEN)).status, 422, 'the organisation\'s denied prefixes still apply');
  });
});
