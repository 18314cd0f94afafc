import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TEST_ENV } from '../support/env';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { staticEndpoint } from './harness/asterisk';
import { allocatePort } from './harness/ports';
import { parseTrace, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

/** The voicemail box queues overflow to in these tests (asterisk-config/voicemail.conf [default]). */
const MAILBOX = '100';
const inbox = () => path.join(path.dirname(path.dirname(TEST_ENV.asteriskLog)), 'spool/voicemail/default', MAILBOX, 'INBOX');
const messagesFrom = (number: string) => {
  try {
    return fs.readdirSync(inbox()).filter((f) => f.endsWith('.txt'))
      .filter((f) => fs.readFileSync(path.join(inbox(), f), 'utf8').includes(number));
  } catch { return []; }
};

/**
 * Queue policies through real SIP: maximum wait (overflow to a queue keeping the caller's time),
 * maximum callers (overflow to a dialplan extension), join when empty (overflow to voicemail),
 * leave when empty, and callers hearing ringing instead of music.
 */
describe('queue policies: overflow, join/leave when empty, ringing (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  let n = 0;

  async function start(title: string, q1: object, q2: object = {}) {
    await run.start(title, {
      queues: [{ id: 'q1', name: 'Q1', extension: '8961', ...q1 }, { id: 'q2', name: 'Q2', extension: '8962', ...q2 }], agents: [],
      users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['q1', 'q2'] }],
    });
  }
  async function agent(id: string, queues: string[], o: { pause?: boolean; answerAfterMs?: number } = {}) {
    const port = allocatePort();
    const phone = run.track(startAgentPhone({ port, calls: 3, hangupAfterMs: 500, answerAfterMs: o.answerAfterMs }));
    await run.ctl.ok('POST', '/agents', { id, name: id, queues, phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', `/agents/${id}/login`);
    if (o.pause) await run.ctl.ok('POST', `/agents/${id}/pause`, { reason: 'break' });
    return phone;
  }
  function caller(extension: string, hangupAfterMs = 60_000, speak?: { afterMs: number; ms: number }[]) {
    const number = `1555097${String(n++).padStart(2, '0')}${Date.now() % 1000}`;
    const p = run.track(startCaller({ extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs, speak }));
    return { number, p };
  }
  const queued = (number: string, queueId: string) =>
    run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === number && e.queueId === queueId, 10_000, `${number} queued in ${queueId}`);

  afterEach(function () { return run.end(this); });

  it('max wait: the caller overflows to the second queue keeping its time, ahead of a caller who came there later', async () => {
    await start('max-wait', { maxWaitSec: 3, overflow: { kind: 'queue', queueId: 'q2' } });
    await agent('a1', ['q2'], { pause: true });
    const a = caller('8961');
    const aQueued = await queued(a.number, 'q1');
    await sleep(1000);
    const b = caller('8962');
    await queued(b.number, 'q2');
    const over = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callId === aQueued.callId, 10_000, 'overflow');
    assert.equal(over.reason, 'timeout');
    assert.ok(Date.parse(over.at) - Date.parse(aQueued.at) >= 2900, 'not before the maximum wait');
    const there = await queued(a.number, 'q2');
    assert.equal(there.position, 1, 'ahead of the later caller');
    const list = await run.ctl.ok('GET', '/queues/q2/calls', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(list.calls.map((c: { callerNumber: string }) => c.callerNumber), [a.number, b.number]);
    await run.ctl.ok('POST', '/agents/a1/ready');
    const first = await run.events.waitFor((e) => e.type === 'call.offered', 10_000, 'first offer');
    assert.equal(first.callId, aQueued.callId);
    // the metrics count it timed out in q1
    await eventually(async () => (await run.ctl.ok('GET', '/queues/q1/stats')).today.timedOut === 1, 5000, 'q1 counts one timed-out call');
  });

  it('max callers: a caller beyond the limit goes to the overflow extension (a phone behind the acd-overflow context)', async () => {
    const port = allocatePort();
    const desk = run.track(startAgentPhone({ port, calls: 1, hangupAfterMs: 500 }));
    // acd-overflow dials an extension as the PJSIP endpoint of that name
    await staticEndpoint('4242', port);
    await start('max-callers', { maxCallers: 1, overflow: { kind: 'extension', extension: '4242' } });
    const first = caller('8961');
    await queued(first.number, 'q1');
    const second = caller('8961');
    const over = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === second.number, 10_000, 'second caller overflowed');
    assert.deepEqual([over.reason, over.queueId], ['full', 'q1']);
    await eventually(async () => desk.invites().length === 1, 10_000, 'the overflow phone rings');
    assert.ok(desk.invites()[0].from.includes(second.number), 'it is the second caller');
    assert.ok(!run.events.all.some((e) => e.type === 'call.queued' && e.callerNumber === second.number), 'never queued');
    await eventually(async () => (await run.ctl.ok('GET', '/queues/q1/stats')).today.overflowed === 1, 5000, 'q1 counts one overflowed call');
  });

  it('join when empty (no): with no agent logged in the caller is not queued but sent to voicemail, where a message is left', async () => {
    await start('join-empty', { joinWhenEmpty: 'no', overflow: { kind: 'voicemail', mailbox: MAILBOX } });
    // the box's greeting ("the person at extension 100 is unavailable...") lasts about 9 s, then the beep
    const c = caller('8961', 16_000, [{ afterMs: 11_500, ms: 2500 }]);
    const over = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === c.number, 10_000, 'refused');
    assert.equal(over.reason, 'empty');
    await c.p.wait(40_000);
    await eventually(async () => messagesFrom(c.number).length === 1, 10_000, 'a voicemail message from the caller');
    assert.ok(!run.events.all.some((e) => e.type === 'call.queued' && e.callerNumber === c.number));
  });

  it('join when empty (strict): a queue whose only agent is paused refuses; once the agent is ready, callers join', async () => {
    await start('join-strict', { joinWhenEmpty: 'strict' });
    await agent('a1', ['q1'], { pause: true });
    const c = caller('8961');
    const over = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === c.number, 10_000, 'refused');
    assert.equal(over.reason, 'empty');
    // no overflow configured: answered (as every caller is, with music) and hung up by Asterisk at once
    const done = await c.p.wait(10_000);
    assert.deepEqual([done.successful, done.failed], [1, 0], 'the call ended normally');
    assert.ok(parseTrace(done.messages).some((m) => m.direction === 'received' && m.text.startsWith('BYE ')), 'the caller was hung up on (BYE from Asterisk)');
    assert.ok(!run.events.all.some((e) => e.type === 'call.queued' && e.callerNumber === c.number), 'never queued');
    await run.ctl.ok('POST', '/agents/a1/ready');
    const d = caller('8961');
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callerNumber === d.number, 10_000, 'queued and offered');
  });

  it('leave when empty: waiting callers leave when the last agent logs out', async () => {
    await start('leave-empty', { leaveWhenEmpty: 'yes' });
    await agent('a1', ['q1'], { pause: true });
    const c = caller('8961');
    const q = await queued(c.number, 'q1');
    await sleep(1000);
    assert.ok(!run.events.all.some((e) => e.type === 'call.overflowed'), 'a paused agent is still logged in: the caller stays');
    await run.ctl.ok('POST', '/agents/a1/logout');
    const over = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callId === q.callId, 10_000, 'left');
    assert.equal(over.reason, 'empty');
    await c.p.wait(10_000);
  });

  it('ringing instead of music: the caller hears ringback and is answered only when the agent answers', async () => {
    await start('ringing', { waitingTone: 'ringing' });
    await agent('a1', ['q1'], { answerAfterMs: 2500 });
    const c = caller('8961', 1500);
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.queueId === 'q1', 15_000, 'answered');
    await c.p.wait(20_000);
    const trace = parseTrace(c.p.messages()).filter((m) => m.direction === 'received');
    const ringing = trace.find((m) => /^SIP\/2.0 180/.test(m.text));
    const ok = trace.find((m) => /^SIP\/2.0 200/.test(m.text) && /CSeq:\s*1 INVITE/i.test(m.text));
    assert.ok(ringing, 'the caller got 180 Ringing');
    assert.ok(ok, 'the caller was answered');
    assert.ok(ok.at >= Date.parse(answered.at) - 50, 'answered no earlier than the agent answered');
    assert.ok(ok.at - ringing.at >= 2000, `ringing until the agent answered (${Math.round(ok.at - ringing.at)} ms)`);
  });
});
