import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { AriObserver, customerTrunk, ari } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AgentPhoneOptions, SippProcess, parseTrace, registerPhone, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const TRUNK = 'e2e-customers';
const callbackSettings = {
  enabled: true, key: '1', offerEverySec: 30, maxMessageSec: 10, maxSilenceSec: 2, maxAttempts: 3,
  preferredAgentSec: 4, dialTimeoutSec: 5,
};
const SALES = { id: 'sales', name: 'Sales', extension: '8301', ringTimeoutSec: 10, callbacks: callbackSettings };
const PLAIN = { id: 'plain', name: 'Plain', extension: '8302' };
const ASK = { id: 'ask', name: 'Ask', extension: '8303', callbacks: { ...callbackSettings, askNumber: true } };
const agentToken = (id: string) => `e2e-agent-token-${id}-000001`;

describe('callbacks that keep the caller\'s place (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const track = (p: SippProcess) => run.track(p);
  const caller = (number: string, hangupAfterMs: number, dtmf?: { afterMs: number; digits: string }[], speak?: { afterMs: number; ms: number }[]) =>
    track(startCaller({ extension: SALES.extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs, dtmf, speak }));
  const agent = async (id: string, phone: Omit<AgentPhoneOptions, 'port'>, o: { callbacks?: boolean; login?: boolean } = {}) => {
    const port = allocatePort();
    const p = track(startAgentPhone({ ...phone, port }));
    await run.ctl.ok('POST', '/agents', {
      id, name: `Agent ${id}`, queues: ['sales'], callbackQueues: o.callbacks === false ? [] : ['sales'],
      phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` },
    });
    if (o.login !== false) await run.ctl.ok('POST', `/agents/${id}/login`);
    return p;
  };
  /** The customers' side: every number dialed through the trunk reaches this one SIPp phone. */
  const customers = async (phone: Omit<AgentPhoneOptions, 'port'>) => {
    const port = allocatePort();
    const p = track(startAgentPhone({ ...phone, port }));
    await customerTrunk(TRUNK, port);
    return p;
  };
  const offeredTo = (id: string) => run.events.all.filter((e) => e.type === 'call.offered' && e.callId === id).map((e) => e.agentId);

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'cb', {
      outboundDial: `PJSIP/{number}@${TRUNK}`,
      queues: [SALES, PLAIN, ASK],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support', 'plain'] },
        ...['a1', 'a2'].map((a) => ({ id: `u-${a}`, role: 'agent', agentId: a, token: agentToken(a) })),
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given callers A, B, C queued in order and B asking for a callback, an agent serves A, then B\'s callback (agent first, message, customer bridged), then C', async () => {
    const observer = await AriObserver.open();
    try {
      const customer = await customers({ calls: 1, answerAfterMs: 300, expectFromUser: SALES.extension });
      caller('15550101', 60_000);
      await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550101');
      await sleep(300);
      // B keys 1 after a second, and speaks (a tone) for 2 s once the prompt and beep are over
      const b = caller('15550102', 40_000, [{ afterMs: 1000, digits: '1' }], [{ afterMs: 8000, ms: 2000 }]);
      const bQueued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550102');
      await sleep(300);
      caller('15550103', 80_000);
      await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550103');

      // after the message the silence ends the recording; B is thanked and hung up on
      const requested = await run.events.waitFor((e) => e.type === 'call.callback_requested', 20_000, 'call.callback_requested');
      assert.equal(requested.callId, bQueued.callId);
      const cbQueued = await run.events.waitFor((e) => e.type === 'callback.queued', 20_000, 'callback.queued');
      assert.equal(cbQueued.position, 2, `the request keeps B's place: behind A, ahead of C; ${JSON.stringify(run.events.all.map((e) => [e.type, e.at.slice(17, 23), e.callerNumber ?? e.callId]))}`);
      const bResult = await b.wait(20_000);
      assert.equal(bResult.successful, 1, 'B was thanked and hung up on');
      const cb = await run.ctl.ok('GET', `/callbacks/${cbQueued.callbackId}`);
      assert.deepEqual([cb.number, cb.state, cb.position, cb.fromCallId], ['15550102', 'waiting', 2, bQueued.callId]);
      assert.ok(cb.message, 'a message was recorded');
      const audio = await fetch(`${run.ctl.api}${cb.message.url.replace('/api/v1', '')}`, { headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}` } });
      assert.equal(audio.status, 200);
      assert.equal(Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');

      // the agent ends each conversation after 8 s (for the callback: message, dialing, then talk)
      const phone = await agent('a1', { calls: 3, hangupAfterMs: 8000 });
      await eventually(async () => run.events.all.filter((e) => e.type === 'call.ended' || e.type === 'callback.attempted').length >= 3, 45_000, 'three served');
      const answered = run.events.all.filter((e) => e.type === 'call.answered').map((e) => e.kind === 'callback' ? 'callback' : e.callId);
      const queued = run.events.all.filter((e) => e.type === 'call.queued').map((e) => e.callId);
      assert.deepEqual(answered, [queued[0], 'callback', queued[2]], 'A, then B\'s callback, then C');

      // the agent's phone rang first, showing a callback for the queue and the number to call
      const invites = phone.invites();
      assert.match(invites[1].from, /^"Callback Sales" <sip:15550102@/);
      // the agent heard the message (ARI playback events), then the customer's phone rang and both were bridged
      const played = observer.events.filter((e) => e.playback?.media_uri === `recording:callbacks/${cbQueued.callbackId}`);
      assert.deepEqual(played.map((e) => e.type), ['PlaybackStarted', 'PlaybackFinished']);
      assert.match(played[0].playback.target_uri, /^channel:cboffer-/);
      const customerInvite = customer.invites()[0];
      assert.match(customerInvite.requestUri, /^sip:15550102@/);
      assert.ok(customerInvite.at > Date.parse(played[1].timestamp), 'the customer is dialed after the message');
      const bridged = observer.events.find((e) => e.type === 'ChannelEnteredBridge' && e.channel.id.startsWith('cbcust-'));
      assert.ok(bridged, 'the customer joined a bridge');
      const bridgeMembers = observer.events.filter((e) => e.type === 'ChannelEnteredBridge' && e.bridge.id === bridged.bridge.id).map((e) => e.channel.id.split('-')[0]);
      assert.deepEqual(bridgeMembers.sort(), ['cbcust', 'cboffer'], 'agent and customer in one bridge');
      const attempted = run.events.all.find((e) => e.type === 'callback.attempted');
      assert.deepEqual([attempted?.outcome, attempted?.agentId], ['answered', 'a1']);

      // the agent marks it completed
      const done = await run.ctl.ok('POST', `/callbacks/${cbQueued.callbackId}/complete`, undefined, agentToken('a1'));
      assert.equal(done.state, 'completed');
      assert.equal(done.attempts.length, 1);
      assert.equal((await customer.wait(10_000)).successful, 1);
    } finally {
      observer.close();
    }
  });

  it('given the customer does not answer, the agent reschedules a few seconds ahead and the request is offered again at that time', async () => {
    await customers({ calls: 1, noAnswer: true });
    const phone = await agent('a1', { calls: 2 });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '1 (555) 010-0104'.replace(/ /g, '') }, SUPERVISOR_TOKEN);
    const attempted = await run.events.waitFor((e) => e.type === 'callback.attempted', 25_000, 'callback.attempted');
    assert.deepEqual([attempted.callbackId, attempted.outcome], [cb.id, 'no-answer']);
    assert.equal((await run.ctl.agentState('a1')).state, 'ready');
    const due = Date.now() + 3000;
    const r = await run.ctl.ok('POST', `/callbacks/${cb.id}/reschedule`, { at: new Date(due).toISOString() }, agentToken('a1'));
    assert.deepEqual([r.state, r.attempts[0].outcome], ['scheduled', 'no-answer']);
    const requeued = await run.events.waitFor((e) => e.type === 'callback.queued' && e.requeued, 10_000, 'requeued');
    assert.equal(requeued.callbackId, cb.id);
    assert.ok(Date.parse(requeued.at) >= due - 50, `requeued at its time, not before (${requeued.at} vs ${new Date(due).toISOString()})`);
    await eventually(async () => offeredTo(cb.id).length === 2, 5000, 'offered again');
    assert.deepEqual(offeredTo(cb.id), ['a1', 'a1']);
    const again = run.events.all.filter((e) => e.type === 'call.offered' && e.callId === cb.id)[1];
    assert.ok(run.events.all.indexOf(again) > run.events.all.indexOf(requeued), 'offered again only once requeued');
    await eventually(async () => phone.invites().length === 2, 5000, 'the agent phone rang again');
  });

  it('given the preferred agent is busy for less than the preference time, the callback waits for them', async () => {
    await customers({ calls: 1, answerAfterMs: 200, hangupAfterMs: 500 });
    await agent('a1', { calls: 2 });
    caller('15550105', 2500);                    // a1 takes this call; it ends after ~2.5 s
    await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1');
    await agent('a2', { calls: 1 });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550106', preferredAgentId: 'a1' }, SUPERVISOR_TOKEN);
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === cb.id, 10_000, 'callback offered');
    assert.deepEqual(offeredTo(cb.id), ['a1'], 'a2 was ready all along, yet the callback waited for a1');
  });

  it('given the preferred agent is busy past the preference time, another agent gets the callback', async () => {
    await customers({ calls: 1, answerAfterMs: 200, hangupAfterMs: 500 });
    await agent('a1', { calls: 1 });
    caller('15550107', 20_000);                  // keeps a1 busy well past the 4 s preference
    await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1');
    await agent('a2', { calls: 1 });
    const t0 = Date.now();
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550108', preferredAgentId: 'a1' }, SUPERVISOR_TOKEN);
    assert.equal(cb.preferredAgentId, 'a1');
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === cb.id, 10_000, 'callback offered');
    const after = Date.now() - t0;
    assert.equal(offered.agentId, 'a2');
    assert.ok(after >= 3500, `not before the preference ended (${after} ms)`);
    assert.ok(run.events.all.some((e) => e.type === 'callback.preference_ended' && e.callbackId === cb.id));
  });

  it('given an agent without callbacks enabled, it is never offered a callback request, though it takes callers', async () => {
    const phone = await agent('a1', { calls: 1 }, { callbacks: false });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550109' }, SUPERVISOR_TOKEN);
    await sleep(3000);
    assert.deepEqual(offeredTo(cb.id), []);
    caller('15550110', 2000);
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId !== cb.id, 10_000, 'caller offered');
    assert.equal(offered.agentId, 'a1');
    await phone.wait(10_000);
    assert.deepEqual(offeredTo(cb.id), []);
    assert.equal((await run.ctl.ok('GET', `/callbacks/${cb.id}`)).state, 'waiting');
  });

  it('given a rescheduled callback pending, a controller restart does not lose it: it is offered at its time', async () => {
    await customers({ calls: 1, answerAfterMs: 200, hangupAfterMs: 500 });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550111' }, SUPERVISOR_TOKEN);
    // due well after the restart is done, even on a loaded machine, so the offer is seen live
    const due = Date.now() + 9000;
    await run.ctl.ok('POST', `/callbacks/${cb.id}/reschedule`, { at: new Date(due).toISOString() }, SUPERVISOR_TOKEN);
    await agent('a1', { calls: 1 });
    await run.restart(1500);
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === cb.id, 15_000, 'offered after restart');
    const at = Date.parse(offered.at);
    assert.ok(at >= due - 50, `offered at its time, not before: ${at - due} ms after the due time`);
    assert.equal(offered.agentId, 'a1');
  });

  it('given a queue that asks for the number, the caller keys another number and confirms it, and the callback calls that number', async () => {
    // 1 asks for a callback; the number prompt plays; the caller keys 15550777# and confirms with 1
    // after hearing it read back; then leaves the message as usual
    const b = track(startCaller({
      extension: ASK.extension, callerNumber: '15550120', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000,
      dtmf: [{ afterMs: 1000, digits: '1' }, { afterMs: 4500, digits: '15550777#' }, { afterMs: 13_000, digits: '1' }],
      speak: [{ afterMs: 22_000, ms: 1500 }],
    }));
    const queued = await run.events.waitFor((e) => e.type === 'callback.queued', 45_000, 'callback.queued');
    assert.equal(queued.number, '15550777', 'the keyed number, not the caller ID');
    const cb = await run.ctl.ok('GET', `/callbacks/${queued.callbackId}`);
    assert.deepEqual([cb.number, cb.queueId], ['15550777', 'ask']);
    assert.equal((await b.wait(20_000)).successful, 1);
  });

  it('given a queue that asks for the number, when the caller keys a premium-rate number, then they are told it cannot be called and asked again, and the next number is accepted', async () => {
    const observer = await AriObserver.open();
    try {
      // 1 asks for a callback; 19005550100# is refused (sorry, cannot be completed, try again: ~5 s);
      // then 15550778# is read back and confirmed with 1; then the message
      const b = track(startCaller({
        extension: ASK.extension, callerNumber: '15550121', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 70_000,
        dtmf: [{ afterMs: 1000, digits: '1' }, { afterMs: 4500, digits: '19005550100#' }, { afterMs: 15_000, digits: '15550778#' }, { afterMs: 22_000, digits: '1' }],
        speak: [{ afterMs: 33_000, ms: 1500 }],
      }));
      const queued = await run.events.waitFor((e) => e.type === 'callback.queued', 60_000, 'callback.queued');
      assert.equal(queued.number, '15550778', 'the second, allowed, number');
      const started = observer.events.filter((e) => e.type === 'PlaybackStarted').map((e) => e.playback.id);
      const told = observer.events.find((e) => e.type === 'PlaybackStarted' && /^ar-/.test(e.playback.id));
      assert.ok(told, `the caller was told the number cannot be called (${started.join(', ')})`);
      assert.deepEqual(told.playback.media_uri, 'sound:im-sorry');
      const askedAgain = observer.events.find((e) => e.type === 'PlaybackStarted' && /^an-.*-1$/.test(e.playback.id));
      assert.ok(askedAgain && Date.parse(askedAgain.timestamp) > Date.parse(told.timestamp), 'then asked again for a number');
      assert.ok(!observer.events.some((e) => e.type === 'PlaybackStarted' && /^ac-.*-0$/.test(e.playback.id)), 'the refused number was not read back for confirmation');
      assert.deepEqual((await run.ctl.ok('GET', '/callbacks')).callbacks.map((c: any) => c.number), ['15550778']);
      assert.equal((await b.wait(20_000)).successful, 1);
    } finally {
      observer.close();
    }
  });

  it('given a callback whose customer does not answer, the agent\'s phone gets the callback call\'s BYE before the next caller\'s INVITE (no two calls on one agent)', async () => {
    await customers({ calls: 1, noAnswer: true });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550131' }, SUPERVISOR_TOKEN);
    caller('15550132', 60_000);
    const waiting = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550132', 10_000, 'a caller waits');
    // the agent answers both and waits for Asterisk's BYE
    const phone = await agent('a1', { calls: 2 });
    const attempted = await run.events.waitFor((e) => e.type === 'callback.attempted' && e.callbackId === cb.id, 30_000, 'callback.attempted');
    assert.equal(attempted.outcome, 'no-answer');
    const byeOf = (callId: string) => parseTrace(phone.messages()).find((m) => m.direction === 'received' && m.text.startsWith('BYE ') && m.text.includes(callId));
    await eventually(async () => phone.invites().length === 2 && byeOf(phone.invites()[0].callId), 15_000, 'the callback call\'s BYE and the next caller\'s INVITE');
    const [first, second] = phone.invites();
    const bye = byeOf(first.callId)!;
    assert.ok(bye.at < second.at, `BYE of the callback call (${new Date(bye.at).toISOString()}) before the next INVITE (${new Date(second.at).toISOString()})`);
    // the next caller is connected to the agent only after that BYE (call.answered carries no caller number: by call id)
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === waiting.callId, 10_000, 'the waiting caller answered');
    assert.equal(answered.agentId, 'a1');
    assert.ok(Date.parse(answered.at) > bye.at, `answered (${answered.at}) after the callback call's BYE (${new Date(bye.at).toISOString()})`);
  });

  it('given a caller whose own number the policy refuses (an international caller ID), pressing 1 tells them it cannot be called back and they keep their place; an agent then takes them', async () => {
    const observer = await AriObserver.open();
    try {
      const b = track(startCaller({ extension: SALES.extension, callerNumber: '+442079460000', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 40_000, dtmf: [{ afterMs: 1000, digits: '1' }] }));
      const queued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '+442079460000', 10_000, 'queued');
      await eventually(async () => observer.events.some((e) => e.type === 'PlaybackFinished' && /^nr-/.test(e.playback.id)), 20_000, 'told the number cannot be called');
      assert.equal(observer.events.find((e) => e.type === 'PlaybackStarted' && /^nr-/.test(e.playback.id))?.playback.media_uri, 'sound:im-sorry');
      assert.ok(!observer.events.some((e) => e.type === 'PlaybackStarted' && /^rp-/.test(e.playback.id)), 'no message was recorded');
      await sleep(500);
      assert.deepEqual((await run.ctl.ok('GET', '/callbacks')).callbacks, [], 'no callback request');
      assert.deepEqual((await run.ctl.ok('GET', '/queues/sales/calls', undefined, SUPERVISOR_TOKEN)).calls.map((c: any) => [c.callId, c.position]), [[queued.callId, 1]]);
      await agent('a1', { calls: 1, hangupAfterMs: 500 });
      const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === queued.callId, 10_000, 'an agent takes the caller');
      assert.equal(answered.agentId, 'a1');
      assert.equal((await b.wait(20_000)).successful, 1);
    } finally {
      observer.close();
    }
  });

  it('given the shipped outboundDial (PJSIP/{number}@pstn), a softphone registered as the local pstn account answers the callback customer call', async () => {
    const sample = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../../config/sample.yaml'), 'utf8'));
    assert.equal(sample.outboundDial, 'PJSIP/{number}@pstn');
    // this test's controller dials as the sample config does
    run.events.close();
    await run.ctl.kill();
    await run.start('cb-pstn', { outboundDial: sample.outboundDial, queues: [SALES], agents: [],
      users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales'] }] });
    // the local environment generated the account's password (scripts/asterisk.sh secret pstn)
    const password = fs.readFileSync(path.join(path.dirname(path.dirname(TEST_ENV.asteriskLog)), 'secrets/pstn'), 'utf8').trim();
    const port = allocatePort();
    await registerPhone({ user: 'pstn', password, port, asteriskPort: TEST_ENV.sipPort });
    const publicNetwork = track(startAgentPhone({ port, calls: 1, answerAfterMs: 300, expectFromUser: SALES.extension }));
    await agent('a1', { calls: 1, hangupAfterMs: 4000 });
    const cb = await run.ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '5550140' }, SUPERVISOR_TOKEN);
    const attempted = await run.events.waitFor((e) => e.type === 'callback.attempted' && e.callbackId === cb.id, 30_000, 'callback.attempted');
    assert.equal(attempted.outcome, 'answered');
    assert.match(publicNetwork.invites()[0].requestUri, /^sip:5550140@/, 'the customer\'s number as the dialed user');
    assert.equal((await publicNetwork.wait(10_000)).successful, 1);
  });

  it('refuses an invalid number, an unknown queue, a queue without callbacks and a time in the past with 422, creating nothing', async () => {
    const seen = run.events.changes.length;
    const bad = [
      { queueId: 'sales', number: '555-CALL-ME' },
      { queueId: 'sales', number: '12' },
      { queueId: 'sales', number: '+1 555 0100' },
      { queueId: 'nowhere', number: '15550112' },
      { queueId: 'plain', number: '15550112' },
      { queueId: 'sales', number: '15550112', at: new Date(Date.now() - 60_000).toISOString() },
      { queueId: 'sales', number: '15550112', preferredAgentId: 'nobody' },
      { queueId: 'sales', number: '15550112', extra: true },
    ];
    for (const body of bad) {
      const r = await run.ctl.request('POST', '/callbacks', body, SUPERVISOR_TOKEN);
      assert.equal(r.status, 422, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_REQUEST');
    }
    await sleep(200);
    assert.deepEqual((await run.ctl.ok('GET', '/callbacks')).callbacks, []);
    assert.equal(run.events.changes.length, seen, 'no event');
    const forbidden = await run.ctl.request('POST', '/callbacks', { queueId: 'sales', number: '15550112' }, agentToken('a1'));
    assert.equal(forbidden.status, 403);
    assert.deepEqual((await run.ctl.ok('GET', '/callbacks')).callbacks, [], 'nor by the refused agent');
    assert.deepEqual(await ari('/channels'), [], 'nothing was dialed');
  });
});
