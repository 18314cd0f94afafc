import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { TEST_ENV } from '../support/env';
import { AcdEventMsg, SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const AGENT_TOKEN = 'e2e-agent-token-a1-0000009';
const SL_SEC = 3;
const Q = {
  id: 'metrics', name: 'Metrics', extension: '8901', ringTimeoutSec: 10, serviceLevelSec: SL_SEC,
  // two waiting at most (a callback request counts: it keeps a place), 8 s at most; then to 'other'
  maxCallers: 2, maxWaitSec: 8, overflow: { kind: 'queue', queueId: 'other' },
  wrapUp: { sec: 2 },
  callbacks: { enabled: true, key: '1', offerEverySec: 30, maxMessageSec: 10, maxSilenceSec: 2 },
};
const OTHER = { id: 'other', name: 'Other', extension: '8902' };

const at = (e: AcdEventMsg) => Date.parse(e.at);

/** Time an agent spent in `state`, from the agent.state events (a span ends at the next different state). */
function timeIn(events: AcdEventMsg[], agentId: string, state: string): number {
  let total = 0;
  let current: AcdEventMsg | undefined;
  for (const e of events.filter((x) => x.type === 'agent.state' && x.agentId === agentId)) {
    if (current?.state === e.state) continue;
    if (current?.state === state) total += at(e) - at(current);
    current = e;
  }
  return total;
}

/** The wrap-up that followed a call: from the agent's wrap_up after call.ended to its next other state (0 without one). */
function wrapUpAfter(events: AcdEventMsg[], ended: AcdEventMsg): number {
  const next = events.filter((e) => e.type === 'agent.state' && e.agentId === ended.agentId && at(e) >= at(ended) && events.indexOf(e) > events.indexOf(ended));
  if (next[0]?.state !== 'wrap_up') return 0;
  const out = next.find((e) => e.state !== 'wrap_up');
  assert.ok(out, 'the wrap-up ended');
  return at(out) - at(next[0]);
}

describe('real-time metrics: a scripted day through SIP adds up exactly', function () {
  this.timeout(120_000);
  const run = new TestRun();
  const track = (p: SippProcess) => run.track(p);
  const caller = (number: string, hangupAfterMs: number, dtmf?: { afterMs: number; digits: string }[], speak?: { afterMs: number; ms: number }[]) =>
    track(startCaller({ extension: Q.extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs, dtmf, speak }));
  const lastIndex = (pred: (e: AcdEventMsg) => boolean) => run.events.all.map(pred).lastIndexOf(true);
  const agentState = (state: string, after = 0) =>
    run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 'a1' && e.state === state && run.events.all.indexOf(e) >= after, 15_000, `a1 ${state}`);

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'metrics', {
      queues: [Q, OTHER],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['metrics'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
    // the supervisor's view: the event privacy below is what sam sees
    run.events.close();
    run.events = await run.ctl.events(SUPERVISOR_TOKEN);
  });

  afterEach(function () { return run.end(this); });

  it('answered within and over the service level, abandoned within and over it, a callback requested: counts, ASA, AHT with wrap-up, SL, SL2, per agent handled, talk and pause', async () => {
    // a1 talks 1.5 s on each call and hangs up; 2 s of wrap-up follow. It takes no callbacks, so the request waits.
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: 2, hangupAfterMs: 1500 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A1', queues: ['metrics'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');

    // 1. answered at once: within the 3 s
    caller('15550901', 30_000);
    await run.events.waitFor((e) => e.type === 'call.ended', 15_000, 'first call ended');
    await agentState('ready', run.events.all.findIndex((e) => e.type === 'call.ended'));

    // 2. the agent is paused; the caller waits 4.5 s, then the agent is back: answered over the 3 s
    await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' }, AGENT_TOKEN);
    caller('15550902', 30_000);
    await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550902');
    await sleep(4500);
    await run.ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN);
    await eventually(async () => run.events.all.filter((e) => e.type === 'call.ended').length === 2, 15_000, 'second call ended');
    await agentState('ready', lastIndex((e) => e.type === 'call.ended'));
    assert.equal((await phone.wait(10_000)).successful, 2);

    // 3. paused again: one caller gives up after 1 s (within), one after 5 s (over)
    await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'break' }, SUPERVISOR_TOKEN);
    const quick = caller('15550903', 1000);
    const patient = caller('15550904', 5000);
    const patientQueued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550904');
    await sleep(1500);
    // meanwhile: who waits, where, for how long (staff only); the agent sees its queue's figures, not the callers
    const askedAt = Date.now();
    const waiting = await run.ctl.ok('GET', '/stats/waiting', undefined, SUPERVISOR_TOKEN);
    const answeredAt = Date.now();
    assert.deepEqual(waiting.callers.map((c: any) => [c.queueId, c.callerNumber, c.position, c.state]), [['metrics', '15550904', 1, 'waiting']]);
    // the wait shown is the time since the caller joined, as of the request
    const sinceQueued = (t: number) => t - at(patientQueued);
    assert.ok(waiting.callers[0].waitMs >= sinceQueued(askedAt) && waiting.callers[0].waitMs <= sinceQueued(answeredAt),
      `wait ${waiting.callers[0].waitMs} ms, between ${sinceQueued(askedAt)} and ${sinceQueued(answeredAt)} ms since it queued`);
    assert.equal((await run.ctl.request('GET', '/stats/waiting', undefined, AGENT_TOKEN)).status, 403);
    const live = await run.ctl.ok('GET', '/queues/metrics/stats', undefined, AGENT_TOKEN);
    assert.deepEqual([live.waiting.callers, live.agents.paused, live.agents.loggedIn], [1, 1, 1]);
    assert.ok(live.waiting.longestWaitMs >= 1400, `longest wait ${live.waiting.longestWaitMs}`);
    assert.equal((await run.ctl.request('GET', '/queues/other/stats', undefined, SUPERVISOR_TOKEN)).status, 403, 'not a queue sam supervises');
    await Promise.all([quick.wait(10_000), patient.wait(10_000)]);
    await eventually(async () => run.events.all.filter((e) => e.type === 'call.abandoned').length === 2, 5000, 'two abandoned');

    // 4. a caller asks for a callback (key 1, then a message) while the agent is still paused
    const asking = caller('15550905', 40_000, [{ afterMs: 1000, digits: '1' }], [{ afterMs: 8000, ms: 2000 }]);
    await run.events.waitFor((e) => e.type === 'callback.queued', 30_000, 'callback.queued');
    assert.equal((await asking.wait(20_000)).successful, 1);

    // 5. still paused: with the request and one caller waiting the queue is full, so the next caller
    // overflows to 'other' at once; the one waiting reaches the 8 s maximum and goes there too
    caller('15550906', 60_000);
    await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550906' && e.queueId === 'metrics');
    caller('15550907', 60_000);
    const full = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === '15550907', 10_000, 'refused: full');
    assert.equal(full.reason, 'full');
    const late = await run.events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === '15550906', 15_000, 'timed out');
    assert.equal(late.reason, 'timeout');
    // 'other' is not sam's: its events do not reach sam's socket (event privacy); an admin sees the caller there
    await eventually(async () => (await run.ctl.ok('GET', '/queues/other/calls')).calls.some((c: any) => c.callerNumber === '15550906'), 5000, 'in other');
    assert.ok(!run.events.all.some((e) => e.queueId === 'other'), 'no event of a queue sam does not supervise');
    await run.ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN);
    await agentState('ready', lastIndex((e) => e.type === 'agent.state' && e.state === 'paused'));

    // What the events say, computed here the way a wallboard would
    const all = run.events.all;
    const answered = all.filter((e) => e.type === 'call.answered');
    const abandoned = all.filter((e) => e.type === 'call.abandoned');
    const ended = all.filter((e) => e.type === 'call.ended');
    const within = (es: AcdEventMsg[]) => es.filter((e) => e.waitMs <= SL_SEC * 1000).length;
    const wraps = ended.map((e) => wrapUpAfter(all, e));
    const fromEvents = {
      answered: answered.length, abandoned: abandoned.length, handled: ended.length,
      callbackRequests: all.filter((e) => e.type === 'call.callback_requested').length,
      timedOut: all.filter((e) => e.type === 'call.overflowed' && e.queueId === 'metrics' && e.reason === 'timeout').length,
      overflowed: all.filter((e) => e.type === 'call.overflowed' && e.queueId === 'metrics' && e.reason !== 'timeout').length,
      answeredWithinSl: within(answered), abandonedWithinSl: within(abandoned),
      averageSpeedOfAnswerMs: answered.reduce((s, e) => s + e.waitMs, 0) / answered.length,
      averageHandleMs: ended.reduce((s, e, i) => s + e.talkMs + wraps[i], 0) / ended.length,
      serviceLevel: (100 * within(answered)) / answered.length,
      serviceLevel2: (100 * (within(answered) + within(abandoned))) / (answered.length + abandoned.length),
    };
    // ... and what the script says they must be
    assert.deepEqual(
      [fromEvents.answered, fromEvents.abandoned, fromEvents.handled, fromEvents.callbackRequests, fromEvents.answeredWithinSl, fromEvents.abandonedWithinSl,
        fromEvents.timedOut, fromEvents.overflowed],
      [2, 2, 2, 1, 1, 1, 1, 1]);
    assert.deepEqual([fromEvents.serviceLevel, fromEvents.serviceLevel2], [50, 50]);
    // each figure is the span between the events it names
    const queuedOf = (callId: string) => all.find((e) => e.type === 'call.queued' && e.callId === callId)!;
    const answeredOf = (callId: string) => all.find((e) => e.type === 'call.answered' && e.callId === callId)!;
    assert.deepEqual(answered.map((e) => e.waitMs), answered.map((e) => at(e) - at(queuedOf(e.callId))), 'wait = queued → answered');
    assert.deepEqual(ended.map((e) => e.talkMs), ended.map((e) => at(e) - at(answeredOf(e.callId))), 'talk = answered → ended');
    const [w1, w2] = answered.map((e) => e.waitMs);
    assert.ok(w1 <= SL_SEC * 1000 && w2 > SL_SEC * 1000, `one within the service level, one over: waits ${w1}, ${w2}`);
    assert.ok(w2 >= 4500, `the second waited at least while the agent was paused: ${w2}`);
    assert.ok(wraps.every((w) => w >= Q.wrapUp.sec * 1000), `each wrap-up lasted its 2 s, not less: ${wraps}`);

    const stats = await run.ctl.ok('GET', '/queues/metrics/stats', undefined, SUPERVISOR_TOKEN);
    const t = stats.today;
    assert.deepEqual({
      answered: t.answered, abandoned: t.abandoned, handled: t.handled, callbackRequests: t.callbackRequests,
      timedOut: t.timedOut, overflowed: t.overflowed,
      answeredWithinSl: t.answeredWithinSl, abandonedWithinSl: t.abandonedWithinSl,
      averageSpeedOfAnswerMs: t.averageSpeedOfAnswerMs, averageHandleMs: t.averageHandleMs,
      serviceLevel: t.serviceLevel, serviceLevel2: t.serviceLevel2,
    }, fromEvents);
    assert.equal(t.handleCompleted, 2);
    assert.deepEqual(stats.waiting, { callers: 0, longestWaitMs: 0, oldestEnqueuedAt: null, callbacks: 1 });
    assert.deepEqual(stats.agents, { loggedIn: 1, ready: 1, ringing: 0, onCall: 0, wrapUp: 0, paused: 0 });
    assert.deepEqual([stats.serviceLevelSec, stats.timeZone, stats.day], [SL_SEC, 'UTC', new Date().toISOString().slice(0, 10)]);

    // per agent, from the same events: two calls handled, talk = the calls' talk, pause = the two pauses
    const agent = await run.ctl.ok('GET', '/agents/a1/stats', undefined, AGENT_TOKEN);
    const pauseMs = timeIn(all, 'a1', 'paused');
    assert.deepEqual(agent.today, {
      handled: 2, talkMs: ended.reduce((s, e) => s + e.talkMs, 0), pauseMs, wrapUpMs: wraps[0] + wraps[1],
    });
    assert.ok(pauseMs > 4500 + 5000 + 10_000 + 8000, `paused through the long wait, both abandons, the callback request and the overflows (${pauseMs} ms)`);
    assert.equal(agent.state, 'ready');
    // in its state since its last change of state (device-only updates repeat the state: not a change)
    const states = all.filter((e) => e.type === 'agent.state' && e.agentId === 'a1');
    const lastChange = states.filter((e, i) => i === 0 || e.state !== states[i - 1].state).pop()!;
    assert.equal(lastChange.state, 'ready');
    assert.ok(agent.timeInStateMs >= 0 && agent.timeInStateMs <= Date.now() - at(lastChange), `time in state ${agent.timeInStateMs} ms: since the last change at most`);

    // pushed on the WebSocket as they changed: the last push says the same, and pushes are at least 500 ms apart
    const final = await run.events.waitFor((e) => e.type === 'metrics.queue' && e.queueId === 'metrics' && e.agents.ready === 1 && e.waiting.callbacks === 1
      && isDeepStrictEqual(e.today, t), 5000, 'a metrics.queue push saying what the REST figures say');
    const pushes = run.events.all.filter((e) => e.type === 'metrics.queue' && e.queueId === 'metrics');
    assert.deepEqual([final.today, pushes[pushes.length - 1].today], [t, t], 'the last push says the same');
    assert.ok(pushes.length >= 5, `${pushes.length} pushes`);
    const gaps = pushes.slice(1).map((e, i) => at(e) - at(pushes[i]));
    assert.ok(gaps.every((g) => g >= 490), `pushes throttled: ${gaps}`);

    const overview = await run.ctl.ok('GET', '/stats/queues', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(overview.queues.map((q: any) => [q.queueId, q.today.answered]), [['metrics', 2]], 'only the queues in scope');
  });
});
