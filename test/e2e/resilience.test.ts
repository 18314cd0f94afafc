import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from '../support/env';
import { bridgeOfCall } from './harness/asterisk';
import { ADMIN_TOKEN, SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SCRIPTS = path.resolve(__dirname, '../../../scripts');

/** Cut the controller's ARI WebSocket (and any HTTP keep-alive) again and again for `ms`. */
async function ariOutage(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { execFileSync('ss', ['-K', `dport = :${TEST_ENV.ariPort}`], { stdio: 'ignore' }); } catch { /* nothing to kill */ }
    await sleep(30);
  }
}

describe('nothing lost: ARI reconnects and Redis blips (real SIP)', function () {
  this.timeout(60_000);
  const run = new TestRun();

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'res', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8601' }],
      agents: [],
      users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales'] }],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given a caller who hangs up while the controller\'s ARI connection is down, reconcile ends that call, frees the agent and serves the waiting caller', async () => {
    const port = allocatePort();
    const phone = run.track(startAgentPhone({ port, calls: 2 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    // the first caller talks to a1 and hangs up about 3 s after being answered by the ACD
    run.track(startCaller({ extension: '8601', callerNumber: '15550301', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 3000 }));
    const first = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'first call answered');
    run.track(startCaller({ extension: '8601', callerNumber: '15550302', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const second = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550302');

    await ariOutage(3500);                      // the first caller's BYE falls inside the outage
    const ended = await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === first.callId, 10_000, 'first call ended by reconcile');
    assert.equal(ended.endedBy, 'caller');
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === second.callId, 10_000, 'waiting caller served');
    assert.equal(answered.agentId, 'a1');
    assert.ok(await eventually(() => bridgeOfCall(second.callId).then((b) => b?.channels.length === 2), 5000, 'bridged'));
    assert.ok(run.ctl.logs().includes('ARI disconnected'), 'the connection really dropped');
    assert.equal(phone.invites().length, 2);
  });

  it('given Redis restarts while a caller waits, the caller is still waiting afterwards and is served when an agent logs in', async () => {
    run.track(startCaller({ extension: '8601', callerNumber: '15550303', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued');
    const env = { ...process.env, ACD_REDIS_PORT: String(TEST_ENV.redisPort) };
    execFileSync('redis-cli', ['-p', String(TEST_ENV.redisPort), 'shutdown'], { stdio: 'ignore' });   // flushes the AOF
    await sleep(1500);
    execFileSync('bash', [path.join(SCRIPTS, 'redis.sh'), 'start'], { env, stdio: 'ignore' });
    await eventually(async () => (await fetch(`${run.ctl.api}/health`)).status === 200, 10_000, 'healthy again');

    const list = await run.ctl.ok('GET', '/queues/sales/calls');
    assert.deepEqual(list.calls.map((c: any) => c.callId), [queued.callId], 'the caller survived the Redis restart');
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 1 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'served after the blip');
    assert.equal(answered.callId, queued.callId);
  });

  it('given Redis down, when clients send requests, then each answers 503 STATE_UNAVAILABLE at once, /health says Redis is down, the outage is logged once, and nothing is applied when Redis returns', async function () {
    // its own Redis: stopping the run's shared one would disturb every other test
    const port = allocatePort();
    const env = { ...process.env, ACD_REDIS_PORT: String(port) };
    const redis = (cmd: 'start' | 'stop') => execFileSync('bash', [path.join(SCRIPTS, 'redis.sh'), cmd], { env, stdio: 'ignore' });
    redis('start');
    try {
      await run.end(this);   // the beforeEach controller uses the shared Redis: this test starts its own
      const ctl = await run.start('res-outage', {
        queues: [{ id: 'sales', name: 'Sales', extension: '8611' }],
        agents: [{ id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5990' } }],
        users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales'] }],
      }, { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
      await ctl.ok('POST', '/agents/a1/login');
      const settings = await ctl.ok('GET', '/settings');
      const before = await ctl.agentState('a1');

      execFileSync('redis-cli', ['-p', String(port), 'shutdown'], { stdio: 'ignore' });
      const tries: [string, string, unknown, string?][] = [
        ['POST', '/agents/a1/pause', { reason: 'lunch' }],
        ['POST', '/agents/a1/logout', undefined, SUPERVISOR_TOKEN],
        ['POST', '/queues', { id: 'late', name: 'Late', extension: '8612' }],
        ['PUT', '/settings', { allowUnassignedQueueLogin: !settings.allowUnassignedQueueLogin }],
        ['POST', '/pause-reasons', { code: 'late', name: 'Late' }],
        ['GET', '/agents/a1', undefined],
      ];
      const answeredMs: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [method, route, body, token] of tries) {
          const t0 = Date.now();
          // the bound is the client's patience: a request not answered within 1.5 s fails here
          const res = await fetch(`${ctl.api}${route}`, {
            method, signal: AbortSignal.timeout(1500),
            headers: { authorization: `Bearer ${token ?? ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          answeredMs.push(Date.now() - t0);
          const json = await res.json() as any;
          assert.deepEqual([res.status, json.error?.code], [503, 'STATE_UNAVAILABLE'], `${method} ${route} during the outage`);
        }
        if (round === 0) await sleep(2000);   // the first round right after the stop, the others well into the outage
      }
      const health = await fetch(`${ctl.api}/health`, { signal: AbortSignal.timeout(1500) });
      const h = await health.json() as any;
      assert.equal(health.status, 503);
      assert.deepEqual([h.redis.connected, h.down], [false, ['redis']], '/health answers and names what is down');
      // (the environment's admin token needs no Redis to check; a stored token does)
      const ws = await ctl.events(SUPERVISOR_TOKEN).then(() => 'opened', (err: Error) => err.message);
      assert.match(ws, /503/, 'a WebSocket on a stored token is refused at once too');

      redis('start');
      await eventually(async () => (await fetch(`${ctl.api}/health`)).status === 200, 15_000, 'healthy again');
      await sleep(2000);   // anything queued would have been applied by now
      const after = await ctl.agentState('a1');
      assert.deepEqual([after.state, after.reason], [before.state, before.reason], 'neither the pause nor the logout was applied later');
      assert.equal((await ctl.request('GET', '/queues/late')).status, 404, 'the queue was not created later');
      assert.deepEqual(await ctl.ok('GET', '/settings'), settings, 'the settings were not changed later');
      assert.ok(!(await ctl.ok('GET', '/pause-reasons')).pauseReasons.some((r: any) => r.code === 'late'), 'the pause reason was not added later');
      // and the controller works again: the same pause now goes through
      assert.equal((await ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' })).state, 'paused');

      const lines = ctl.logs().split('\n');
      const lost = lines.filter((l) => l.includes('Redis connection lost'));
      const perConnection = new Map<string, number>();
      for (const l of lost) { const c = JSON.parse(l).connection; perConnection.set(c, (perConnection.get(c) ?? 0) + 1); }
      assert.ok(lost.length > 0 && [...perConnection.values()].every((n) => n === 1), `one line per connection per outage: ${JSON.stringify([...perConnection])}`);
      assert.ok(!lines.some((l) => l.includes('Unhandled error event')), 'no unhandled ioredis errors');
      process.stdout.write(`      answered during the outage in ${Math.min(...answeredMs)}-${Math.max(...answeredMs)} ms; outage log lines: ${lost.length} (${perConnection.size} connections)\n`);
    } finally {
      redis('stop');
    }
  });

  it('given a connected call, when the ARI connection drops during an in-call action, then the action answers 503 ASTERISK_UNAVAILABLE, never 500', async () => {
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 1 }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'A', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    run.track(startCaller({ extension: '8601', callerNumber: '15550304', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 10_000, 'call answered');
    const outage = ariOutage(3000);
    const answers = new Map<string, number>();
    while (!answers.has('503 ASTERISK_UNAVAILABLE')) {
      const r = await run.ctl.request('POST', `/calls/${answered.callId}/dtmf`, { digits: '1' });
      const k = `${r.status} ${r.body?.error?.code ?? ''}`.trim();
      answers.set(k, (answers.get(k) ?? 0) + 1);
      if (r.status >= 500 && k !== '503 ASTERISK_UNAVAILABLE') break;
      await sleep(20);
    }
    await outage;
    assert.deepEqual([...answers.keys()].filter((k) => !['204', '503 ASTERISK_UNAVAILABLE'].includes(k)), [], `answers: ${JSON.stringify([...answers])}`);
    assert.ok(answers.has('503 ASTERISK_UNAVAILABLE'));
  });
});
