import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueLogFile } from '../../src/history/queueLogFile';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { createLogger } from '../../src/logger';
import { History } from '../../src/history/history';
import { monthOf } from '../../src/history/partitions';
import { NO_WRAPUP, StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix, uniqueSchema } from '../support/env';

const log = createLogger('error', 'json');
const T0 = Date.parse('2026-03-10T09:00:00Z');
const wrap10s = { ms: 10_000, maxMs: 60_000, stepMs: 10_000 };
const range = { from: new Date('2026-03-10T00:00:00Z'), to: new Date('2026-03-11T00:00:00Z'), timeZone: 'UTC' };
const SL_MS = 10_000;

/**
 * A scripted day through the real Lua transitions (time steered):
 *   c1 waits 5 s (within SL), talks 60 s with a1, wrap-up 7 s
 *   c2 waits 15 s (over), talks 30 s with a1, no wrap-up
 *   a1 pauses for lunch; c3 abandons after 4 s, c4 after 30 s; c6 is rung at a2, then abandons (ringing)
 *   c5 answered by a1 after 1 s, transferred to a2 after 2 s, talks 20 s with a2
 */
async function playDay(state: StateStore, clock: { now: number }): Promise<void> {
  const enqueue = (callId: string) => state.enqueue({ callId, queueId: 'q1', node: 'n', callerNumber: `+33${callId}`, callerName: `name ${callId}`, channelId: callId });
  const answer = async (callId: string, agentId: string, waitMs: number) => {
    clock.now += waitMs;
    assert.equal((await state.reserve(callId, agentId, `tok-${callId}-${agentId}`, clock.now + 20_000, 'o')).ok, true);
    assert.equal((await state.accept(callId, `tok-${callId}-${agentId}`, 'b')).ok, true);
  };
  clock.now = T0;
  await state.agentLogin('a1', ['q1']);
  await state.agentLogin('a2', ['q1']);
  await state.agentPause('a2', 'meeting');
  await enqueue('c1');
  await answer('c1', 'a1', 5000);
  clock.now += 60_000;
  assert.equal((await state.callDisposition('c1', { disposition: 'sale', tags: ['vip', 'renewal'], notes: 'ok' }, 'u-a1')).ok, true);
  await state.release('c1', 'caller', wrap10s);
  clock.now += 7000;
  await state.wrapupEnd('a1');
  await enqueue('c2');
  await answer('c2', 'a1', 15_000);
  clock.now += 30_000;
  assert.equal((await state.callDisposition('c2', { disposition: 'sale', tags: ['vip'], notes: '' }, 'u-a1')).ok, true);
  await state.release('c2', 'agent');
  await state.agentPause('a1', 'lunch');
  await enqueue('c3');
  clock.now += 4000;
  await state.abandon('c3');
  await enqueue('c4');
  clock.now += 30_000;
  await state.abandon('c4');
  clock.now += 86_000;
  await state.agentReady('a1');
  await state.agentReady('a2');
  await enqueue('c6');
  clock.now += 2000;
  assert.equal((await state.reserve('c6', 'a2', 'tok-c6', clock.now + 20_000, 'o')).ok, true);
  clock.now += 3000;
  await state.abandon('c6');
  await enqueue('c5');
  await answer('c5', 'a1', 1000);
  clock.now += 2000;
  assert.equal((await state.callTransfer('c5', { kind: 'agent', target: 'a2', token: 'tok-c5-a2', expiresAt: clock.now + 20_000, agentChannelId: 'o2' }, NO_WRAPUP, 'a1')).ok, true);
  clock.now += 1500;
  assert.equal((await state.accept('c5', 'tok-c5-a2', 'b2')).ok, true);
  clock.now += 20_000;
  await state.release('c5', 'caller');
}

const EXPECTED_Q1 = {
  queueId: 'q1', intervalStart: '2026-03-10T00:00:00',
  offered: 6, answered: 3, abandoned: 3, abandonedWaiting: 2, abandonedRinging: 1, timedOut: 0, overflowed: 0,
  callbackRequests: 0, transferred: 1, answeredWithinSl: 2,
  averageSpeedOfAnswerMs: Math.round((5000 + 15_000 + 1000) / 3),
  // c1: 60 s talk + 7 s wrap-up, c2: 30 s, c5 (a1's part): 2 s
  averageHandleMs: Math.round((67_000 + 30_000 + 2000) / 3),
  longestWaitMs: 30_000, serviceLevel: 66.67,
};

