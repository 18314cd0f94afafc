import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { ADMIN_TOKEN, AcdEventMsg, Controller, EventLog, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const TOKENS = {
  admin: ADMIN_TOKEN,
  sam: 'sec-sup-sam-token-000001',   // supervises sales (limitToAssignedQueues on, the default)
  una: 'sec-sup-una-token-000001',   // supervises support, limitToAssignedQueues off: every queue
  al: 'sec-agent-al-token-00001',    // agent a1 (sales)
  bo: 'sec-agent-bo-token-00001',    // agent a2 (support)
};
type Who = keyof typeof TOKENS;

const staticPhone = (id: string, port: number) => ({ mode: 'static', contact: `sip:${id}@127.0.0.1:${port}` });

/**
 * The REST read that shows the same thing as an event: received over the WebSocket ⇔ this read
 * answers 200 for the same user. Queue events: the queue's figures (or, for one's own call, the call).
 * registry.* and token.* are the configuration change log: /users, admins only.
 */
function readsFor(e: AcdEventMsg): string[] {
  switch (e.type.split('.')[0]) {
    case 'token': return [`/users/${e.userId}/tokens`];
    case 'registry': return ['/users'];
    case 'agent': return [`/agents/${e.agentId}`];
    case 'monitor': return [`/monitors/${e.monitorId}`];
    case 'callback': return [`/callbacks/${e.callbackId}`];
    case 'call': return [...(e.queueId ? [`/queues/${e.queueId}/stats`] : []), `/calls/${e.callId}`];
    default: throw new Error(`no REST read known for ${e.type}`);
  }
}

describe('security: WebSocket events and sessions follow what a user may read and hold (real SIP)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const logs: EventLog[] = [];
  const open = async (ctl: Controller, token: string, options = {}) => { const l = await ctl.events(token, options); logs.push(l); return l; };
  afterEach(async function () { logs.splice(0).forEach((l) => l.close()); await run.end(this); });

  it('given clients of each role, when calls, callbacks, state changes and token changes happen in two queues, then each client receives exactly the events its user may read over REST', async () => {
    const p1 = allocatePort();
    const p2 = allocatePort();
    const ctl = await run.start('sec-privacy', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8701' }, { id: 'support', name: 'Support', extension: '8702', callbacks: { enabled: true } }],
      agents: [
        { id: 'a1', name: 'Al', queues: ['sales'], phone: staticPhone('a1', p1) },
        { id: 'a2', name: 'Bo', queues: ['support'], phone: staticPhone('a2', p2) },
      ],
      users: [
        { id: 'sam', role: 'supervisor', token: TOKENS.sam, supervisedQueues: ['sales'] },
        { id: 'una', role: 'supervisor', token: TOKENS.una, supervisedQueues: ['support'], permissions: { limitToAssignedQueues: false } },
        { id: 'al', role: 'agent', agentId: 'a1', token: TOKENS.al },
        { id: 'bo', role: 'agent', agentId: 'a2', token: TOKENS.bo },
      ],
    });
    const seen = {} as Record<Who, EventLog>;
    for (const who of Object.keys(TOKENS) as Who[]) seen[who] = await open(ctl, TOKENS[who]);
    const admin = seen.admin;

    // the script: a call in each queue, a callback request, agents' state changes, a token and a pause reason
    run.track(startAgentPhone({ port: p1, calls: 1 }));
    run.track(startAgentPhone({ port: p2, calls: 1 }));
    await ctl.ok('POST', '/agents/a1/login', undefined, TOKENS.al);
    await ctl.ok('POST', '/agents/a2/login', undefined, TOKENS.bo);
    run.track(startCaller({ extension: '8701', callerNumber: '15550701', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    run.track(startCaller({ extension: '8702', callerNumber: '15550702', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    for (const q of ['sales', 'support']) await admin.waitFor((e) => e.type === 'call.ended' && e.queueId === q, 20_000, `${q} call ended`);
    const cb = await ctl.ok('POST', '/callbacks', { queueId: 'support', number: '15550703' }, TOKENS.una);
    await ctl.ok('POST', `/callbacks/${cb.id}/cancel`, undefined, TOKENS.una);
    await ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' }, TOKENS.sam);
    await ctl.ok('POST', '/agents/a2/logout', undefined, TOKENS.una);
    const t = await ctl.ok('POST', '/users/una/tokens', { label: 'spare' });
    await ctl.ok('DELETE', `/users/una/tokens/${t.tokenId}`);
    await ctl.ok('POST', '/pause-reasons', { code: 'coaching', name: 'Coaching' });
    await admin.waitFor((e) => e.type === 'registry.changed' && e.definitionId === 'coaching', 5000, 'the last event');
    await sleep(500);

    const key = (e: AcdEventMsg) => JSON.stringify(e);
    const all = admin.changes;
    assert.ok(all.some((e) => e.type === 'call.answered' && e.queueId === 'sales') && all.some((e) => e.type === 'call.answered' && e.queueId === 'support'), 'both calls were answered');
    const cache = new Map<string, boolean>();
    const mayRead = async (who: Who, e: AcdEventMsg) => {
      for (const url of readsFor(e)) {
        const k = `${who} ${url}`;
        if (!cache.has(k)) cache.set(k, (await ctl.request('GET', url, undefined, TOKENS[who])).status === 200);
        if (cache.get(k)) return true;
      }
      return false;
    };
    const report: string[] = [];
    for (const who of ['sam', 'una', 'al', 'bo'] as Who[]) {
      const got = new Set(seen[who].changes.map(key));
      const wrong: string[] = [];
      let received = 0;
      for (const e of all) {
        const should = await mayRead(who, e);
        if (got.has(key(e))) received++;
        if (should !== got.has(key(e))) wrong.push(`${should ? 'missed' : 'leaked'} ${e.type} ${e.queueId ?? e.agentId ?? ''}`);
      }
      assert.deepEqual(seen[who].changes.filter((e) => !all.some((a) => key(a) === key(e))), [], `${who}: nothing the admin did not get`);
      assert.deepEqual(wrong, [], `${who}: events vs REST reads`);
      report.push(`${who} ${received}/${all.length}`);
      assert.ok(received > 0 && received < all.length, `${who} receives some events and not others (${received}/${all.length})`);
    }
    // the details the issue names: no caller number outside the queue, no token or registry event to non-admins
    assert.ok(!seen.sam.changes.some((e) => e.callerNumber === '15550702'), 'the sales supervisor never sees the support caller');
    assert.ok(seen.una.changes.some((e) => e.callerNumber === '15550701'), 'the supervisor without the limit sees every queue');
    assert.ok(!seen.al.changes.some((e) => e.queueId === 'support' || e.agentId === 'a2'), 'agent a1 sees nothing of support or of agent a2');
    for (const who of ['sam', 'una', 'al', 'bo'] as Who[]) assert.ok(!seen[who].changes.some((e) => /^(token|registry)\./.test(e.type)), `${who}: no token or registry events`);
    // metrics pushes follow the same queue scope
    assert.ok(!seen.sam.all.some((e) => e.type === 'metrics.queue' && e.queueId === 'support'), 'no support figures to the sales supervisor');
    process.stdout.write(`      events received of ${all.length}: ${report.join(', ')}\n`);
  });

  it('given open sockets, when a token is revoked on another controller, or a user is deleted or demoted, then those sockets close (4001/4003) and the others stay open', async () => {
    // how fast they close is a figure (printed below), not a pass mark: a close is awaited like any event
    const closes = <T>(closed: Promise<T>, what: string) =>
      Promise.race([closed, sleep(10_000).then(() => { throw new Error(`${what}: not closed within 10 s`); })]) as Promise<T>;
    const ctl = await run.start('sec-revoke', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8711' }],
      agents: [{ id: 'a1', name: 'Al', queues: ['sales'], phone: staticPhone('a1', 5990) }],
      users: [{ id: 'sam', role: 'supervisor', token: TOKENS.sam, supervisedQueues: ['sales'] }],
    });
    const second = await Controller.alongside(ctl, allocatePort());
    try {
      const a = await ctl.ok('POST', '/users/sam/tokens', { label: 'laptop' });
      const b = await ctl.ok('POST', '/users/sam/tokens', { label: 'phone' });
      const onSecond = await open(second, a.token);
      const otherToken = await open(second, b.token);
      const configToken = await open(ctl, TOKENS.sam);
      const revokedAt = Date.now();
      await ctl.ok('DELETE', `/users/sam/tokens/${a.tokenId}`);
      const closed = await closes(onSecond.closed, 'the revoked token\'s socket on the other controller');
      assert.equal(closed.code, 4001);
      const revocationMs = closed.at - revokedAt;
      await sleep(300);
      assert.equal(otherToken.ws.readyState, otherToken.ws.OPEN, 'a socket on another token of the same user stays open');
      assert.equal(configToken.ws.readyState, configToken.ws.OPEN);
      assert.equal((await ctl.request('GET', '/queues', undefined, a.token)).status, 401, 'the token is refused over REST too');

      // a demotion (supervisor → agent) ends every session of the user; a scope change does not
      await ctl.ok('POST', '/users', { id: 'vic', role: 'supervisor', supervisedQueues: ['sales'] });
      const v = await ctl.ok('POST', '/users/vic/tokens', {});
      const vic = await open(second, v.token);
      await ctl.ok('PUT', '/users/vic', { role: 'supervisor', supervisedQueues: [] });
      await sleep(500);
      assert.equal(vic.ws.readyState, vic.ws.OPEN, 'a change of queues keeps the session');
      await ctl.ok('POST', '/agents/a1/login');
      await sleep(300);
      assert.ok(!vic.changes.some((e) => e.type === 'agent.state'), 'and applies at once: sales is no longer vic\'s');
      const demotedAt = Date.now();
      await ctl.ok('PUT', '/users/vic', { role: 'agent', agentId: 'a1' });
      const demoted = await closes(vic.closed, 'the demoted user\'s socket');
      assert.equal(demoted.code, 4003);

      const deletedAt = Date.now();
      await ctl.ok('DELETE', '/users/sam');
      const gone = await Promise.all([otherToken.closed, configToken.closed].map((c) => closes(c, 'the deleted user\'s sockets, on both controllers')));
      process.stdout.write(`      socket closed after: revocation ${revocationMs} ms, demotion ${demoted.at - demotedAt} ms, deletion ${Math.max(...gone.map((g) => g.at)) - deletedAt} ms\n`);
    } finally {
      await second.kill();
    }
  });

  it('given a client that stops answering pings, or sends an oversized message, then it is disconnected while a live client stays', async () => {
    const ctl = await run.start('sec-heartbeat', { queues: [{ id: 'sales', name: 'Sales', extension: '8721' }], agents: [], users: [] },
      { env: { ACD_WS_PING_MS: '300', ACD_WS_MAX_PAYLOAD_BYTES: '1024' } });
    const dead = await open(ctl, ADMIN_TOKEN, { autoPong: false });
    const live = await open(ctl, ADMIN_TOKEN);
    const talker = await open(ctl, ADMIN_TOKEN);
    const dropped = await Promise.race([dead.closed, sleep(5000).then(() => undefined)]);
    assert.ok(dropped, 'a client that never pongs is dropped');
    assert.equal(live.ws.readyState, live.ws.OPEN, 'a client that answers pings stays');
    talker.ws.send('x'.repeat(4096));
    const big = await Promise.race([talker.closed, sleep(3000).then(() => undefined)]);
    assert.equal(big?.code, 1009, 'a message over the size limit closes the socket (1009, message too big)');
    assert.equal(live.ws.readyState, live.ws.OPEN);
  });

  it('given a config user deleted and a config token revoked through the API, when the controller restarts, then both stay gone', async () => {
    const gone = 'sec-gone-user-token-00001';
    const kept = 'sec-kept-user-token-00001';
    const ctl = await run.start('sec-seed', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8731' }], agents: [],
      users: [
        { id: 'gone', role: 'supervisor', token: gone, supervisedQueues: ['sales'] },
        { id: 'kept', role: 'supervisor', token: kept, supervisedQueues: ['sales'] },
      ],
    });
    const [configToken] = (await ctl.ok('GET', '/users/kept/tokens')).tokens;
    await ctl.ok('DELETE', '/users/gone');
    await ctl.ok('DELETE', `/users/kept/tokens/${configToken.tokenId}`);
    const fresh = await ctl.ok('POST', '/users/kept/tokens', { label: 'issued through the API' });
    await ctl.kill();
    await ctl.launch();
    assert.equal((await ctl.request('GET', '/users/gone')).status, 404, 'the deleted user was not seeded again');
    assert.equal((await ctl.request('GET', '/queues', undefined, gone)).status, 401, 'nor its token');
    assert.equal((await ctl.request('GET', '/queues', undefined, kept)).status, 401, 'the revoked config token was not issued again');
    assert.deepEqual((await ctl.ok('GET', '/users/kept/tokens')).tokens.map((t: any) => t.tokenId), [fresh.tokenId]);
    assert.equal((await ctl.request('GET', '/queues', undefined, fresh.token)).status, 200, 'the token issued through the API still works');
    assert.ok(ctl.logs().includes('was deleted through the API: not recreated'), 'the start-up log says why');
    // an API-created user with the same id as a deleted config user is an ordinary user again
    await ctl.ok('POST', '/users', { id: 'gone', role: 'supervisor' });
    await ctl.kill();
    await ctl.launch();
    assert.equal((await ctl.request('GET', '/users/gone')).status, 200);
    assert.equal((await ctl.request('GET', '/queues', undefined, gone)).status, 401, 'its old config token stays revoked');
    await eventually(async () => (await fetch(`${ctl.api}/health`)).status === 200, 5000, 'healthy');
  });
});
