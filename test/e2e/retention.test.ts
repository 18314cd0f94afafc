import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { TEST_ENV } from '../support/env';
import { staticEndpoint } from './harness/asterisk';
import { eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SUP_TOKEN = 'retention-sup-token-000001';
const AGENTS = 12;
const CALLS = 200;
const CALLBACKS = 100;
const MONITORS = 20;
const RETENTION_SEC = 20;

/**
 * Day figures (metrics:queue:<q>:<day>, metrics:agent:<a>:<day>) are one key per queue or agent
 * and day, expiring 3 days after it: they do not grow with calls. Everything else must be gone.
 */
const isDayFigure = (key: string) => /:metrics:(queue|agent):[^:]+:\d{4}-\d{2}-\d{2}$/.test(key);

describe('nothing grows forever: Redis after a few hundred calls, callbacks and monitors (real SIP)', function () {
  this.timeout(300_000);
  const run = new TestRun();
  let redis: Redis;
  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  afterEach(function () { return run.end(this); });

  const keysOf = async (prefix: string) => {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out.sort();
  };

  it(`given retention of ${RETENTION_SEC} s, when ${CALLS} calls, ${CALLBACKS} callback requests and ${MONITORS} monitors have come and gone, then after the retention the keys are those of before`, async () => {
    const phonePort = allocatePort();
    const supPort = allocatePort();
    const agents = Array.from({ length: AGENTS }, (_, i) => ({
      id: `r${i + 1}`, name: `R${i + 1}`, queues: ['sales'], phone: { mode: 'static', contact: `sip:r${i + 1}@127.0.0.1:${phonePort}` },
    }));
    const ctl = await run.start('retention', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8741', callbacks: { enabled: true, preferLastAgent: true } }],
      agents,
      users: [{ id: 'sup', role: 'supervisor', token: SUP_TOKEN, supervisedQueues: ['sales'], endpoint: 'PJSIP/ret-sup' }],
    }, { env: { ACD_RECORD_RETENTION_SEC: String(RETENTION_SEC), ACD_CALLBACK_RETENTION_SEC: String(RETENTION_SEC), ACD_LAST_AGENT_RETENTION_SEC: String(RETENTION_SEC) } });
    // one SIPp UAS answers for every agent (their contacts all point at it), one for the supervisor
    run.track(startAgentPhone({ port: phonePort, calls: CALLS + 50 }));
    run.track(startAgentPhone({ port: supPort, calls: MONITORS + 10 }));
    await staticEndpoint('ret-sup', supPort);
    for (const a of agents) await ctl.ok('POST', `/agents/${a.id}/login`);
    // a first call creates what each queue keeps once (its routing memory): the baseline is after it
    run.track(startCaller({ extension: '8741', callerNumber: '15551999', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 500 }));
    await run.events.waitFor((e) => e.type === 'call.ended', 15_000, 'the first call ended');
    await sleep(1000);
    const baseline = await keysOf(ctl.prefix);
    const seenBefore = run.events.all.length;

    // callers with distinct numbers (each leaves a last-agent memory), about 2 s of talk each
    run.track(startCaller({ extension: '8741', callerNumber: '1555200[call_number]', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 2000, calls: CALLS, rateMs: 100 }));
    // monitors on calls just answered
    const monitored = new Set<string>();
    let started = 0;
    while (started < MONITORS) {
      const fresh = run.events.all.filter((e) => e.type === 'call.answered' && !monitored.has(e.callId) && Date.now() - Date.parse(e.at) < 800);
      for (const e of fresh.slice(0, MONITORS - started)) {
        monitored.add(e.callId);
        const r = await ctl.request('POST', `/calls/${e.callId}/monitor`, { mode: 'listen' }, SUP_TOKEN);
        if (r.status === 201) started++;
      }
      if (run.events.all.slice(seenBefore).filter((e) => e.type === 'call.ended').length >= CALLS) break;
      await sleep(100);
    }
    await eventually(async () => run.events.all.slice(seenBefore).filter((e) => e.type === 'call.ended' || e.type === 'call.abandoned').length >= CALLS, 120_000, 'every call over');
    await eventually(async () => run.events.all.filter((e) => e.type === 'monitor.ended').length >= started, 20_000, 'every monitor over');
    // callback requests (agents take none: no callbackQueues), half completed, half cancelled
    for (let i = 0; i < CALLBACKS; i++) {
      const cb = await ctl.ok('POST', '/callbacks', { queueId: 'sales', number: `1555300${String(i).padStart(4, '0')}` }, SUP_TOKEN);
      await ctl.ok('POST', `/callbacks/${cb.id}/${i % 2 ? 'complete' : 'cancel'}`, undefined, SUP_TOKEN);
    }
    const busy = await keysOf(ctl.prefix);
    const answered = run.events.all.slice(seenBefore).filter((e) => e.type === 'call.answered').length;
    assert.ok(answered >= CALLS * 0.9, `most calls were answered (${answered})`);
    assert.ok(started >= MONITORS / 2, `monitors were started (${started})`);
    assert.ok(busy.length > baseline.length + CALLS, `right after, Redis holds what is over (${busy.length} keys, ${baseline.length} before)`);
    const finished = await ctl.ok('GET', '/callbacks?state=cancelled', undefined, SUP_TOKEN);
    assert.equal(finished.callbacks.length, CALLBACKS / 2, 'finished callbacks are listed during their retention');

    const settled = await eventually(async () => {
      const now = await keysOf(ctl.prefix);
      const extra = now.filter((k) => !baseline.includes(k) && !isDayFigure(k));
      return extra.length === 0 && now;
    }, (RETENTION_SEC + 30) * 1000, 'back to the keys of before (day figures aside)').catch(async (err) => {
      const now = await keysOf(ctl.prefix);
      throw new Error(`${(err as Error).message}; left: ${now.filter((k) => !baseline.includes(k) && !isDayFigure(k)).slice(0, 20).join(', ')}`);
    });
    const dayFigures = settled.filter((k) => !baseline.includes(k));
    assert.ok(dayFigures.length <= AGENTS + 1, `at most one day-figure key per agent and queue (${dayFigures.length})`);
    assert.deepEqual(await redis.smembers(`${ctl.prefix}callbacks`), [], 'no finished request in the live set');
    assert.equal((await ctl.ok('GET', '/callbacks', undefined, SUP_TOKEN)).callbacks.length, 0, 'nor listed after the retention');
    process.stdout.write(`      keys: ${baseline.length} before, ${busy.length} right after ${answered} answered calls, ${CALLBACKS} callbacks, ${started} monitors; ${settled.length} after ${RETENTION_SEC} s retention (${dayFigures.length} new day-figure keys)\n`);
  });
});