describe('history writer: the event stream folded into PostgreSQL exactly once (real Redis + PostgreSQL)', () => {
  let redis: Redis;
  let state: StateStore;
  let schema: string;
  const clock = { now: T0 };
  const histories: History[] = [];
  let admin: Pool;
  const history = (consumer: string, o: { now?: () => number; databaseUrl?: string } = {}) => {
    const h = new History({ databaseUrl: o.databaseUrl ?? TEST_ENV.databaseUrl, schema, retentionMonths: 13, streamKey: state.keys.events(), consumer, now: o.now, queueLogTable: true },
      redis, new Redis(TEST_ENV.redisUrl), { serviceLevelMs: () => SL_MS }, log);
    histories.push(h);
    return h;
  };
  const count = async (sql: string) => Number((await admin.query(sql.replace(/\bFROM (\w+)/, `FROM ${schema}.$1`))).rows[0].n);

  before(() => { redis = new Redis(TEST_ENV.redisUrl); admin = new Pool({ connectionString: TEST_ENV.databaseUrl }); });
  after(async () => { await redis.quit(); await admin.end(); });
  afterEach(async () => {
    for (const h of histories.splice(0)) {
      await h.stop();
      assert.equal(h.writer.status.skipped, 0, 'every event folded without an error');
    }
  });
  beforeEach(function () {
    clock.now = T0;
    state = new StateStore(redis, uniquePrefix(`hist-${this.currentTest?.title.slice(0, 16)}`), () => clock.now);
    schema = uniqueSchema(this.currentTest?.title ?? 'x');
  });

  it('given a scripted day, the queue report has exactly its figures: offered, answered, abandoned waiting and ringing, ASA, AHT with wrap-up, SL', async () => {
    const h = history('ctl-a');
    await h.start();
    await playDay(state, clock);
    await h.writer.catchUp();
    const r = await h.reports.queues(range, {}, 'day');
    assert.deepEqual(r.rows, [EXPECTED_Q1]);
    assert.deepEqual(r.busiestHours, [{ hour: 9, offered: 6 }]);
    assert.deepEqual(r.busiestWeekdays, [{ weekday: 2, offered: 6 }]);
    // the 15-minute slots the writer keeps give the very figures the calls give, at every interval
    for (const interval of ['15min', 'hour', 'day', 'week', 'month'] as const) {
      assert.deepEqual(await h.reports.queues(range, {}, interval, 'slots'), await h.reports.queues(range, {}, interval, 'calls'), interval);
    }
    const paris = { ...range, timeZone: 'Europe/Paris' };
    assert.deepEqual(await h.reports.queues(paris, {}, 'hour', 'slots'), await h.reports.queues(paris, {}, 'hour', 'calls'));
    const hourly = await h.reports.queues(range, {}, 'hour');
    assert.deepEqual(hourly.rows.map((x) => [x.intervalStart, x.offered]), [['2026-03-10T09:00:00', 6]]);
    const agents = await h.reports.agents(range, {});
    const a1 = agents.find((a) => a.agentId === 'a1');
    const a2 = agents.find((a) => a.agentId === 'a2');
    assert.deepEqual([a1.callsTaken, a1.talkMs, a1.wrapUpMs, a1.pauseByReason], [3, 92_000, 7000, { lunch: 120_000 }]);
    assert.deepEqual([a2.callsTaken, a2.talkMs, a2.byQueue.map((q: any) => q.queueId)], [1, 20_000, ['q1']]);
    assert.equal(a2.pauseByReason.meeting, 237_000, 'a2 paused from its login until a1 was back from lunch');
    const disp = await h.reports.dispositions(range, {});
    assert.deepEqual(disp.dispositions, [
      { queueId: 'q1', agentId: 'a1', disposition: '', calls: 1 }, { queueId: 'q1', agentId: 'a1', disposition: 'sale', calls: 2 },
      { queueId: 'q1', agentId: 'a2', disposition: '', calls: 1 }]);
    assert.deepEqual(disp.tags, [{ queueId: 'q1', agentId: 'a1', tag: 'renewal', calls: 1 }, { queueId: 'q1', agentId: 'a1', tag: 'vip', calls: 2 }]);
    // a phone call of a1's outside the queues, as the AMI watcher records it
    clock.now += 1000;
    assert.equal((await state.phoneCall({ channelId: '1796.1', agentId: 'a1', direction: 'out', peer: 'a2', startedAt: clock.now - 5000, answeredAt: clock.now - 4000 })).ok, true);
    assert.equal((await state.phoneCall({ channelId: '1796.1', agentId: 'a1', direction: 'out', peer: 'a2', startedAt: clock.now - 5000 })).ok, false, 'recorded once');
    await h.writer.catchUp();
    const withPhone = (await h.reports.agents(range, {})).find((a) => a.agentId === 'a1');
    assert.deepEqual([withPhone.nonQueueCallsMade, withPhone.nonQueueCallsTaken], [1, 0]);
    const list = await h.reports.calls(range, {}, 100, undefined, false);
    assert.deepEqual(list.calls.map((c) => [c.callId, c.entry, c.outcome, c.agentId]), [
      ['c1', 'arrival', 'answered', 'a1'], ['c2', 'arrival', 'answered', 'a1'], ['c3', 'arrival', 'abandoned_waiting', null],
      ['c4', 'arrival', 'abandoned_waiting', null], ['c6', 'arrival', 'abandoned_ringing', null],
      ['c5', 'arrival', 'transferred', 'a1'], ['c5', 'agent_transfer', 'answered', 'a2']]);
    const c6 = list.calls.find((c) => c.callId === 'c6');
    assert.deepEqual([c6.offeredTo, c6.ringMs, c6.waitMs], [['a2'], 3000, 5000]);
    const missed = await h.reports.missed(range, {});
    assert.deepEqual(missed.map((m) => m.callerNumber), ['+33c3', '+33c4', '+33c6']);
    const sessions = await count("SELECT count(*) AS n FROM agent_sessions WHERE logout_at IS NULL AND queue_id = 'q1'");
    assert.equal(sessions, 2);
  });

  it('given every entry folded again, and two writers racing on the same history, no row is doubled and the cursor is the last entry', async () => {
    const a = history('ctl-a');
    const b = history('ctl-b');
    await a.start();
    await b.start();
    await playDay(state, clock);
    await Promise.all([a.writer.catchUp(), b.writer.catchUp()]);
    const total = (await redis.xlen(state.keys.events()));
    assert.equal(a.writer.status.folded + b.writer.status.folded, total, 'each entry folded by exactly one of the two');
    // the cursor is what makes it exactly once: rewinding the consumer group redelivers everything, folding nothing
    await redis.xgroup('SETID', state.keys.events(), 'history', '0');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await a.writer.catchUp() + await b.writer.catchUp(), 0);
    const r = await a.reports.queues(range, {}, 'day');
    assert.deepEqual(r.rows, [EXPECTED_Q1]);
    assert.deepEqual((await a.reports.queues(range, {}, 'day', 'calls')).rows, [EXPECTED_Q1]);
    assert.equal(await count('SELECT count(*) AS n FROM queue_calls'), 7);
    assert.equal(await count('SELECT count(DISTINCT stream_id) AS n FROM call_events'), await count('SELECT count(*) AS n FROM call_events'));
    const last = (await redis.xrevrange(state.keys.events(), '+', '-', 'COUNT', 1))[0][0];
    assert.equal((await admin.query(`SELECT stream_id FROM ${schema}.history_cursor`)).rows[0].stream_id, last);
  });

  it('given the database unreachable, calls go on, the writer waits, warns about the backlog, and catches up later with nothing lost', async () => {
    const down = history('ctl-a', { databaseUrl: 'postgres://postgres@127.0.0.1:1/acd' });
    await down.start();   // migrations retry in the background; nothing throws at the caller
    await playDay(state, clock);
    await assert.rejects(down.writer.catchUp());
    // with a stream cap this small, the backlog is past 80% of it: warned
    const warned: unknown[] = [];
    const w = down.writer as unknown as { opts: { streamCap: number }; log: { warn: (...a: unknown[]) => void } };
    w.opts.streamCap = 10;
    w.log = { warn: (...a: unknown[]) => warned.push(a) } as never;
    await redis.xgroup('CREATE', state.keys.events(), 'history', '0', 'MKSTREAM').catch(() => undefined);
    assert.ok(await down.writer.checkBacklog() >= 10);
    assert.equal(warned.length, 1);
    await down.stop();
    const up = history('ctl-b');
    await up.start();
    await up.writer.catchUp();
    assert.deepEqual((await up.reports.queues(range, {}, 'day')).rows, [EXPECTED_Q1]);
  });

  it('given the day written as queue_log, the lines are app_queue\'s, and a crash between append and position writes no line twice', async () => {
    const h = history('ctl-a');
    await h.start();
    await playDay(state, clock);
    await h.writer.catchUp();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acd-ql-')), 'queue_log');
    const ql = new QueueLogFile(h.pool, schema, file, log);
    await ql.flush();
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.trim().split('\n');
    const t = (ms: number) => String(Math.floor((T0 + ms) / 1000));
    const of = (callid: string) => lines.filter((l) => l.split('|')[1] === callid);
    assert.deepEqual(of('c1'), [
      `${t(0)}|c1|q1|NONE|ENTERQUEUE||+33c1|1`,
      `${t(5000)}|c1|q1|Agent/a1|CONNECT|5|c1|0`,
      `${t(65_000)}|c1|q1|Agent/a1|COMPLETECALLER|5|60|1`,
    ]);
    assert.deepEqual(of('c2').map((l) => l.split('|').slice(4).join('|')), ['ENTERQUEUE||+33c2|1', 'CONNECT|15|c2|0', 'COMPLETEAGENT|15|30|1']);
    assert.deepEqual(of('c4').map((l) => l.split('|').slice(4).join('|')), ['ENTERQUEUE||+33c4|1', 'ABANDON|1|1|30']);
    assert.deepEqual(of('c5').map((l) => l.split('|').slice(3).join('|')), ['NONE|ENTERQUEUE||+33c5|1', 'Agent/a1|CONNECT|1|c5|0', 'Agent/a1|BLINDTRANSFER|a2|agent|1|2|1']);
    const agentLines = lines.filter((l) => l.split('|')[1] === 'NONE' && l.split('|')[3] === 'Agent/a1').map((l) => l.split('|').slice(2).join('|'));
    assert.deepEqual(agentLines, ['NONE|Agent/a1|AGENTLOGIN|PJSIP/a1', 'q1|Agent/a1|ADDMEMBER|', 'q1|Agent/a1|PAUSE|lunch', 'q1|Agent/a1|UNPAUSE|lunch']);
    // the process died after appending, before recording its position: the next flush cuts the file back and goes on
    const pos = fs.readFileSync(`${file}.pos`, 'utf8');
    fs.appendFileSync(file, lines.slice(-3).join('\n') + '\n');
    fs.writeFileSync(`${file}.pos`, pos);
    await ql.flush();
    await ql.flush();
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'every line once');
  });

  it('given the stream trimmed past the cursor during an outage, the gap is recorded, not hidden', async () => {
    const h = history('ctl-a');
    await h.start();
    await state.agentLogin('a1', ['q1']);
    await h.writer.catchUp();
    h.writer.stop();   // as good as a database away: nothing folds while the day goes on
    await playDay(state, clock);
    await redis.xtrim(state.keys.events(), 'MAXLEN', 5);
    await h.writer.catchUp();
    assert.equal(await count('SELECT count(*) AS n FROM history_gaps'), 1);
  });

  it('given 14 months of history and a clock moved to the next month, retention drops the oldest month and keeps 13', async () => {
    const now = { t: Date.parse('2026-03-15T12:00:00Z') };
    const h = history('ctl-a', { now: () => now.t });
    await h.start();
    for (let m = 0; m < 14; m++) {
      clock.now = Date.UTC(2025, 1 + m, 10, 9);   // 2025-02 .. 2026-03
      const id = `m${m}`;
      await state.enqueue({ callId: id, queueId: 'q1', node: 'n', callerNumber: id, callerName: '', channelId: id });
      clock.now += 1000;
      await state.abandon(id);
    }
    await h.writer.catchUp();
    assert.deepEqual(await h.applyRetention(), ['202502'], '2025-02 is the 14th month back from 2026-03');
    assert.equal(await count('SELECT count(*) AS n FROM queue_calls'), 13);
    assert.equal(await count("SELECT count(*) AS n FROM queue_slots WHERE slot < '2025-03-01'"), 0, 'the slots of the month dropped go too');
    assert.equal(await count('SELECT count(*) AS n FROM queue_slots'), 13);
    now.t = Date.parse('2026-04-01T00:00:01Z');
    assert.deepEqual(await h.applyRetention(), ['202503']);
    assert.equal(await count('SELECT count(*) AS n FROM queue_calls'), 12);
    assert.equal((await h.partitions.months(h.pool))[0], '202504');
    assert.equal(monthOf(now.t), '202604');
  });
});
