import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Controller, EventLog, SUPERVISOR_TOKEN, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';

const AGENT_TOKEN = 'e2e-agent-token-a1-000002';

describe('control API: bad input gets a clear error and changes nothing', function () {
  this.timeout(30_000);
  let ctl: Controller;
  let events: EventLog;

  before(async () => {
    ctl = await Controller.start({
      name: 'api-errors',
      httpPort: allocatePort(),
      config: {
        queues: [{ id: 'sales', name: 'Sales', extension: '8201' }, { id: 'support', name: 'Support', extension: '8202' }],
        agents: [
          { id: 'a1', name: 'One', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } },
          { id: 'a2', name: 'Two', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a2@127.0.0.1:5998' } },
        ],
        users: [
          { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales', 'support', 'plain'] },
          { id: 'al', role: 'agent', agentId: 'a1', token: AGENT_TOKEN },
        ],
      },
    });
    events = await ctl.events();
  });
  after(async () => { events?.close(); await ctl?.kill(); });

  /** Runs a bad request and proves nothing changed: same agent states, no new event. */
  async function refused(method: string, route: string, opts: { body?: unknown; raw?: string; token?: string | null }, status: number, code: string) {
    const before = [await ctl.agentState('a1'), await ctl.agentState('a2')];
    const seen = events.changes.length;
    const r = await ctl.request(method, route, opts.body, opts.token === undefined ? undefined : opts.token, opts.raw);
    assert.equal(r.status, status, `${method} ${route}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code);
    assert.equal(typeof r.body.error.message, 'string');
    await sleep(200);
    assert.deepEqual([await ctl.agentState('a1'), await ctl.agentState('a2')], before, 'agent states unchanged');
    assert.equal(events.changes.length, seen, 'no event written');
  }

  it('answers 401 without a token and with a wrong one, REST and WebSocket alike', async () => {
    await refused('POST', '/agents/a1/login', { token: null }, 401, 'UNAUTHORIZED');
    await refused('POST', '/agents/a1/login', { token: 'not-a-valid-token-at-all' }, 401, 'UNAUTHORIZED');
    await refused('GET', '/queues', { token: 'not-a-valid-token-at-all' }, 401, 'UNAUTHORIZED');
    await assert.rejects(EventLog.open(`${ctl.api.replace(/^http/, 'ws')}/events`, 'wrong-token'), /401/);
    const ws = new WebSocket(`${ctl.api.replace(/^http/, 'ws')}/events?token=${SUPERVISOR_TOKEN}`);
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
    await refused('POST', '/agents/a1/login', { body: { queues: ['support'] } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents/a1/login', { body: { queues: ['sales'], extra: 1 } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents', { body: { id: 'bad id!', name: 'X', phone: { mode: 'static', contact: 'nope' } } }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents', { body: { id: 'x2', name: 'X', queues: ['nowhere'], phone: { mode: 'register', password: 'long-enough' } } }, 422, 'INVALID_REQUEST');
    await ctl.ok('POST', '/agents/a1/login');
    await refused('POST', '/agents/a1/pause', { body: {} }, 422, 'INVALID_REQUEST');
    await refused('POST', '/agents/a1/pause', { body: { reason: 'not a code!' } }, 422, 'INVALID_REQUEST');
    await refused('DELETE', '/agents/a1', {}, 409, 'AGENT_LOGGED_IN');
    await ctl.ok('POST', '/agents/a1/logout');
  });

  it('lets the right roles through: agent on itself, supervisor on anyone, admin on the registry', async () => {
    assert.equal((await ctl.ok('POST', '/agents/a1/login', undefined, AGENT_TOKEN)).state, 'ready');
    assert.equal((await ctl.ok('POST', '/agents/a1/pause', { reason: 'lunch' }, SUPERVISOR_TOKEN)).state, 'paused');
    assert.equal((await ctl.ok('POST', '/agents/a1/ready', undefined, AGENT_TOKEN)).state, 'ready');
    assert.equal((await ctl.ok('POST', '/agents/a1/logout', undefined, SUPERVISOR_TOKEN)).state, 'logged_out');
    const created = await ctl.request('POST', '/agents', { id: 'x3', name: 'X', queues: ['sales'], phone: { mode: 'static', contact: 'sip:x3@127.0.0.1:5997' } });
    assert.equal(created.status, 201);
    assert.equal((await ctl.request('POST', '/agents', { id: 'x3', name: 'X', phone: { mode: 'static', contact: 'sip:x3@127.0.0.1:5997' } })).body.error.code, 'AGENT_EXISTS');
    assert.equal((await ctl.request('DELETE', '/agents/x3')).status, 204);
    const doc = await ctl.request('GET', '/openapi.json', undefined, null);
    assert.equal(doc.status, 200);
    for (const p of ['/agents/{id}/login', '/agents/{id}/pause', '/queues/{id}/calls', '/health']) assert.ok(doc.body.paths[p], `OpenAPI documents ${p}`);
  });
});
