import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ENV, uniqueSchema } from '../support/env';
import { customerTrunk } from './harness/asterisk';
import { AcdEventMsg, SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { AgentPhoneOptions, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const POSTGRES = path.resolve(__dirname, '../../../scripts/postgres.sh');
const pg = (cmd: 'start' | 'stop') => execFileSync('bash', [POSTGRES, cmd], { env: { ...process.env, ACD_PG_PORT: String(TEST_ENV.pgPort) }, stdio: 'ignore' });

const TRUNK = 'e2e-history-customers';
const SL_SEC = 3;
const SALES = {
  id: 'sales', name: 'Sales', extension: '8951', ringTimeoutSec: 10, serviceLevelSec: SL_SEC, wrapUp: { sec: 1 },
  maxWaitSec: 6, overflow: { kind: 'queue', queueId: 'support' },
  callbacks: { enabled: true, key: '1', offerEverySec: 30, maxMessageSec: 10, maxSilenceSec: 2, maxAttempts: 3, dialTimeoutSec: 5 },
};
const SUPPORT = { id: 'support', name: 'Support', extension: '8952', serviceLevelSec: SL_SEC, wrapUp: { sec: 1 } };
const AGENT_TOKEN = 'e2e-agent-token-hist-a1-01';
const A3_TOKEN = 'e2e-agent-token-hist-a3-01';
const NOBODY_TOKEN = 'e2e-supervisor-token-none1';
const METRICS_TOKEN = 'e2e-prometheus-scrape-token-1';

const at = (e: AcdEventMsg) => Date.parse(e.at);
const today = () => new Date().toISOString().slice(0, 10);

/** Parses CSV as written by csv-stringify (quoted cells may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else if (ch !== '\r') cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
/**
 * An independent queue_log reader, as QueueMetrics or Asternic read app_queue's file: per queue,
 * the calls offered (ENTERQUEUE, or refused: FULL / JOINEMPTY), answered (CONNECT, with its hold
 * time), abandoned, timed out, overflowed, callback key pressed, transferred.
 */
function readQueueLog(text: string) {
  const queues: Record<string, { offered: number; answered: number; abandoned: number; timedOut: number; overflowed: number; callbackRequests: number; transferred: number; holdSec: number }> = {};
  const agents: Record<string, Record<string, number>> = {};
  const q = (name: string) => (queues[name] ??= { offered: 0, answered: 0, abandoned: 0, timedOut: 0, overflowed: 0, callbackRequests: 0, transferred: 0, holdSec: 0 });
  const lines = text.split('\n').filter(Boolean);
  for (const line of lines) {
    const m = /^(\d{10})\|([^|]+)\|([^|]+)\|([^|]+)\|([A-Z]+)((?:\|[^|]*)*)$/.exec(line);
    if (!m) throw new Error(`not a queue_log line: ${line}`);
    const [, , , queue, agent, event, rest] = m;
    const data = rest.split('|').slice(1);
    const add = (a: string) => { (agents[a] ??= {})[event] = (agents[a][event] ?? 0) + 1; };
    switch (event) {
      case 'ENTERQUEUE': q(queue).offered++; break;
      case 'FULL': case 'JOINEMPTY': q(queue).offered++; q(queue).overflowed++; break;
      case 'CONNECT': q(queue).answered++; q(queue).holdSec += Number(data[0]); add(agent); break;
      case 'ABANDON': q(queue).abandoned++; break;
      case 'EXITWITHTIMEOUT': q(queue).timedOut++; break;
      case 'EXITEMPTY': q(queue).overflowed++; break;
      case 'EXITWITHKEY': q(queue).callbackRequests++; break;
      case 'BLINDTRANSFER': case 'ATTENDEDTRANSFER': q(queue).transferred++; add(agent); break;
      default: add(agent);
    }
  }
  return { queues, agents, lines };
}

const cellOf = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join('|') : typeof v === 'object' ? JSON.stringify(v) : String(v));

describe('call history: a scripted day through SIP, reported exactly (real Asterisk, Redis, PostgreSQL)', function () {
  this.timeout(240_000);
  const run = new TestRun();
  const schema = uniqueSchema('e2e-history');
  const queueLogFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acd-queue-log-')), 'queue_log');

  afterEach(async function () {
    // whatever happened, the run's PostgreSQL is up again for the next suites
    try { pg('start'); } catch { /* reported by the next suite */ }
    await run.end(this);
  });

  it('given a day of answered, abandoned, timed-out, transferred and callback calls, with the database stopped midway, every report figure matches the day exactly', async () => {
    const ctl = await run.start('history-day', {
      outboundDial: `PJSIP/{number}@${TRUNK}`,
      queues: [SALES, SUPPORT],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support'] },
        { id: 'nobody', role: 'supervisor', token: NOBODY_TOKEN, supervisedQueues: [] },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
        { id: 'cy', role: 'agent', agentId: 'a3', token: A3_TOKEN },
      ],
    }, { env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: schema, ACD_QUEUE_LOG_FILE: queueLogFile, ACD_QUEUE_LOG_TABLE: '1',
      // AMI watched too: the ACD's own legs to the agents' phones are no non-queue calls
      AMI_PORT: String(TEST_ENV.amiPort), AMI_PASSWORD: TEST_ENV.ariPassword, ACD_METRICS_TOKEN: METRICS_TOKEN } });
    const events = run.events;
    const caller = (extension: string, number: string, hangupAfterMs: number, dtmf?: { afterMs: number; digits: string }[], speak?: { afterMs: number; ms: number }[]) =>
      run.track(startCaller({ extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs, dtmf, speak }));
    const agent = async (id: string, phone: Omit<AgentPhoneOptions, 'port'>, queues: string[], callbackQueues: string[] = []) => {
      const port = allocatePort();
      const p = run.track(startAgentPhone({ ...phone, port }));
      await ctl.ok('POST', '/agents', { id, name: `Agent ${id}`, queues, callbackQueues, phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
      return p;
    };
    const count = (pred: (e: AcdEventMsg) => boolean) => events.all.filter(pred).length;
    const stateAfter = (agentId: string, state: string, pred: (e: AcdEventMsg) => boolean) => {
      const from = events.all.map(pred).lastIndexOf(true);
      return events.waitFor((e) => e.type === 'agent.state' && e.agentId === agentId && e.state === state && events.all.indexOf(e) > from, 20_000, `${agentId} ${state}`);
    };
    const queued = (number: string, queueId = 'sales') => events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === number && e.queueId === queueId, 15_000, `${number} queued in ${queueId}`);

    // a1 takes queue calls in both queues (1.5 s each); a2's phone never answers; a3 serves callbacks
    await agent('a1', { calls: 10, hangupAfterMs: 1500 }, ['sales', 'support']);
    await agent('a2', { calls: 5, noAnswer: true }, ['sales']);
    await agent('a3', { calls: 2, hangupAfterMs: 15_000 }, ['sales'], ['sales']);
    await ctl.ok('POST', '/agents/a1/login');

    // 1. answered at once (within the 3 s)
    caller(SALES.extension, '15551001', 30_000);
    await events.waitFor((e) => e.type === 'call.ended', 15_000, 'call 1 ended');
    await stateAfter('a1', 'ready', (e) => e.type === 'call.ended');

    // 2. a1 at lunch: the caller waits 4 s, answered over the service level
    await ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' }, AGENT_TOKEN);
    caller(SALES.extension, '15551002', 30_000);
    await queued('15551002');
    await sleep(4000);
    await ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN);
    await eventually(async () => count((e) => e.type === 'call.ended') === 2, 15_000, 'call 2 ended');
    await stateAfter('a1', 'ready', (e) => e.type === 'call.ended');

    // --- the database goes away; calls go on
    pg('stop');
    const during = await ctl.request('GET', `/reports/queues?from=${today()}&to=${today()}`, undefined, SUPERVISOR_TOKEN);
    assert.deepEqual([during.status, during.body.error.code], [503, 'HISTORY_UNAVAILABLE']);

    // 3. a1 on a break: one caller gives up after 1 s (abandoned waiting)
    await ctl.ok('POST', '/agents/a1/pause', { reason: 'break' }, AGENT_TOKEN);
    const gaveUp = caller(SALES.extension, '15551003', 1000);
    await gaveUp.wait(10_000);
    await events.waitFor((e) => e.type === 'call.abandoned' && e.callerNumber === '15551003', 5000, 'abandoned 3');

    // 4. the next waits the queue's 6 s maximum (timed out), goes to support, and hangs up there
    caller(SALES.extension, '15551004', 9000);
    await events.waitFor((e) => e.type === 'call.overflowed' && e.callerNumber === '15551004', 15_000, 'timed out 4');
    await events.waitFor((e) => e.type === 'call.abandoned' && e.callerNumber === '15551004', 10_000, 'abandoned 4 in support');

    // 5. a2 logs in; its phone rings for the next caller, who hangs up while it rings
    await ctl.ok('POST', '/agents/a2/login');
    caller(SALES.extension, '15551005', 2500);
    await events.waitFor((e) => e.type === 'call.offered' && e.agentId === 'a2', 10_000, 'a2 rung');
    await events.waitFor((e) => e.type === 'call.abandoned' && e.callerNumber === '15551005', 10_000, 'abandoned 5 while ringing');
    await ctl.ok('POST', '/agents/a2/logout');

    // --- the database is back: the writer catches up by itself
    pg('start');

    // 6. a1 back; logs out of support and in again; its caller is transferred to support and a1 takes it there
    await ctl.ok('POST', '/agents/a1/logout', { queues: ['support'] });
    await ctl.ok('POST', '/agents/a1/login', { queues: ['support'] });
    await ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN);
    caller(SALES.extension, '15551006', 30_000);
    const q6 = await queued('15551006');
    const answered6 = await events.waitFor((e) => e.type === 'call.answered' && e.callId === q6.callId, 15_000, 'call 6 answered');
    await ctl.ok('POST', `/calls/${answered6.callId}/transfer`, { queueId: 'support' }, AGENT_TOKEN);
    await events.waitFor((e) => e.type === 'call.ended' && e.callId === answered6.callId, 20_000, 'call 6 ended in support');
    await stateAfter('a1', 'ready', (e) => e.type === 'call.ended');

    // 7. a1 paused again; a caller asks for a callback (key 1 and a message); a3 logs in and calls
    // back twice: no answer, then rescheduled, answered
    await ctl.ok('POST', '/agents/a1/pause', { reason: 'break' }, AGENT_TOKEN);
    const noAnswer = run.track(startAgentPhone({ port: allocatePort(), calls: 1, noAnswer: true }));
    await customerTrunk(TRUNK, noAnswer.port);
    caller(SALES.extension, '15551007', 40_000, [{ afterMs: 1000, digits: '1' }], [{ afterMs: 8000, ms: 2000 }]);
    const cbQueued = await events.waitFor((e) => e.type === 'callback.queued', 40_000, 'callback.queued');
    await ctl.ok('POST', '/agents/a3/login');
    const first = await events.waitFor((e) => e.type === 'callback.attempted', 40_000, 'first attempt');
    assert.equal(first.outcome, 'no-answer');
    const answering = run.track(startAgentPhone({ port: allocatePort(), calls: 1, answerAfterMs: 300, hangupAfterMs: 1500 }));
    await customerTrunk(TRUNK, answering.port);
    await ctl.ok('POST', `/callbacks/${cbQueued.callbackId}/reschedule`, { at: new Date(Date.now() + 1000).toISOString() }, A3_TOKEN);
    const second = await events.waitFor((e) => e.type === 'callback.attempted' && e.attempt === 2, 40_000, 'second attempt');
    assert.equal(second.outcome, 'answered');
    await ctl.ok('POST', `/callbacks/${cbQueued.callbackId}/complete`, undefined, A3_TOKEN);
    await stateAfter('a3', 'ready', (e) => e.type === 'callback.attempted' && e.attempt === 2);
    await ctl.ok('POST', '/agents/a3/logout');
    await ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN);

    // ===== what the events say, and what the script says
    const all = events.all;
    const callOf = (n: string) => all.find((e) => e.type === 'call.queued' && e.callerNumber === n)?.callId as string;
    const answeredIn = (q: string) => all.filter((e) => e.type === 'call.answered' && e.queueId === q && e.kind !== 'callback');
    const salesAnswered = answeredIn('sales');
    const supportAnswered = answeredIn('support');
    assert.deepEqual(salesAnswered.map((e) => e.callId), [callOf('15551001'), callOf('15551002'), callOf('15551006')]);
    assert.deepEqual(supportAnswered.map((e) => e.callId), [callOf('15551006')]);
    const within = (es: AcdEventMsg[]) => es.filter((e) => e.waitMs <= SL_SEC * 1000).length;
    assert.equal(within(salesAnswered), 2, 'calls 1 and 6 within the service level, call 2 over it');
    const endedOf = (q: string) => all.filter((e) => e.type === 'call.ended' && e.queueId === q);
    const transferred = all.find((e) => e.type === 'call.transferred') as AcdEventMsg;
    const talkOf6InSales = at(transferred) - at(salesAnswered[2]);
    const wrapAfter = (e: AcdEventMsg) => {
      const i = all.indexOf(e);
      const next = all.slice(i + 1).filter((x) => x.type === 'agent.state' && x.agentId === (e.agentId ?? e.fromAgentId));
      if (next[0]?.state !== 'wrap_up') return 0;
      return at(next.find((x) => x.state !== 'wrap_up') as AcdEventMsg) - at(next[0]);
    };
    const salesEnded = endedOf('sales');
    const salesHandle = [...salesEnded.map((e) => e.talkMs + wrapAfter(e)), talkOf6InSales + wrapAfter(transferred)];
    const maxWait = Math.max(...all.filter((e) => e.queueId === 'sales' && ['call.answered', 'call.abandoned', 'call.overflowed', 'call.callback_requested'].includes(e.type) && e.kind !== 'callback').map((e) => e.waitMs));

    const expectedSales = {
      queueId: 'sales', offered: 7, answered: 3, abandoned: 2, abandonedWaiting: 1, abandonedRinging: 1, timedOut: 1, overflowed: 0,
      callbackRequests: 1, transferred: 1, answeredWithinSl: 2,
      averageSpeedOfAnswerMs: Math.round(salesAnswered.reduce((s, e) => s + e.waitMs, 0) / 3),
      averageHandleMs: Math.round(salesHandle.reduce((s, x) => s + x, 0) / 3),
      longestWaitMs: maxWait, serviceLevel: 66.67,
    };
    const supportEnded = endedOf('support');
    const expectedSupport = {
      queueId: 'support', offered: 2, answered: 1, abandoned: 1, abandonedWaiting: 1, abandonedRinging: 0, timedOut: 0, overflowed: 0,
      callbackRequests: 0, transferred: 0, answeredWithinSl: within(supportAnswered),
      averageSpeedOfAnswerMs: supportAnswered[0].waitMs,
      averageHandleMs: supportEnded[0].talkMs + wrapAfter(supportEnded[0]),
      longestWaitMs: Math.max(...all.filter((e) => e.queueId === 'support' && ['call.answered', 'call.abandoned'].includes(e.type)).map((e) => e.waitMs)),
      serviceLevel: within(supportAnswered) ? 100 : 0,
    };

    // ===== the reports (the writer caught up by itself; a report folds what is left first)
    const range = `from=${today()}&to=${today()}&tz=UTC`;
    const day = await ctl.ok('GET', `/reports/queues?${range}&interval=day`, undefined, SUPERVISOR_TOKEN);
    const strip = (r: any) => { const { intervalStart: _i, ...rest } = r; return rest; };
    assert.deepEqual(day.rows.map(strip), [expectedSales, expectedSupport]);
    assert.deepEqual(day.rows.map((r: any) => r.intervalStart), [`${today()}T00:00:00`, `${today()}T00:00:00`]);

    // per hour: each hour's offered calls are the callers who joined in that hour; the hours add up to the day
    const hourly = await ctl.ok('GET', `/reports/queues?${range}&interval=hour&queue=sales`, undefined, SUPERVISOR_TOKEN);
    const hourOf = (e: AcdEventMsg) => `${e.at.slice(0, 13)}:00:00`;
    const joins = all.filter((e) => (e.type === 'call.queued' && e.queueId === 'sales') || (e.type === 'call.overflowed' && e.queueId === 'sales' && e.reason !== 'timeout'));
    const perHour: Record<string, number> = {};
    for (const e of joins) perHour[hourOf(e)] = (perHour[hourOf(e)] ?? 0) + 1;
    assert.deepEqual(Object.fromEntries(hourly.rows.map((r: any) => [r.intervalStart, r.offered])), perHour);
    for (const f of ['answered', 'abandoned', 'timedOut', 'callbackRequests', 'transferred'] as const) {
      assert.equal(hourly.rows.reduce((s: number, r: any) => s + r[f], 0), (expectedSales as any)[f], `hours add up: ${f}`);
    }
    assert.equal(day.busiestHours.reduce((s: number, h: any) => s + h.offered, 0), 9);

    // the CSV is the same rows
    const csvRes = await fetch(`${ctl.api}/reports/queues?${range}&interval=day&format=csv`, { headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}` } });
    assert.match(csvRes.headers.get('content-type') ?? '', /^text\/csv/);
    const csv = parseCsv(await csvRes.text());
    assert.deepEqual(csv.slice(1), day.rows.map((r: any) => csv[0].map((c) => cellOf(r[c]))));
    const viaAccept = await fetch(`${ctl.api}/reports/queues?${range}`, { headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}`, accept: 'text/csv' } });
    assert.deepEqual(parseCsv(await viaAccept.text()), csv);

    // the call list: each call once, each visit of a queue its own row; paged with a cursor; CSV the same
    const page1 = await ctl.ok('GET', `/history/calls?${range}&limit=4`, undefined, SUPERVISOR_TOKEN);
    const page2 = await ctl.ok('GET', `/history/calls?${range}&limit=100&cursor=${page1.nextCursor}`, undefined, SUPERVISOR_TOKEN);
    assert.equal(page2.nextCursor, null);
    const visits = [...page1.calls, ...page2.calls];
    assert.deepEqual(visits.map((v: any) => [v.callerNumber, v.queueId, v.entry, v.outcome]), [
      ['15551001', 'sales', 'arrival', 'answered'],
      ['15551002', 'sales', 'arrival', 'answered'],
      ['15551003', 'sales', 'arrival', 'abandoned_waiting'],
      ['15551004', 'sales', 'arrival', 'timed_out'],
      ['15551004', 'support', 'overflow', 'abandoned_waiting'],
      ['15551005', 'sales', 'arrival', 'abandoned_ringing'],
      ['15551006', 'sales', 'arrival', 'transferred'],
      ['15551006', 'support', 'queue_transfer', 'answered'],
      ['15551007', 'sales', 'arrival', 'callback'],
    ]);
    assert.deepEqual(visits.find((v: any) => v.callerNumber === '15551005').offeredTo, ['a2']);
    assert.equal(visits.find((v: any) => v.callerNumber === '15551004').outcomeTarget, 'queue:support');
    assert.equal(visits.find((v: any) => v.entry === 'queue_transfer').agentId, 'a1');
    const listCsv = parseCsv(await (await fetch(`${ctl.api}/history/calls?${range}&format=csv`, { headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}` } })).text());
    assert.deepEqual(listCsv.slice(1), visits.map((v: any) => listCsv[0].map((c) => cellOf(v[c]))));

    // one call with all its steps
    const six = await ctl.ok('GET', `/history/calls/${callOf('15551006')}`, undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(six.visits.map((v: any) => v.queueId), ['sales', 'support']);
    assert.deepEqual(six.steps.map((s: any) => s.type), all.filter((e) => e.callId === callOf('15551006') && e.type.startsWith('call.')).map((e) => e.type));
    const seven = await ctl.ok('GET', `/history/calls/${callOf('15551007')}`, undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(seven.callbacks.map((c: any) => [c.state, c.attempts.map((a: any) => [a.n, a.outcome, a.agentId])]), [['completed', [[1, 'no-answer', 'a3'], [2, 'answered', 'a3']]]]);

    // missed callers: 3 (abandoned), 4 (timed out, then abandoned in support), 5 (abandoned ringing); not 7 (called back)
    const missed = await ctl.ok('GET', `/history/missed?${range}`, undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(missed.callers.map((m: any) => [m.callerNumber, m.attempts]), [['15551003', 1], ['15551004', 1], ['15551005', 1]]);

    // agents: a1 took 4 queue calls (3 in sales, 1 in support), paused for lunch and two breaks
    const agents = await ctl.ok('GET', `/reports/agents?${range}`, undefined, SUPERVISOR_TOKEN);
    const a1 = agents.agents.find((a: any) => a.agentId === 'a1');
    const spans = (agentId: string, pred: (e: AcdEventMsg) => boolean) => {
      let total = 0;
      let cur: AcdEventMsg | undefined;
      for (const e of all.filter((x) => x.type === 'agent.state' && x.agentId === agentId)) {
        if (cur && cur.state === e.state && cur.reason === e.reason) continue;
        if (cur && pred(cur)) total += at(e) - at(cur);
        cur = e;
      }
      return total;
    };
    assert.deepEqual(a1.byQueue.map((q: any) => [q.queueId, q.callsTaken]), [['sales', 3], ['support', 1]]);
    assert.equal(a1.callsTaken, 4);
    assert.equal(a1.talkMs, [...salesEnded, ...supportEnded].reduce((s, e) => s + e.talkMs, 0) + talkOf6InSales);
    assert.deepEqual(a1.pauseByReason, { lunch: spans('a1', (e) => e.state === 'paused' && e.reason === 'lunch'), break: spans('a1', (e) => e.state === 'paused' && e.reason === 'break') });
    assert.equal(a1.wrapUpMs, spans('a1', (e) => e.state === 'wrap_up'));
    const a3 = agents.agents.find((a: any) => a.agentId === 'a3');
    assert.equal(a3.callbackAttempts, 2);

    // productivity: a1's today is the four queue calls (its phone's legs were the ACD's: no non-queue call)
    const prod = await ctl.ok('GET', `/agents/a1/productivity?tz=UTC&compareTo=${today()}`, undefined, AGENT_TOKEN);
    assert.deepEqual(prod.today, { day: today(), queueCallsTaken: 4, nonQueueCallsTaken: 0, nonQueueCallsMade: 0, talkMs: a1.talkMs });
    assert.deepEqual(prod.comparison, prod.today);
    assert.equal(prod.week[prod.week.length - 1].day, today());
    assert.equal((await ctl.request('GET', '/agents/a3/productivity', undefined, AGENT_TOKEN)).status, 403);

    // nothing lost, nothing twice: every call event of the day is in the history exactly once
    const callEvents = all.filter((e) => e.type.startsWith('call.') && typeof e.callId === 'string' && !e.callId.startsWith('cb-'));
    const steps = (await Promise.all([...new Set(callEvents.map((e) => e.callId))].map((id) => ctl.ok('GET', `/history/calls/${id}`, undefined, SUPERVISOR_TOKEN))))
      .flatMap((c: any) => c.steps);
    assert.equal(steps.length, callEvents.length);
    assert.equal(new Set(steps.map((s: any) => s.streamId)).size, steps.length);

    // the queue_log file of the day, read by an independent parser, gives the same per-queue figures
    const unpauses = () => (fs.existsSync(queueLogFile) ? fs.readFileSync(queueLogFile, 'utf8') : '').split('\n').filter((l) => l.includes('|Agent/a1|UNPAUSE|')).length;
    await eventually(async () => unpauses() === 6, 10_000, 'the queue_log file written to the end of the day (a1 unpaused in 2 queues, 3 times)');
    const ql = readQueueLog(fs.readFileSync(queueLogFile, 'utf8'));
    for (const row of day.rows) {
      const { holdSec, ...figures } = ql.queues[row.queueId];
      assert.deepEqual(figures, {
        offered: row.offered, answered: row.answered, abandoned: row.abandoned, timedOut: row.timedOut, overflowed: row.overflowed,
        callbackRequests: row.callbackRequests, transferred: row.transferred,
      }, `queue_log figures of ${row.queueId}`);
      assert.equal(holdSec, answeredIn(row.queueId).reduce((s, e) => s + Math.round(e.waitMs / 1000), 0));
    }
    assert.deepEqual(ql.agents['Agent/a1'], {
      AGENTLOGIN: 1, ADDMEMBER: 3, REMOVEMEMBER: 1, CONNECT: 4, COMPLETEAGENT: 3, BLINDTRANSFER: 1, PAUSE: 6, UNPAUSE: 6,
    });
    assert.deepEqual([ql.agents['Agent/a2'].RINGNOANSWER, ql.agents['Agent/a2'].AGENTLOGOFF], [undefined, 1], 'a2 rang but the caller gave up first: no ring-no-answer');
    assert.ok(ql.lines.every((l) => Number(l.split('|')[0]) * 1000 >= at(all[0]) - 1000), 'epoch seconds of the day');

    // Prometheus: the day's counters, the live gauges, health; only with the metrics token
    const root = ctl.api.replace(/\/api\/v1$/, '');
    assert.equal((await fetch(`${root}/metrics`)).status, 401);
    const scrape = await (await fetch(`${root}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const metric = (line: string) => {
      const m = scrape.split('\n').find((l) => l.startsWith(`${line} `));
      assert.ok(m, `${line} in the scrape`);
      return Number(m.slice(line.length + 1));
    };
    assert.deepEqual([metric('acd_calls_answered_total{queue="sales"}'), metric('acd_calls_answered_total{queue="support"}')], [3, 1]);
    assert.deepEqual([metric('acd_calls_abandoned_total{queue="sales"}'), metric('acd_calls_abandoned_total{queue="support"}')], [2, 1]);
    assert.equal(metric('acd_offers_total{queue="sales"}'), count((e) => e.type === 'call.offered' && e.queueId === 'sales'));
    assert.deepEqual([metric('acd_queue_callers_waiting{queue="sales"}'), metric('acd_queue_agents{queue="sales",state="ready"}')], [0, 1]);
    assert.deepEqual([metric('acd_ari_connected'), metric('acd_redis_up'), metric('acd_database_up'), metric('acd_history_lag_seconds')], [1, 1, 1, 0]);
    // calls 1 and 6 were queued while a1 was ready (dispatch); call 2 waited for a1 to come back (hand-over)
    assert.ok(metric('acd_dispatch_latency_seconds_count{queue="sales"}') >= 2);
    assert.ok(metric('acd_handover_latency_seconds_count{queue="sales"}') >= 1);

    // reach: a supervisor of no queue sees none of them; an agent may not read reports
    const none = await ctl.ok('GET', `/reports/queues?${range}`, undefined, NOBODY_TOKEN);
    assert.deepEqual(none.rows, []);
    assert.equal((await ctl.request('GET', `/reports/queues?${range}&queue=sales`, undefined, NOBODY_TOKEN)).status, 403);
    assert.equal((await ctl.request('GET', `/reports/queues?${range}`, undefined, AGENT_TOKEN)).status, 403);
  });

  it('given a1 dialing a2 from its phone and a2 dialing a1, each agent\'s productivity shows one non-queue call made and one taken', async () => {
    const ctl = await run.start('history-direct', {
      queues: [SALES, SUPPORT], agents: [],
      users: [{ id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN }],
    }, { env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: uniqueSchema('e2e-history-direct'), AMI_PORT: String(TEST_ENV.amiPort), AMI_PASSWORD: TEST_ENV.ariPassword } });
    for (const id of ['a1', 'a2']) {
      const port = allocatePort();
      run.track(startAgentPhone({ port, calls: 1, hangupAfterMs: 1500 }));
      await ctl.ok('POST', '/agents', { id, name: id, queues: ['sales'], phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
    }
    // the phones call by agent id (dialplan acd-agent-direct): From a1 is a1's endpoint
    const first = run.track(startCaller({ extension: 'a2', callerNumber: 'a1', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 10_000 }));
    assert.equal((await first.wait(20_000)).successful, 1, 'a1 reached a2 and a2 hung up');
    const second = run.track(startCaller({ extension: 'a1', callerNumber: 'a2', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 10_000 }));
    assert.equal((await second.wait(20_000)).successful, 1, 'a2 reached a1');
    const day = { day: today(), queueCallsTaken: 0, nonQueueCallsTaken: 1, nonQueueCallsMade: 1, talkMs: 0 };
    const prod = await eventually(async () => {
      const p = await ctl.ok('GET', `/agents/a1/productivity?tz=UTC`, undefined, AGENT_TOKEN);
      return p.today.nonQueueCallsTaken + p.today.nonQueueCallsMade === 2 ? p : undefined;
    }, 10_000, 'both non-queue calls in a1\'s productivity');
    assert.deepEqual(prod.today, day);
    assert.deepEqual((await ctl.ok('GET', '/agents/a2/productivity?tz=UTC')).today, day);
    assert.equal(prod.comparison, null);
    // no queue figure moved
    assert.deepEqual((await ctl.ok('GET', `/reports/queues?from=${today()}&to=${today()}`)).rows, []);
  });

  it('given bad report parameters, each is a 422 with details and nothing else happens', async () => {
    const ctl = await run.start('history-bad', { queues: [SALES, SUPPORT], agents: [], users: [{ id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN }] },
      { env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: uniqueSchema('e2e-history-bad') } });
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'A1', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } });
    const d = today();
    const cases: [string, string][] = [
      [`/reports/queues?from=${d}&to=${d}&queue=nope`, 'queue'],
      [`/reports/agents?from=${d}&to=${d}&agent=nobody`, 'agent'],
      [`/reports/queues?from=2026-03-10&to=2026-03-01`, 'to'],
      [`/reports/queues?from=${d}`, 'to'],
      [`/reports/queues?to=${d}`, 'from'],
      [`/reports/queues?from=2020-01-01&to=2026-01-01`, 'to'],
      [`/reports/queues?from=${d}&to=${d}&interval=fortnight`, 'interval'],
      [`/reports/queues?from=${d}&to=${d}&tz=Mars/Olympus`, 'tz'],
      [`/reports/queues?from=2026-02-30&to=${d}`, 'from'],
      [`/history/calls?from=${d}&to=${d}&cursor=garbage`, 'cursor'],
      [`/history/calls?from=${d}&to=${d}&outcome=happy`, 'outcome'],
      [`/agents/a1/productivity?compareTo=yesterday`, 'compareTo'],
    ];
    for (const [route, field] of cases) {
      const r = await ctl.request('GET', route);
      assert.equal(r.status, 422, `${route}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_REQUEST');
      assert.ok(r.body.error.details.some((p: any) => p.field === field), `${route}: ${JSON.stringify(r.body.error.details)}`);
    }
    assert.equal((await ctl.request('GET', '/agents/nobody/productivity')).status, 404);
    assert.equal((await ctl.request('GET', '/history/calls/nope')).status, 404);
  });
});

