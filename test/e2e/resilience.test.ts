import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from '../support/env';
import { bridgeOfCall } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
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
});
