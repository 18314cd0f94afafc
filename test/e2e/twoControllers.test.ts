import assert from 'node:assert/strict';
import { Client } from 'pg';
import { TEST_ENV, uniqueSchema } from '../support/env';
import { bridgeOfCall } from './harness/asterisk';
import { AcdEventMsg, Controller, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { SecondAsterisk } from './harness/secondAsterisk';
import { AgentPhoneOptions, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SALES = { id: 'sales', name: 'Sales', extension: '8101', ringTimeoutSec: 30 };
const at = (e: AcdEventMsg) => Date.parse(e.at);
const note = (line: string) => process.stderr.write(`      [two controllers] ${line}\n`);

/**
 * Every offer in the stream, checked as it comes: an agent is busy from its offer until that offer
 * fails, the caller leaves while it rings, or the call ends. An offer to a busy agent is a defect.
 */
function twoCallsProblems(events: AcdEventMsg[]): string[] {
  const busy = new Map<string, string>();
  const problems: string[] = [];
  for (const e of events) {
    if (e.type === 'call.offered') {
      if (busy.has(e.agentId)) problems.push(`${e.agentId} offered ${e.callId} while busy with ${busy.get(e.agentId)}`);
      busy.set(e.agentId, e.callId);
    } else if (e.type === 'call.offer_failed') {
      for (const a of (e.agents as string[] | undefined) ?? [e.agentId]) if (busy.get(a) === e.callId) busy.delete(a);
    } else if ((e.type === 'call.abandoned' || e.type === 'call.ended') && e.agentId && busy.get(e.agentId) === e.callId) {
      busy.delete(e.agentId);
    }
  }
  return problems;
}

describe('one line across two controllers, each with its own Asterisk (SIPp callers on both, agent phones both Asterisks ring)', function () {
  this.timeout(180_000);
  const run = new TestRun();
  let second: SecondAsterisk;
  let other: Controller | undefined;
  let db: Client | undefined;
  let schema = '';

  before(function () {
    this.timeout(150_000);
    second = SecondAsterisk.start();
  });
  after(function () {
    this.timeout(60_000);
    second?.stop();
  });

  /** Agents' phones (SIPp UAS at a static contact, in the config so both controllers provision them), then both controllers. */
  const start = async (title: string, phones: Record<string, Omit<AgentPhoneOptions, 'port'>>) => {
    const agents = Object.entries(phones).map(([id, o]) => {
      const port = allocatePort();
      run.track(startAgentPhone({ ...o, port }));
      return { id, name: `Agent ${id}`, queues: ['sales'], phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } };
    });
    schema = uniqueSchema('two-controllers');
    const env = { ACD_NODE_ID: 'node-a', DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: schema };
    await run.start(title, { queues: [SALES], agents, users: [] }, { env });
    other = await Controller.alongside(run.ctl, allocatePort(), { ...second.controllerEnv(), ACD_NODE_ID: 'node-b' });
  };
  /** SIPp callers into one Asterisk: `calls` of them, one every rateMs, numbered prefix1, prefix2... */
  const callers = (side: 'a' | 'b', prefix: string, calls: number, rateMs = 600) => run.track(startCaller({
    extension: SALES.extension, callerNumber: `${prefix}[call_number]`, asteriskPort: side === 'a' ? TEST_ENV.sipPort : second.sipPort,
    calls, rateMs, hangupAfterMs: 120_000,
  }));
  const queued = (n: number) => eventually(async () => {
    const q = run.events.all.filter((e) => e.type === 'call.queued');
    return q.length >= n && q;
  }, 20_000, `${n} callers queued`);
  const ofType = (type: string) => run.events.all.filter((e) => e.type === type);

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') other?.dumpLogs(`${this.currentTest.title}-node-b`);
    await other?.kill();
    other = undefined;
    await db?.end().catch(() => undefined);
    db = undefined;
    await second.hangupAllChannels();
    await run.end(this);
  });

  it('given callers alternating between the two controllers, when agents become ready one at a time, then each goes to the longest-waiting caller whichever controller holds it, the holder rings it, and no agent ever has two calls', async () => {
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    await start('two controllers order', Object.fromEntries(ids.map((id) => [id, { calls: 2 }])));
    // A: +15551001 at 0, 600, 1200 ms; B: +15552001 some 50 ms after each of them (SIPp's start adds a little)
    callers('a', '+1555100', 3);
    await sleep(35);
    callers('b', '+1555200', 3);
    const inLine = (await queued(6)).slice(0, 6).sort((x, y) => at(x) - at(y));
    const sideOf = (e: AcdEventMsg) => (String(e.callerNumber).startsWith('+1555200') ? 'b' : 'a');
    assert.deepEqual(inLine.map(sideOf).sort(), ['a', 'a', 'a', 'b', 'b', 'b'], 'three callers on each controller');
    const gaps = inLine.slice(1).map((e, i) => ({ ms: at(e) - at(inLine[i]), cross: sideOf(e) !== sideOf(inLine[i]) }));
    note(`enqueue gaps (ms) in line order: ${gaps.map((g) => `${g.ms}${g.cross ? '*' : ''}`).join(' ')} (* = the next caller is on the other controller)`);

    for (const id of ids) {
      await run.ctl.ok('POST', `/agents/${id}/login`);
      await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === id, 20_000, `${id} answering a call`);
    }
    const offers = ofType('call.offered');
    assert.deepEqual(offers.map((o) => o.callId), inLine.map((q) => q.callId),
      `service order = enqueue order across both controllers (line: ${inLine.map((q) => q.callerNumber).join(', ')}; served: ${offers.map((o) => inLine.find((q) => q.callId === o.callId)?.callerNumber).join(', ')})`);
    assert.deepEqual(offers.map((o) => o.agentId), ids, 'each agent got the caller first in line when it became ready');

    // the holder rang the agent: each call is bridged on the Asterisk its caller called
    for (const q of inLine) {
      const bridge = sideOf(q) === 'a'
        ? await bridgeOfCall(q.callId)
        : (await second.ari<{ id: string; channels: string[] }[]>('/bridges')).find((b) => b.id === `call-${q.callId}`);
      assert.equal(bridge?.channels.length, 2, `${q.callerNumber}'s call is bridged on its own controller's Asterisk (${sideOf(q)})`);
    }
    assert.deepEqual(twoCallsProblems(run.events.all), []);

    const readyAt = (agentId: string, before: number) => Math.max(...ofType('agent.state')
      .filter((e) => e.agentId === agentId && e.state === 'ready' && at(e) <= before).map(at));
    const handover = offers.map((o) => ({ side: sideOf(inLine.find((q) => q.callId === o.callId)!), ms: at(o) - readyAt(o.agentId, at(o)) }));
    note(`agent ready → offered (ms), by the controller holding the caller: ${handover.map((h) => `${h.side}:${h.ms}`).join(' ')}`);
    const cross = gaps.filter((g) => g.cross).map((g) => g.ms);
    note(`smallest enqueue gap between callers on different controllers that were served in order: ${Math.min(...cross)} ms`);
  });

  it('given agents on calls and ringing through one controller, when that controller and its Asterisk are killed, then within seconds its agents and the others serve the other controller\'s callers, and its own callers are recorded lost exactly once (also after it restarts with the same node id)', async () => {
    await start('two controllers failover', { a1: { calls: 3 }, a2: { calls: 3 }, a3: { calls: 3, answerAfterMs: 60_000 }, a4: { calls: 3 } });
    db = new Client({ connectionString: TEST_ENV.databaseUrl });
    await db.connect();
    // a1 talks to a caller on B, a2 to one on A
    callers('b', '+1555300', 1);
    const onB = (await run.events.waitFor((e) => e.type === 'call.queued', 15_000, 'caller on B queued')).callId;
    callers('a', '+1555400', 1);
    await queued(2);
    await run.ctl.ok('POST', '/agents/a1/login');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === onB && e.agentId === 'a1', 20_000, 'a1 on B\'s caller');
    await run.ctl.ok('POST', '/agents/a2/login');
    const onA = (await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a2', 20_000, 'a2 on A\'s caller')).callId;
    // then B's caller, first in line, rings a3 (a slow phone) through B; another of B's callers and
    // three of A's wait behind
    callers('b', '+1555500', 2, 300);
    await queued(4);
    const [ringingOnB, waitingOnB] = ofType('call.queued').filter((e) => String(e.callerNumber).startsWith('+1555500')).map((e) => e.callId);
    await sleep(100);
    callers('a', '+1555600', 3, 300);
    await queued(7);
    const waitingOnA = ofType('call.queued').filter((e) => String(e.callerNumber).startsWith('+1555600')).map((e) => e.callId);
    await run.ctl.ok('POST', '/agents/a3/login');
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === ringingOnB && e.agentId === 'a3', 15_000, 'a3 ringing for B\'s caller');

    const killedAt = Date.now();
    await other!.kill();
    second.kill();
    // an agent who was not engaged through B becomes ready before B is known dead: B's waiting
    // caller is first in line, but nobody waits for a dead controller's callers for long
    await sleep(500);
    await run.ctl.ok('POST', '/agents/a4/login');

    const lost = await run.events.waitFor((e) => e.type === 'node.taken_over' && e.node === 'node-b', 30_000, 'node-b taken over');
    assert.equal(lost.takenOverBy, 'node-a');
    assert.deepEqual([lost.callersLost, lost.callsEnded], [2, 1], 'two callers lost (one ringing a3, one waiting), one talking call ended (a1\'s)');
    // a1 (talking through B), a3 (ringing through B) and a4 now serve A's callers; a2 stays on its call
    const served = await Promise.all(waitingOnA.map((id) => run.events.waitFor((e) => e.type === 'call.offered' && e.callId === id, 20_000, `A's caller ${id} offered`)));
    assert.deepEqual(served.map((o) => o.agentId).sort(), ['a1', 'a3', 'a4'], 'the agents freed from B, and the one ready meanwhile, serve A\'s callers');
    const a1Answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1' && waitingOnA.includes(e.callId), 20_000, 'a1 answering A\'s caller');
    note(`kill → node-b taken over: ${at(lost) - killedAt} ms; kill → A's callers offered: ${served.map((o) => `${o.agentId} ${at(o) - killedAt}`).join(', ')} ms; a1 answered after ${at(a1Answered) - killedAt} ms`);

    const abandoned = () => ofType('call.abandoned').filter((e) => e.callId === ringingOnB || e.callId === waitingOnB);
    assert.deepEqual(abandoned().map((e) => [e.callId, e.lost, e.reason, e.agentId]).sort(),
      [[ringingOnB, true, 'controller_lost', 'a3'], [waitingOnB, true, 'controller_lost', null]].sort(), 'B\'s callers left the line once each, lost');
    const ended = () => ofType('call.ended').filter((e) => e.callId === onB);
    assert.deepEqual(ended().map((e) => [e.endedBy, e.lost, e.agentId]), [['system', true, 'a1']], 'a1\'s call through B ended once, by the system');
    assert.equal(ofType('call.ended').filter((e) => e.callId === onA).length, 0, 'the call through A goes on');
    assert.equal((await run.ctl.agentState('a2')).state, 'on_call');

    // history: one row each, the lost caller as abandoned (while ringing) by the system
    const rows = async () => (await db!.query(`SELECT call_id, outcome, ended_by FROM ${schema}.queue_calls WHERE call_id = ANY($1) ORDER BY call_id`, [[ringingOnB, waitingOnB, onB]])).rows;
    await eventually(async () => (await rows()).length === 3 && (await rows()).every((r) => r.outcome), 15_000, 'history rows of B\'s calls');
    assert.deepEqual((await rows()).map((r) => [r.call_id, r.outcome, r.ended_by]).sort(),
      [[onB, 'answered', 'system'], [ringingOnB, 'abandoned_ringing', 'system'], [waitingOnB, 'abandoned_waiting', 'system']].sort());

    // node-b comes back with the same node id (and its Asterisk, empty): nothing is counted again
    second.stop();
    second.restart();
    await other!.launch();
    await run.events.waitFor((e) => e.type === 'node.up' && e.node === 'node-b', 15_000, 'node-b up again');
    await sleep(2000);
    assert.equal(abandoned().length, 2, 'still one abandon for each of B\'s lost callers');
    assert.equal(ended().length, 1, 'still one end of a1\'s call through B');
    await sleep(1000);
    assert.deepEqual((await rows()).map((r) => [r.call_id, r.outcome]).sort(),
      [[onB, 'answered'], [ringingOnB, 'abandoned_ringing'], [waitingOnB, 'abandoned_waiting']].sort(), 'still one history row each');
    assert.deepEqual(twoCallsProblems(run.events.all), []);
  });

  it('given a controller killed while its Asterisk keeps running, when it comes back after the takeover counted its waiting caller lost, then that caller is hung up on its Asterisk instead of waiting for nobody, and counted once', async () => {
    await start('two controllers crash only', { a1: { calls: 1 } });
    const caller = callers('b', '+1555800', 1);
    const queuedOnB = (await run.events.waitFor((e) => e.type === 'call.queued', 15_000, 'caller on B queued')).callId;
    await other!.kill();
    const lost = await run.events.waitFor((e) => e.type === 'node.taken_over' && e.node === 'node-b', 30_000, 'node-b taken over');
    assert.equal(lost.callersLost, 1);
    assert.ok((await second.ari<{ id: string }[]>('/channels')).some((c) => c.id === queuedOnB), 'the caller is still on B\'s Asterisk');
    await other!.launch();
    await eventually(async () => !(await second.ari<{ id: string }[]>('/channels')).some((c) => c.id === queuedOnB), 15_000, 'the lost caller hung up on B');
    const heard = await caller.wait(15_000);
    assert.equal(heard.successful + heard.failed, 1, 'the caller\'s call is over');
    assert.equal(ofType('call.abandoned').filter((e) => e.callId === queuedOnB).length, 1);
  });

  it('given a controller stopped for a planned restart (SIGTERM), when it is back after longer than the lapse, then its waiting caller was not taken over and is served through it', async () => {
    await start('two controllers planned restart', { a1: { calls: 1 } });
    callers('b', '+1555900', 1);
    const queuedOnB = (await run.events.waitFor((e) => e.type === 'call.queued', 15_000, 'caller on B queued')).callId;
    await other!.kill('SIGTERM');
    await sleep(5000);
    assert.deepEqual(ofType('node.lost'), [], 'nobody took node-b over');
    await other!.launch();
    await run.ctl.ok('POST', '/agents/a1/login');
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1', 20_000, 'a1 answering');
    assert.equal(answered.callId, queuedOnB);
    await eventually(async () => (await second.ari<{ id: string; channels: string[] }[]>('/bridges')).find((b) => b.id === `call-${queuedOnB}`)?.channels.length === 2,
      5000, 'caller and a1 bridged on B');
    assert.deepEqual(ofType('call.abandoned'), []);
  });
});
