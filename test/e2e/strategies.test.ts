import assert from 'node:assert/strict';
import { seededRandom } from '../../src/routing/strategies';
import { TEST_ENV } from '../support/env';
import { SUPERVISOR_TOKEN } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SEED = 20261121;

describe('routing strategies distribute calls as they say (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  let n = 0;

  async function start(title: string, queue: object) {
    await run.start(title, {
      queues: [{ id: 'q', name: 'Q', extension: '8991', ...queue }], agents: [], users: [{ id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['q'] }],
    }, { env: { ACD_RANDOM_SEED: String(SEED) } });
  }
  /** An agent whose phone answers every call and hangs up after `talkMs`. */
  async function agent(id: string, talkMs = 300, login = true) {
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 10, hangupAfterMs: talkMs }));
    await run.ctl.ok('POST', '/agents', { id, name: id, queues: ['q'], phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` } });
    if (login) await run.ctl.ok('POST', `/agents/${id}/login`);
  }
  /** One call at a time: returns the agent each was offered to. */
  async function calls(count: number): Promise<string[]> {
    const offered: string[] = [];
    for (let i = 0; i < count; i++) {
      run.track(startCaller({ extension: '8991', callerNumber: `1555070${n++}`, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 30_000 }));
      const q = await run.events.waitFor((e) => e.type === 'call.queued' && !offered.includes(e.callId) && !run.events.all.some((x) => x.type === 'call.ended' && x.callId === e.callId), 10_000, 'queued');
      const o = await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === q.callId, 10_000, 'offered');
      await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === q.callId, 15_000, 'ended');
      await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === o.agentId && e.state === 'ready' && Date.parse(e.at) >= Date.parse(o.at), 5000, 'ready again');
      offered.push(o.agentId);
    }
    return offered;
  }

  afterEach(function () { return run.end(this); });

  it('round-robin goes around the agents after the last one offered, whoever has been idle longest', async () => {
    await start('round-robin', { strategy: 'round-robin' });
    await agent('a3');                     // idle longest: longest-idle would pick it first
    await agent('a1');
    await agent('a2');
    assert.deepEqual(await calls(4), ['a1', 'a2', 'a3', 'a1']);
  });

  it('linear always rings the first ready agent of the fixed order', async () => {
    await start('linear', { strategy: 'linear', agentOrder: ['a2', 'a3', 'a1'] });
    await agent('a1'); await agent('a2'); await agent('a3');
    assert.deepEqual(await calls(3), ['a2', 'a2', 'a2']);
  });

  it('fewest-calls rings the agents with the fewest calls today first', async () => {
    await start('fewest', { strategy: 'fewest-calls' });
    await agent('a1');
    assert.deepEqual(await calls(2), ['a1', 'a1']);
    await agent('a2'); await agent('a3');
    // a2 and a3 have none (a2 idle longer), then each has one and a1 two: a2 again (idle longer than a3)
    assert.deepEqual(await calls(3), ['a2', 'a3', 'a2']);
  });

  it('least-talk-time rings the agent who talked least today', async () => {
    await start('least-talk', { strategy: 'least-talk-time' });
    await agent('a1', 2500);
    await agent('a2', 400, false);
    await agent('a3', 400, false);
    assert.deepEqual(await calls(1), ['a1']);                 // a1 talks 2.5 s
    await run.ctl.ok('POST', '/agents/a2/login');
    await run.ctl.ok('POST', '/agents/a3/login');
    // a2 and a3 have not talked: a2 (idle longer); then a3 (no talk) before a1 and a2
    assert.deepEqual(await calls(2), ['a2', 'a3']);
  });

  it('random draws among the ready agents; with a known seed the draws are known', async () => {
    await start('random', { strategy: 'random' });
    await agent('a1'); await agent('a2'); await agent('a3');
    const draw = seededRandom(SEED);
    const expected = Array.from({ length: 6 }, () => ['a1', 'a2', 'a3'][Math.floor(draw() * 3)]);
    assert.deepEqual(await calls(6), expected);
  });
});
