import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { gzipSync } from 'node:zlib';
import { ADMIN_TOKEN, EventLog, SUPERVISOR_TOKEN, sleep } from './harness/controller';
import { TestRun } from './harness/suite';

const AGENT_TOKEN = 'e2e-agent-token-a1-000002';

describe('control API: bad input gets a clear error and changes nothing', function () {
  this.timeout(30_000);
  const run = new TestRun();

  before(async () => {
    await run.start('api-errors', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8201' }, { id: 'support', name: 'Support', extension: '8202' }],
      agents: [
        { id: 'a1', name: 'One', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } },
        { id: 'a2', name: 'Two', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a2@127.0.0.1:5998' } },
      ],
      users: [
        { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support', 'plain'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
      ],
    });
  });
  after(function () { return run.end(this); });

  /**
   * Runs a bad request and proves nothing changed: same agent states, no new event. The phones'
   * device status is Asterisk's to change (a just-provisioned endpoint may still report): left out.
   */
  async function refused(method: string, route: string, opts: { body?: unknown; raw?: string; token?: string | null }, status: number, code: string) {
    const states = async () => Promise.all(['a1', 'a2'].map(async (id) => { const { device: _device, ...st } = await run.ctl.agentState(id) as any; return st; }));
    const before = await states();
    const seen = run.events.changes.length;
    const r = await run.ctl.request(method, route, opts.body, opts.token === undefined ? undefined : opts.token, opts.raw);
    assert.equal(r.status, status, `${method} ${route}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code);
    assert.equal(typeof r.body.error.message, 'string');
    await sleep(200);
    assert.deepEqual(await states(), before, 'agent states unchanged');
    const deviceOnly = (e: any, i: number) => e.type === 'agent.state' && e.state === before[i]?.state && e.reason === before[i]?.reason;
    const since = run.events.changes.slice(seen).filter((e) => !deviceOnly(e, ['a1', 'a2'].indexOf(e.agentId)));
    assert.deepEqual(since, [], 'no event written (but device updates)');
  }

  it('answers 401 without a token and with a wrong one, REST and WebSocket alike', async () => {
    await refused('POST', '/agents/a1/login', { token: null }, 401, 'UNAUTHORIZED');
    await refused('POST', '/agents/a1/login', { token: 'not-a-valid-token-at-all' }, 401, 'UNAUTHORIZED');
    await refused('GET', '/queues', { token: 'not-a-valid-token-at-all' }, 401, 'UNAUTHORIZED');
    await assert.rejects(EventLog.open(`${run.ctl.api.replace(/^http/, 'ws')}/events`, 'wrong-token'), /401/);
    const ws = new WebSocket(`${run.ctl.api.replace(/^http/, 'ws')}/events?token=${SUPERVISOR_TOKEN}`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.close();
  });

  it('answers 403 to an agent token acting on another agent, or on the agent registry', async () => {
    await refused('POST', '/agents/a2/login', { token: AGENT_TOKEN }, 403, 'FORBIDDEN');
    await refused('POST', '/agents/a2/pause', { token: AGENT_TOKEN, body: { reason: 'lunch' } }, 403, 'FORBIDDEN');
    await refused('GET', '/agents', { token: AGENT_TOKEN }, 403, 'FORBIDDEN');
    await refused('POST', '/agents', { token: SUPERVISOR_TOKEN, body: { id: 'x1', name: 'X', phone: { mode: 'static', contact: 'sip:x@127.0.0.1:5000' } } }, 403, 'FORBIDDEN');
    await refused('DELETE', '/agents/a2', { token: AGENT_TOKEN }, 403, 'FORBIDDEN');
  });

  it('answers 404 for an unknown agent or queue', async () => {
    await refused('POST', '/agents/nobody/login', {}, 404, 'AGENT_NOT_FOUND');
    await refused('GET', '/queues/nowhere', {}, 404, 'QUEUE_NOT_FOUND');
    await refused('GET', '/no/such/route', {}, 404, 'ROUTE_NOT_FOUND');
  });

  it('answers 409 for the wrong state: ready, pause or logout while logged out', async () => {
    await refused('POST', '/agents/a1/ready', {}, 409, 'AGENT_LOGGED_OUT');
    await refused('POST', '/agents/a1/pause', { body: { reason: 'lunch' } }, 409, 'AGENT_LOGGED_OUT');
    await refused('POST', '/agents/a1/logout', {}, 409, 'AGENT_LOGGED_OUT');
  });

  it('answers 422 for a malformed or invalid body', async () => {
    await refused('POST', '/agents/a1/login', { raw: '{"queues": [' }, 422, 'INVALID_JSON');
    await refused('POST', '/agents/a1/login', { body: { queues: 'sales' } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents/a1/login', { body: { queues: ['nowhere'] } }, 422, 'INVALID_REQUEST');
    // not assigned to support, and the organisation setting allowUnassignedQueueLogin is off
    await refused('POST', '/agents/a1/login', { body: { queues: ['support'] } }, 422, 'QUEUE_NOT_ASSIGNED');
    await refused('POST', '/agents/a1/login', { body: { queues: ['sales'], extra: 1 } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents', { body: { id: 'bad id!', name: 'X', phone: { mode: 'static', contact: 'nope' } } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents', { body: { id: 'x2', name: 'X', queues: ['nowhere'], phone: { mode: 'register', password: 'long-enough' } } }, 422, 'INVALID_REQUEST');
    await run.ctl.ok('POST', '/agents/a1/login');
    await refused('POST', '/agents/a1/pause', { body: {} }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents/a1/pause', { body: { reason: 'not a code!' } }, 422, 'INVALID_REQUEST');
    await refused('DELETE', '/agents/a1', {}, 409, 'AGENT_LOGGED_IN');
    await run.ctl.ok('POST', '/agents/a1/logout');
  });

  /** A refused change to the configuration: nothing changed, the queues, agents and settings read as before. */
  async function configRefused(method: string, route: string, body: unknown, status: number, code: string, token?: string) {
    const before = await Promise.all([run.ctl.ok('GET', '/queues'), run.ctl.ok('GET', '/agents'), run.ctl.ok('GET', '/settings')]);
    await refused(method, route, { body, token }, status, code);
    assert.deepEqual(await Promise.all([run.ctl.ok('GET', '/queues'), run.ctl.ok('GET', '/agents'), run.ctl.ok('GET', '/settings')]), before, 'configuration unchanged');
    return (await run.ctl.request(method, route, body, token)).body.error;
  }
  const queue = (extra: object) => ({ id: 'billing', name: 'Billing', extension: '8203', ...extra });
  const problemPaths = (err: any) => (err.details as { path: string }[]).map((d) => d.path);

  it('refuses an invalid queue with 422 and the problems in details: unknown strategy, skill level out of range, bad overflow, malformed fields', async () => {
    const strategy = await configRefused('POST', '/queues', queue({ strategy: 'loudest-first' }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(strategy), ['strategy']);
    assert.match(strategy.message, /^invalid queue: strategy: /);
    for (const level of [0, 6, 2.5]) {
      const skills = await configRefused('POST', '/queues', queue({ requiredSkills: { french: level } }), 422, 'INVALID_REQUEST');
      assert.deepEqual(problemPaths(skills), ['requiredSkills.french'], `level ${level}`);
    }
    assert.match((await configRefused('POST', '/queues', queue({ requiredSkills: { french: 6 } }), 422, 'INVALID_REQUEST')).message, /skill levels are 1 to 5/);
    const missing = await configRefused('POST', '/queues', queue({ overflow: { kind: 'queue', queueId: 'nowhere' } }), 422, 'INVALID_REQUEST');
    assert.deepEqual(missing.details, [{ path: 'overflow.queueId', message: 'unknown queue nowhere' }]);
    const itself = await configRefused('POST', '/queues', queue({ overflow: { kind: 'queue', queueId: 'billing' } }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(itself), ['overflow.queueId']);
    const steps = await configRefused('POST', '/queues', queue({ skillRelaxation: [{ afterSec: 60, lowerBy: 1 }, { afterSec: 30, lowerBy: 2 }] }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(steps), ['skillRelaxation']);
    // several problems at once are all listed
    const many = await configRefused('POST', '/queues', { id: 'bad id!', name: '', extension: 'abc', ringTimeoutSec: 1, colour: 'red' }, 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(many).sort(), ['(root)', 'extension', 'id', 'name', 'ringTimeoutSec']);
    await configRefused('POST', '/queues', undefined, 422, 'INVALID_REQUEST');
    // the same checks on a replace: the queue stays as it was
    await configRefused('PUT', '/queues/sales', { name: 'Sales', extension: '8201', strategy: 'loudest-first' }, 422, 'INVALID_REQUEST');
    await configRefused('PUT', '/queues/sales', { name: 'Sales', extension: '8201', overflow: { kind: 'queue', queueId: 'sales' } }, 422, 'INVALID_REQUEST');
    await configRefused('PUT', '/queues/sales', { name: 'Sales', extension: '8201', requiredSkills: { billing: 0 } }, 422, 'INVALID_REQUEST');
  });

  it('answers 409 for a taken queue id or extension and for deleting a queue in use, 404 for an unknown one, 403 without manageQueues', async () => {
    const exists = await configRefused('POST', '/queues', { id: 'sales', name: 'Other', extension: '8299' }, 409, 'QUEUE_EXISTS');
    assert.match(exists.message, /queue sales already exists/);
    const taken = await configRefused('POST', '/queues', queue({ extension: '8202' }), 409, 'EXTENSION_TAKEN');
    assert.deepEqual(taken.details, { extension: '8202', queueId: 'support' });
    await configRefused('PUT', '/queues/sales', { name: 'Sales', extension: '8202' }, 409, 'EXTENSION_TAKEN');
    const inUse = await configRefused('DELETE', '/queues/sales', undefined, 409, 'QUEUE_IN_USE');
    assert.match(inUse.message, /agents assigned to it: a1, a2/);
    await configRefused('PUT', '/queues/nowhere', { name: 'X', extension: '8298' }, 404, 'QUEUE_NOT_FOUND');
    await configRefused('DELETE', '/queues/nowhere', undefined, 404, 'QUEUE_NOT_FOUND');
    await configRefused('POST', '/queues', queue({}), 403, 'FORBIDDEN', SUPERVISOR_TOKEN);
    await configRefused('PUT', '/queues/support', { name: 'X', extension: '8202' }, 403, 'FORBIDDEN', AGENT_TOKEN);
    await configRefused('DELETE', '/queues/support', undefined, 403, 'FORBIDDEN', SUPERVISOR_TOKEN);
    // and a good one goes through: created, replaced, deleted
    assert.equal((await run.ctl.request('POST', '/queues', queue({ requiredSkills: { french: 5 }, strategy: 'skills-based' }))).status, 201);
    const replaced = await run.ctl.ok('PUT', '/queues/billing', { id: 'ignored', name: 'Billing 2', extension: '8203', overflow: { kind: 'queue', queueId: 'support' } });
    assert.deepEqual([replaced.id, replaced.name, replaced.strategy, replaced.requiredSkills], ['billing', 'Billing 2', 'longest-idle', {}], 'replaced whole, id from the path');
    assert.equal((await run.ctl.request('DELETE', '/queues/support')).body.error.details.overflowFrom[0], 'billing');
    assert.equal((await run.ctl.request('DELETE', '/queues/billing')).status, 204);
  });

  it('refuses an agent with a skill level out of range, naming the skill', async () => {
    const agent = (skills: object) => ({ id: 'x9', name: 'X', queues: ['sales'], skills, phone: { mode: 'static', contact: 'sip:x9@127.0.0.1:5996' } });
    for (const level of [0, 6]) {
      const err = await configRefused('POST', '/agents', agent({ french: level }), 422, 'INVALID_REQUEST');
      assert.deepEqual(err.details, [{ path: 'skills.french', message: 'skill levels are 1 to 5' }]);
      assert.equal(err.message, 'invalid agent: skills.french: skill levels are 1 to 5');
    }
    await configRefused('PUT', '/agents/a2', { name: 'Two', queues: ['sales'], skills: { billing: 9 }, phone: { mode: 'static', contact: 'sip:a2@127.0.0.1:5998' } }, 422, 'INVALID_REQUEST');
  });

  it('refuses settings with an unknown key or a wrong type (422), and a plain supervisor or an agent changing them (403)', async () => {
    const unknown = await configRefused('PUT', '/settings', { allowUnassignedQueueLogin: true, autoAnswer: true }, 422, 'INVALID_REQUEST');
    assert.ok(unknown.details.length === 1 && /autoAnswer/.test(unknown.details[0].message), JSON.stringify(unknown.details));
    await configRefused('PUT', '/settings', { allowUnassignedQueueLogin: 'yes' }, 422, 'INVALID_REQUEST');
    await configRefused('PUT', '/settings', undefined, 422, 'INVALID_REQUEST');
    await configRefused('PUT', '/settings', { allowUnassignedQueueLogin: true }, 403, 'FORBIDDEN', SUPERVISOR_TOKEN);
    await configRefused('PUT', '/settings', { allowUnassignedQueueLogin: true }, 403, 'FORBIDDEN', AGENT_TOKEN);
    await refused('GET', '/settings', { token: AGENT_TOKEN }, 403, 'FORBIDDEN');
  });

  it('lets the right roles through: agent on itself, supervisor on anyone, admin on the registry', async () => {
    assert.equal((await run.ctl.ok('POST', '/agents/a1/login', undefined, AGENT_TOKEN)).state, 'ready');
    assert.equal((await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' }, SUPERVISOR_TOKEN)).state, 'paused');
    assert.equal((await run.ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN)).state, 'ready');
    assert.equal((await run.ctl.ok('POST', '/agents/a1/logout', undefined, SUPERVISOR_TOKEN)).state, 'logged_out');
    const created = await run.ctl.request('POST', '/agents', { id: 'x3', name: 'X', queues: ['sales'], phone: { mode: 'static', contact: 'sip:x3@127.0.0.1:5997' } });
    assert.equal(created.status, 201);
    assert.equal((await run.ctl.request('POST', '/agents', { id: 'x3', name: 'X', phone: { mode: 'static', contact: 'sip:x3@127.0.0.1:5997' } })).body.error.code, 'AGENT_EXISTS');
    assert.equal((await run.ctl.request('DELETE', '/agents/x3')).status, 204);
    const doc = await run.ctl.request('GET', '/openapi.json', undefined, null);
    assert.equal(doc.status, 200);
    for (const p of ['/agents/{id}/login', '/agents/{id}/pause', '/queues/{id}/calls', '/health', '/settings']) assert.ok(doc.body.paths[p], `OpenAPI documents ${p}`);
  });

  /** A request as a client may really send it: any path, headers and bytes. */
  async function raw(method: string, route: string, o: { headers?: Record<string, string>; body?: Buffer | string; token?: string | null } = {}) {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? ADMIN_TOKEN}`;
    const res = await fetch(`${run.ctl.api}${route}`, { method, headers, body: o.body });
    const text = await res.text();
    let body: any;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  }

  it('given a malformed percent-escape in the path, when requested with or without a token, then 400 INVALID_PATH (never 500) and nothing changes', async () => {
    const before = await run.ctl.ok('GET', '/queues');
    // a method and path the API's document has must answer 400 INVALID_PATH; one it does not have may
    // also be 404 ROUTE_NOT_FOUND (whether a router layer decodes the path first is the router's affair)
    const doc = (await raw('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
    const routed = (method: string, route: string) => Object.entries(doc.paths).some(([p, ops]) =>
      method.toLowerCase() in ops && new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(route));
    let invalidPaths = 0;
    for (const route of ['/queues/%E0%A4%A', '/queues/%ff', '/agents/%E0%A4%A/login', '/users/%ff/tokens/%zz']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
        const authed = await raw(method, route);
        const got = [authed.status, authed.body?.error?.code];
        if (routed(method, route)) {
          invalidPaths++;
          assert.deepEqual(got, [400, 'INVALID_PATH'], `${method} ${route} (a documented route): ${JSON.stringify(authed.body)}`);
        } else if (got[0] !== 400) {
          assert.deepEqual(got, [404, 'ROUTE_NOT_FOUND'], `${method} ${route} (no such route): ${JSON.stringify(authed.body)}`);
        } else {
          assert.equal(got[1], 'INVALID_PATH', `${method} ${route}`);
        }
        const anonymous = await raw(method, route, { token: null });
        assert.deepEqual([anonymous.status, anonymous.body.error.code], [401, 'UNAUTHORIZED'], `${method} ${route} without a token`);
      }
    }
    assert.equal(invalidPaths, 8, 'documented routes among those asked: GET, PUT, DELETE /queues/{id} twice, POST /agents/{id}/login, DELETE /users/{id}/tokens/{tokenId}');
    assert.deepEqual(await run.ctl.ok('GET', '/queues'), before, 'nothing changed');
  });

  it('given a body the parser refuses (unsupported charset or encoding, broken gzip, too large), then 415/400/413 with a stable code, before and after auth alike', async () => {
    const before = await Promise.all(['a1', 'a2'].map((id) => run.ctl.agentState(id)));
    const cases: { headers: Record<string, string>; body: Buffer | string; status: number; code: string }[] = [
      { headers: { 'content-type': 'application/json; charset=latin-9000' }, body: '{}', status: 415, code: 'UNSUPPORTED_CHARSET' },
      { headers: { 'content-type': 'application/json', 'content-encoding': 'x-compress-9' }, body: '{}', status: 415, code: 'UNSUPPORTED_ENCODING' },
      { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Buffer.from('this is not gzip at all'), status: 400, code: 'BAD_REQUEST' },
      { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"queues": ["sales"]}').subarray(0, 12), status: 400, code: 'BAD_REQUEST' },
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'x'.repeat(70_000) }), status: 413, code: 'BODY_TOO_LARGE' },
    ];
    for (const c of cases) {
      for (const token of [undefined, null]) {
        const r = await raw('POST', '/agents/a1/login', { headers: c.headers, body: c.body, token });
        assert.deepEqual([r.status, r.body?.error?.code], [c.status, c.code], `${JSON.stringify(c.headers)} ${token === null ? 'without' : 'with'} a token: ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body.error.message, 'string');
      }
    }
    assert.deepEqual(await Promise.all(['a1', 'a2'].map((id) => run.ctl.agentState(id))), before, 'agent states unchanged');
    // a good gzip body is read
    const ok = await raw('POST', '/agents/a1/login', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"queues": ["sales"]}') });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await run.ctl.ok('POST', '/agents/a1/logout');
  });

  it('refuses what is inconsistent or unbounded: wrapUp.sec above maxSec, an agentOrder naming unknown agents, a 50 KB mohClass or sound name', async () => {
    const wrap = await configRefused('POST', '/queues', queue({ wrapUp: { sec: 600, maxSec: 300 } }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(wrap), ['wrapUp.sec']);
    const order = await configRefused('POST', '/queues', queue({ strategy: 'linear', agentOrder: ['a1', 'ghost'] }), 422, 'INVALID_REQUEST');
    assert.deepEqual(order.details, [{ path: 'agentOrder', message: 'unknown agents: ghost' }]);
    const moh = await configRefused('POST', '/queues', queue({ mohClass: 'm'.repeat(50_000) }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(moh), ['mohClass']);
    const sound = await configRefused('POST', '/queues', queue({ announcements: { periodicEverySec: 30, periodicPrompts: ['p'.repeat(5000)] } }), 422, 'INVALID_REQUEST');
    assert.deepEqual(problemPaths(sound), ['announcements.periodicPrompts.0']);
    await configRefused('PUT', '/queues/sales', { name: 'Sales', extension: '8201', wrapUp: { sec: 301 } }, 422, 'INVALID_REQUEST');
    // consistent ones pass
    assert.equal((await run.ctl.request('POST', '/queues', queue({ strategy: 'linear', agentOrder: ['a2', 'a1'], wrapUp: { sec: 300, maxSec: 300 } }))).status, 201);
    assert.equal((await run.ctl.request('DELETE', '/queues/billing')).status, 204);
  });

  it('answers error codes that are identifiers: PAUSE_REASON_NOT_FOUND, PARKED_CALL_NOT_FOUND; BODY_TOO_LARGE and STATE_UNAVAILABLE are documented', async () => {
    await refused('DELETE', '/pause-reasons/nothing-like-it', {}, 404, 'PAUSE_REASON_NOT_FOUND');
    await refused('POST', '/parked/77/retrieve', { body: { agentId: 'a1' } }, 404, 'PARKED_CALL_NOT_FOUND');
    const doc = (await run.ctl.request('GET', '/openapi.json', undefined, null)).body;
    for (const code of ['BODY_TOO_LARGE', 'STATE_UNAVAILABLE', 'ASTERISK_UNAVAILABLE', 'INVALID_PATH', 'UNSUPPORTED_CHARSET']) {
      assert.ok(doc.info.description.includes(code), `${code} documented`);
    }
  });
});
