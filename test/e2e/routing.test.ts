import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';
import { trustedEndpoint } from './harness/asterisk';

/** The SBC standing in front of the ACD: the one sender whose routing headers are honoured. */
const SBC = 'e2e-sbc';

/**
 * Ring-all, skills (with relaxation and skills-based ranking), agent tiers, caller priority and
 * fairness across queues, each through real SIP calls: the offers (call.offered) and what the
 * agents' phones receive (INVITE, CANCEL) are what is checked.
 */
describe('routing engine: ring-all, skills, tiers, priority, fairness (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  let n = 0;

  const QUEUES = [{ id: 'q1', name: 'Q1', extension: '8971' }, { id: 'q2', name: 'Q2', extension: '8972' }];
  async function start(title: string, q1: object, q2: object = {}) {
    await run.start(title, {
      queues: [{ ...QUEUES[0], ...q1 }, { ...QUEUES[1], ...q2 }], agents: [],
      users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['q1', 'q2'] }],
    });
    await trustedEndpoint(SBC);
  }
  /** An agent with a static phone that answers after `answerAfterMs` and hangs up after `talkMs`. */
  async function agent(id: string, o: { queues?: string[]; skills?: object; penalties?: object; answerAfterMs?: number; talkMs?: number; calls?: number; login?: boolean; pause?: boolean } = {}) {
    const port = allocatePort();
    const phone = run.track(startAgentPhone({ port, calls: o.calls ?? 5, hangupAfterMs: o.talkMs ?? 400, answerAfterMs: o.answerAfterMs }));
    await run.ctl.ok('POST', '/agents', {
      id, name: id, queues: o.queues ?? ['q1'], skills: o.skills ?? {}, penalties: o.penalties ?? {},
      phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` },
    });
    if (o.login ?? true) await run.ctl.ok('POST', `/agents/${id}/login`);
    if (o.pause) await run.ctl.ok('POST', `/agents/${id}/pause`, { reason: 'break' });
    await sleep(5);   // distinct idle-since times, in the order the agents were created
    return phone;
  }
  /**
   * A caller into a queue's extension; resolves with its call.queued event. Routing headers come
   * through the trusted SBC (as in production); `anonymous` sends them straight from the caller.
   */
  async function caller(extension: string, headers: string[] = [], o: { anonymous?: boolean } = {}) {
    const number = `1555098${String(n++).padStart(2, '0')}`;
    const viaEndpoint = headers.length && !o.anonymous ? SBC : undefined;
    run.track(startCaller({ extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, headers, viaEndpoint }));
    return run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === number, 10_000, `caller ${number} queued`);
  }
  const offersOf = (callId: string) => run.events.all.filter((e) => e.type === 'call.offered' && e.callId === callId);
  const firstOffer = (callId: string, ms = 10_000) => run.events.waitFor((e) => e.type === 'call.offered' && e.callId === callId, ms, `offer of ${callId}`);

  afterEach(function () { return run.end(this); });

  it('ring-all rings every ready agent at once; the first to answer gets the caller, the others get CANCEL and stay ready', async () => {
    await start('ring-all', { strategy: 'ring-all' });
    const fast = await agent('a1', { answerAfterMs: 1500, talkMs: 3000, calls: 1 });
    const slow = [await agent('a2', { answerAfterMs: 20_000, calls: 1 }), await agent('a3', { answerAfterMs: 20_000, calls: 1 })];
    await agent('a4', { pause: true, calls: 1 });
    const q = await caller('8971');
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === q.callId, 15_000, 'answered');
    assert.equal(answered.agentId, 'a1');
    assert.deepEqual(offersOf(q.callId).map((e) => e.agentId).sort(), ['a1', 'a2', 'a3'], 'all ready agents rang, not the paused one');
    assert.equal(fast.invites().length, 1);
    for (const phone of slow) {
      assert.equal(phone.invites().length, 1, 'each phone got the INVITE');
      await eventually(async () => /^CANCEL sip:/m.test(phone.messages()), 5000, 'CANCEL to the phones that did not answer');
    }
    for (const a of ['a2', 'a3']) {
      const st = await run.ctl.ok('GET', `/agents/${a}`);
      assert.equal(st.state.state, 'ready', `${a} ready again, not paused`);
    }
  });

  it('skills: a caller needing french>=3 goes to the qualified agent though an unqualified one has been idle longer', async () => {
    await start('skills', {});
    await agent('en', { skills: { english: 5 } });
    await agent('fr', { skills: { french: 4, english: 2 } });
    const q = await caller('8971', ['X-ACD-Skills: french:3']);
    assert.equal((await firstOffer(q.callId)).agentId, 'fr');
    // without a requirement, the longest idle gets the next one
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === q.callId, 15_000, 'first call done');
    const q2 = await caller('8971');
    assert.equal((await firstOffer(q2.callId)).agentId, 'en');
  });

  it('skills: the requirement widens after the relaxation step: french>=3 becomes french>=1 after 4 s', async () => {
    await start('relax', { skillRelaxation: [{ afterSec: 4, lowerBy: 2 }] });
    await agent('en', { skills: { english: 5 } });
    await agent('fr1', { skills: { french: 1 } });
    await agent('fr4', { skills: { french: 4 }, pause: true });
    const q = await caller('8971', ['X-ACD-Skills: french:3']);
    const o = await firstOffer(q.callId, 15_000);
    assert.equal(o.agentId, 'fr1', 'the widened requirement lets french 1 take it, still not the agent without french');
    const waited = Date.parse(o.at) - Date.parse(q.at);
    assert.ok(waited >= 3900, `offered only after the step (${waited} ms)`);
  });

  it('skills-based ranks the qualified agents by proficiency: the expert before the longer-idle one', async () => {
    await start('skills-based', { strategy: 'skills-based', requiredSkills: { billing: 2 } });
    await agent('b2', { skills: { billing: 2 } });
    await agent('b5', { skills: { billing: 5 } });
    await agent('none', { skills: {} });
    const q = await caller('8971');
    assert.equal((await firstOffer(q.callId)).agentId, 'b5');
  });

  it('tiers: a second-tier agent gets a caller only after the tier wait, and first-tier agents go first', async () => {
    await start('tiers', { tierWaitSec: [4] });
    await agent('t1', { penalties: { q1: 1 } });
    await agent('t0', { pause: true });
    const q = await caller('8971');
    const o = await firstOffer(q.callId, 15_000);
    assert.equal(o.agentId, 't1');
    assert.ok(Date.parse(o.at) - Date.parse(q.at) >= 3900, 'not before the tier wait');
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === q.callId, 15_000, 'first call done');
    await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 't1' && e.state === 'ready' && Date.parse(e.at) >= Date.parse(o.at), 5000, 't1 ready');
    await run.ctl.ok('POST', '/agents/t0/ready');
    const q2 = await caller('8971');
    assert.equal((await firstOffer(q2.callId)).agentId, 't0', 'first tier first, though t1 has been idle longer');
  });

  it('priority from a SIP header and from the API moves callers ahead; offers follow the new order', async () => {
    await start('priority', { priorityStepSec: 60 });
    await agent('a1', { pause: true, talkMs: 300 });
    const a = await caller('8971');
    const b = await caller('8971', ['X-ACD-Priority: 2']);
    assert.equal(b.position, 1, 'the priority caller is ahead of the earlier one');
    const c = await caller('8971');
    assert.equal(c.position, 3);
    for (const bad of [{ priority: 100 }, { skills: { french: 6 } }, {}, { priority: 1, extra: true }]) {
      const r = await run.ctl.request('POST', `/calls/${c.callId}/routing`, bad, SUPERVISOR_TOKEN);
      assert.equal(r.status, 422, JSON.stringify(bad));
    }
    const moved = await run.ctl.ok('POST', `/calls/${c.callId}/routing`, { priority: 5 }, SUPERVISOR_TOKEN);
    assert.equal(moved.position, 1);
    const list = await run.ctl.ok('GET', '/queues/q1/calls', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(list.calls.map((x: { callId: string }) => x.callId), [c.callId, b.callId, a.callId]);
    await run.ctl.ok('POST', '/agents/a1/ready');
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await run.events.waitFor((e) => e.type === 'call.offered' && !order.includes(e.callId), 15_000, `offer ${i + 1}`);
      order.push(o.callId);
    }
    assert.deepEqual(order, [c.callId, b.callId, a.callId]);
  });

  it('given an anonymous caller sending X-ACD-Priority: 99 and X-ACD-Skills, when it queues, then both are ignored; the same headers from the trusted SBC are honoured', async () => {
    await start('trust', { priorityStepSec: 60 });
    await agent('en', { skills: { english: 5 }, pause: true });
    const first = await caller('8971');
    const anon = await caller('8971', ['X-ACD-Priority: 99', 'X-ACD-Skills: french:5'], { anonymous: true });
    assert.deepEqual([anon.position, anon.priority ?? 0], [2, 0], 'the anonymous caller did not jump the queue');
    const trusted = await caller('8971', ['X-ACD-Priority: 3']);
    assert.equal(trusted.position, 1, 'the SBC\'s priority moves its caller ahead');
    assert.equal(trusted.callerNumber, '1555098' + String(n - 1).padStart(2, '0'), 'the caller\'s number from the SBC\'s P-Asserted-Identity');
    const list = await run.ctl.ok('GET', '/queues/q1/calls', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(list.calls.map((x: { callId: string; priority: number }) => [x.callId, x.priority]),
      [[trusted.callId, 3], [first.callId, 0], [anon.callId, 0]]);
    // the ignored skills: the only (english) agent is offered the anonymous caller in turn
    await run.ctl.ok('POST', '/agents/en/ready');
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await run.events.waitFor((e) => e.type === 'call.offered' && !order.includes(e.callId), 15_000, `offer ${i + 1}`)).callId);
    assert.deepEqual(order, [trusted.callId, first.callId, anon.callId]);
  });

  it('fairness: an agent in two queues gets the caller who waited longest among them; a queue weight shifts that', async () => {
    await start('fairness', {}, {});
    await agent('a1', { queues: ['q1', 'q2'], pause: true, talkMs: 300 });
    const x = await caller('8972');           // q2 first
    await sleep(1500);
    const y = await caller('8971');           // q1 later
    await run.ctl.ok('POST', '/agents/a1/ready');
    assert.equal((await run.events.waitFor((e) => e.type === 'call.offered', 10_000, 'first offer')).callId, x.callId);
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === y.callId, 15_000, 'then q1\'s caller');
  });

  it('fairness with weight: q1 weighted 30 s gets the shared agent before q2\'s earlier caller', async () => {
    await start('weight', { weight: 30 }, {});
    await agent('a1', { queues: ['q1', 'q2'], pause: true, talkMs: 300 });
    const x = await caller('8972');
    await sleep(1500);
    const y = await caller('8971');
    await run.ctl.ok('POST', '/agents/a1/ready');
    assert.equal((await run.events.waitFor((e) => e.type === 'call.offered', 10_000, 'first offer')).callId, y.callId);
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === x.callId, 15_000, 'then q2\'s caller');
  });
});
