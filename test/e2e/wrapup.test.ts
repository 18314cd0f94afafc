import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { SUPERVISOR_TOKEN, eventually } from './harness/controller';
import { allocatePort } from './harness/ports';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const AGENT_TOKEN = 'e2e-agent-token-a1-0000004';
const SALES = {
  id: 'sales', name: 'Sales', extension: '8701',
  wrapUp: { sec: 4, extendStepSec: 5, maxSec: 14, dispositions: ['sale', 'no-sale'], tags: ['vip'] },
};
const SUPPORT = { id: 'support', name: 'Support', extension: '8702' };                 // no wrap-up
const STRICT = { id: 'strict', name: 'Strict', extension: '8703', wrapUp: { sec: 30, agentsMayEnd: false, agentsMayExtend: false } };

describe('wrap-up (after-call work) and dispositions (real SIP)', function () {
  this.timeout(60_000);
  const run = new TestRun();
  const track = (p: SippProcess) => run.track(p);
  const caller = (ext: string, number: string, hangupAfterMs = 30_000) =>
    track(startCaller({ extension: ext, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs }));
  /** Agent a1 in all three queues; its phone answers and hangs up after `talkMs`. */
  const agentA1 = async (calls: number, talkMs = 800) => {
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls, hangupAfterMs: talkMs }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales', 'support', 'strict'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    return phone;
  };
  const wrapUpStarted = () => run.events.waitFor((e) => e.type === 'agent.state' && e.state === 'wrap_up', 10_000, 'wrap-up');

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'wrap', {
      queues: [SALES, SUPPORT, STRICT],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support', 'strict'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given a call just ended, the agent is in wrap-up for all queues: a caller in another queue waits until the deadline, then rings the agent at once', async () => {
    await agentA1(2);
    caller(SALES.extension, '15550401');
    const wrap = await wrapUpStarted();
    const deadline = wrap.wrapUpUntil as number;
    assert.equal(deadline - Date.parse(wrap.at), 4000, 'the queue\'s 4 s');
    caller(SUPPORT.extension, '15550402');
    const queued = await run.events.waitFor((e) => e.type === 'call.queued' && e.queueId === 'support');
    assert.ok(Date.parse(queued.at) < deadline, 'the caller came during the wrap-up (else this shows nothing)');
    // the first offer of that caller: not during the wrap-up, and right after it (the next thing the agent does)
    const offered = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === queued.callId, 10_000, 'offered after wrap-up');
    assert.equal(offered.agentId, 'a1');
    assert.ok(Date.parse(offered.at) >= deadline, `not offered during wrap-up (${Date.parse(offered.at) - deadline} ms after the deadline)`);
    const afterWrap = run.events.all.slice(run.events.all.indexOf(wrap) + 1).filter((e) => e.type === 'agent.state' && e.agentId === 'a1');
    assert.equal(afterWrap[0]?.state, 'ready', 'the wrap-up ended in ready');
    assert.ok(Date.parse(afterWrap[0].at) >= deadline, 'at its deadline, not before');
    assert.ok(run.events.all.indexOf(afterWrap[0]) < run.events.all.indexOf(offered), 'then the waiting caller was offered');
  });

  it('the agent extends twice, a third extension past the maximum is refused; the agent ends it early; a supervisor ends it for the agent', async () => {
    await agentA1(2);
    caller(SALES.extension, '15550403');
    const wrap = await wrapUpStarted();
    const first = await run.ctl.ok('POST', '/agents/a1/wrapup/extend', undefined, AGENT_TOKEN);
    const second = await run.ctl.ok('POST', '/agents/a1/wrapup/extend', undefined, AGENT_TOKEN);
    assert.equal(Date.parse(first.wrapUpUntil) - wrap.wrapUpUntil, 5000);
    assert.equal(Date.parse(second.wrapUpUntil) - wrap.wrapUpUntil, 10_000);
    const third = await run.ctl.request('POST', '/agents/a1/wrapup/extend', undefined, AGENT_TOKEN);
    assert.deepEqual([third.status, third.body.error.code], [409, 'WRAPUP_MAX']);
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
    const ended = await run.ctl.ok('POST', '/agents/a1/wrapup/end', undefined, AGENT_TOKEN);
    assert.equal(ended.state, 'ready');
    assert.equal((await run.ctl.request('POST', '/agents/a1/wrapup/end', undefined, AGENT_TOKEN)).status, 409, 'no wrap-up to end');

    caller(SALES.extension, '15550404');
    await eventually(async () => (await run.ctl.agentState('a1')).state === 'wrap_up', 10_000, 'second wrap-up');
    assert.equal((await run.ctl.ok('POST', '/agents/a1/wrapup/end', undefined, SUPERVISOR_TOKEN)).state, 'ready', 'a supervisor ends it');
  });

  it('given a queue that does not let agents end or extend wrap-up, the agent is refused and a supervisor may', async () => {
    await agentA1(1);
    caller(STRICT.extension, '15550405');
    await wrapUpStarted();
    assert.equal((await run.ctl.request('POST', '/agents/a1/wrapup/extend', undefined, AGENT_TOKEN)).status, 403);
    assert.equal((await run.ctl.request('POST', '/agents/a1/wrapup/end', undefined, AGENT_TOKEN)).status, 403);
    assert.equal((await run.ctl.agentState('a1')).state, 'wrap_up');
    assert.equal((await run.ctl.ok('POST', '/agents/a1/wrapup/end', undefined, SUPERVISOR_TOKEN)).state, 'ready');
  });

  it('given the controller restarts during wrap-up, the wrap-up still ends on time', async () => {
    await agentA1(1);
    caller(SALES.extension, '15550406');
    const wrap = await wrapUpStarted();
    await run.restart(1000);
    const ready = await run.events.waitFor((e) => e.type === 'agent.state' && e.state === 'ready', 10_000, 'ready after restart');
    assert.ok(Date.parse(ready.at) >= wrap.wrapUpUntil, `the wrap-up ended at its deadline, not before (${Date.parse(ready.at) - wrap.wrapUpUntil} ms after)`);
  });

  it('a disposition, tags and notes are accepted on a queue with wrap-up and refused on one without', async () => {
    await agentA1(2);
    caller(SALES.extension, '15550407');
    const salesCall = await run.events.waitFor((e) => e.type === 'call.answered' && e.queueId === 'sales');
    await wrapUpStarted();
    const set = await run.ctl.ok('POST', `/calls/${salesCall.callId}/disposition`, { disposition: 'sale', tags: ['vip'], notes: 'wants the blue one' }, AGENT_TOKEN);
    assert.deepEqual([set.disposition, set.tags, set.notes], ['sale', ['vip'], 'wants the blue one']);
    const read = await run.ctl.ok('GET', `/calls/${salesCall.callId}`, undefined, SUPERVISOR_TOKEN);
    assert.equal(read.disposition, 'sale');
    const unknown = await run.ctl.request('POST', `/calls/${salesCall.callId}/disposition`, { disposition: 'maybe' }, AGENT_TOKEN);
    assert.equal(unknown.status, 422);
    await run.ctl.ok('POST', '/agents/a1/wrapup/end', undefined, AGENT_TOKEN);

    caller(SUPPORT.extension, '15550408');
    const supportCall = await run.events.waitFor((e) => e.type === 'call.answered' && e.queueId === 'support', 10_000, 'support call');
    await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === supportCall.callId, 10_000, 'support call ended');
    const refused = await run.ctl.request('POST', `/calls/${supportCall.callId}/disposition`, { disposition: 'sale' }, AGENT_TOKEN);
    assert.equal(refused.status, 422);
    assert.match(refused.body.error.message, /dispositions apply only to queues with wrap-up/);
    assert.equal((await run.ctl.ok('GET', `/calls/${supportCall.callId}`, undefined, AGENT_TOKEN)).disposition, null, 'nothing stored');
    assert.equal((await run.ctl.agentState('a1')).state, 'ready', 'no wrap-up after a queue without it');
  });
});
