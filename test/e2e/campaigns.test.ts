import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ENV, uniqueSchema } from '../support/env';
import { customerTrunk, staticEndpoint } from './harness/asterisk';
import { SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

const SALES = { id: 'sales', name: 'Sales', extension: '8401', ringTimeoutSec: 10 };
const agentToken = (id: string) => `e2e-agent-token-${id}-000001`;
const history = () => ({ DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: uniqueSchema('camp') });
const users = [
  { id: 'sam', role: 'supervisor', token: SUPERVISOR_TOKEN, supervisedQueues: ['sales'] },
  { id: 'u-a1', role: 'agent', agentId: 'a1', token: agentToken('a1') },
];
/** Customers are dialed as PJSIP/cust<number>: each number its own endpoint, so each its own SIPp behaviour. */
const PER_NUMBER_DIAL = 'PJSIP/cust{number}';

/** A customer's phone that answers 486 Busy Here. */
function startBusyPhone(port: number): SippProcess {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acd-sipp-busy-'));
  fs.writeFileSync(path.join(dir, 'busy.xml'), `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[

SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
`);
  return new SippProcess('busy', dir, port, ['-sf', path.join(dir, 'busy.xml'), '-m', '1'], 120_000);
}

describe('campaigns of missed calls, dialed agent first (real SIP)', function () {
  this.timeout(150_000);
  const t = new TestRun();
  afterEach(function () { return t.end(this); });

  /** Agent a1 (in sales) with a SIPp phone; not logged in anywhere. */
  const agentPhone = async (opts: { calls: number; hangupAfterMs?: number }) => {
    const port = allocatePort();
    const phone = t.track(startAgentPhone({ calls: opts.calls, port, hangupAfterMs: opts.hangupAfterMs }));
    await t.ctl.ok('POST', '/agents', { id: 'a1', name: 'Agent One', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    return phone;
  };
  /** The customer endpoint cust<number> reaching a SIPp phone. */
  const customer = async (number: string, phone: (port: number) => SippProcess) => {
    const port = allocatePort();
    const p = t.track(phone(port));
    await staticEndpoint(`cust${number}`, port);
    return p;
  };

  it('given three callers who abandoned a queue, when a supervisor adds them from missed calls and an agent logs in to the campaign, then each is dialed agent first: one answers (handled), one does not and one is busy (not completed); all leave the list and the figures, history and report say so', async () => {
    await t.start('camp-missed', { outboundDial: PER_NUMBER_DIAL, queues: [SALES], agents: [], users }, { env: history() });
    const numbers = ['15550101', '15550102', '15550103'];
    // nobody serves sales: the three give up waiting
    for (const n of numbers) t.track(startCaller({ extension: SALES.extension, callerNumber: n, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 1500 }));
    for (const n of numbers) await t.events.waitFor((e) => e.type === 'call.abandoned' && e.callerNumber === n, 20_000, `abandoned ${n}`);

    const missed = await eventually(async () => {
      const r = await t.ctl.ok('GET', '/history/missed', undefined, SUPERVISOR_TOKEN);
      return r.missed.length === 3 ? r.missed : undefined;
    }, 15_000, 'three missed calls in the history');
    assert.deepEqual(missed.map((m: any) => m.number).sort(), numbers);
    assert.ok(missed.every((m: any) => m.outcome === 'abandoned' && m.queueId === 'sales' && m.campaignIds.length === 0));

    const phone = await agentPhone({ calls: 3 });
    const answers = await customer(numbers[0], (port) => startAgentPhone({ calls: 1, port, answerAfterMs: 300, hangupAfterMs: 3000 }));
    const noAnswer = await customer(numbers[1], (port) => startAgentPhone({ calls: 1, port, noAnswer: true }));
    const busy = await customer(numbers[2], (port) => startBusyPhone(port));

    const c = await t.ctl.ok('POST', '/campaigns', { id: 'missed', name: 'Missed', agents: ['a1'], dialTimeoutSec: 6 }, SUPERVISOR_TOKEN);
    assert.deepEqual([c.state, c.inboundFirst, c.agents], ['active', true, ['a1']]);
    // in the order the calls were missed
    const ordered = [...missed].sort((a: any, b: any) => a.at.localeCompare(b.at));
    const added = await t.ctl.ok('POST', '/campaigns/missed/entries', { missedCallIds: ordered.map((m: any) => m.callId) }, SUPERVISOR_TOKEN);
    assert.equal(added.added.length, 3);
    assert.deepEqual(added.refused, []);
    assert.ok(added.added.every((e: any) => e.source === 'missed' && e.status === 'waiting' && e.missedCallId));
    // a missed call is added once per campaign
    const again = await t.ctl.ok('POST', '/campaigns/missed/entries', { missedCallIds: [ordered[0].callId] }, SUPERVISOR_TOKEN);
    assert.deepEqual([again.added.length, again.refused[0]?.code], [0, 'ALREADY_ADDED']);
    const listed = await t.ctl.ok('GET', '/history/missed', undefined, SUPERVISOR_TOKEN);
    assert.ok(listed.missed.every((m: any) => m.campaignIds.includes('missed')), 'the missed calls list the campaign they were added to');

    // the agent logs itself in to the campaign: the dialing starts
    const login = await t.ctl.ok('POST', '/campaigns/missed/agents/a1/login', undefined, agentToken('a1'));
    assert.deepEqual([login.loggedIn, login.paused], [true, false]);
    await eventually(async () => (await t.ctl.ok('GET', '/campaigns/missed/stats')).byStatus.waiting === 0
      && (await t.ctl.ok('GET', '/campaigns/missed/stats')).byStatus.dialing === 0 ? true : undefined, 90_000, 'all three dialed');

    // agent first: the agent's phone rang for each, showing the campaign and the number, before its customer
    const invites = phone.invites();
    assert.equal(invites.length, 3, 'the agent was rung three times, never twice for one entry');
    const byNumber = new Map(invites.map((i) => [/<sip:([^@]+)@/.exec(i.from)?.[1], i]));
    for (const n of numbers) assert.match(byNumber.get(n)?.from ?? '', /^"Campaign Missed" <sip:/, `the agent's phone showed "Campaign Missed" for ${n}`);
    for (const [n, cust] of [[numbers[0], answers], [numbers[1], noAnswer], [numbers[2], busy]] as const) {
      const got = cust.invites();
      assert.equal(got.length, 1, `${n} was dialed once`);
      assert.ok(got[0].at > byNumber.get(n)!.at, `${n} was dialed after the agent's phone rang`);
    }

    const entries = (await t.ctl.ok('GET', '/campaigns/missed/entries')).entries;
    const outcome = Object.fromEntries(entries.map((e: any) => [e.number, [e.status, e.lastOutcome, e.attempts, e.agentId]]));
    assert.deepEqual(outcome, {
      [numbers[0]]: ['handled', 'answered', 1, 'a1'],
      [numbers[1]]: ['not_completed', 'no_answer', 1, 'a1'],
      [numbers[2]]: ['not_completed', 'busy', 1, 'a1'],
    });
    assert.equal((await t.ctl.ok('GET', '/campaigns/missed/entries?status=waiting')).total, 0, 'all three left the list');
    const stats = await t.ctl.ok('GET', '/campaigns/missed/stats', undefined, agentToken('a1'));
    assert.deepEqual([stats.total, stats.notDialed, stats.percentDialed, stats.agentsLoggedIn, stats.callsToday], [3, 0, 100, 1, 3]);
    assert.deepEqual(stats.byStatus, { waiting: 0, dialing: 0, handled: 1, not_completed: 2 });
    assert.ok(stats.avgHandleSec >= 2, `average handle time counts the answered call's talk (${stats.avgHandleSec} s)`);
    const lastStats = t.events.all.filter((e) => e.type === 'campaign.stats' && e.campaignId === 'missed').at(-1) as any;
    assert.deepEqual(lastStats.stats.byStatus, stats.byStatus, 'the WebSocket carried the figures');
    assert.equal((await t.ctl.agentState('a1')).state, 'ready');
    assert.ok((await t.ctl.agentState('a1')).callsToday >= 3);

    // the agent went reserved → on call for each, as for a queue call
    const states = t.events.all.filter((e) => e.type === 'agent.state' && e.agentId === 'a1').map((e) => e.state);
    assert.equal(states.filter((s) => s === 'reserved').length, 3);
    assert.equal(states.filter((s) => s === 'on_call').length, 3);

    // history: the answered one is no longer missed; the report counts the campaign's calls
    const after = await t.ctl.ok('GET', '/history/missed', undefined, SUPERVISOR_TOKEN);
    assert.deepEqual(after.missed.map((m: any) => m.number).sort(), [numbers[1], numbers[2]]);
    const report = await t.ctl.ok('GET', '/reports/campaigns', undefined, SUPERVISOR_TOKEN);
    const row = report.rows.find((r: any) => r.campaignId === 'missed');
    assert.deepEqual([row?.name, row?.dialed, row?.handled, row?.notCompleted], ['Missed', 3, 1, 2]);
    assert.ok(row.talkSec >= 2 && row.handleSec >= row.talkSec);
    assert.equal((await answers.wait(10_000)).successful, 1);
  });

  it('given a waiting caller in the agent\'s queue, the caller is served before the next campaign call; pausing the campaign stops new dialing at once and resuming goes on', async () => {
    await t.start('camp-inbound', { outboundDial: 'PJSIP/{number}@e2e-camp-customers', queues: [SALES], agents: [], users }, { env: history() });
    const phone = await agentPhone({ calls: 4 });
    const custPort = allocatePort();
    const customers = t.track(startAgentPhone({ calls: 3, port: custPort, answerAfterMs: 200, hangupAfterMs: 4000 }));
    await customerTrunk('e2e-camp-customers', custPort);
    await t.ctl.ok('POST', '/campaigns', { id: 'out', name: 'Outbound', agents: ['a1'] });
    await t.ctl.ok('POST', '/campaigns/out/entries', { entries: [{ number: '15550201' }, { number: '15550202' }, { number: '15550203' }] });
    await t.ctl.ok('POST', '/agents/a1/login');                        // the agent takes sales calls too
    await t.ctl.ok('POST', '/campaigns/out/agents/a1/login', undefined, SUPERVISOR_TOKEN);
    const first = await t.events.waitFor((e) => e.type === 'campaign.call' && e.state === 'connected', 20_000, 'first campaign call connected');
    // a caller arrives during the campaign call and waits for the agent
    t.track(startCaller({ extension: SALES.extension, callerNumber: '15550299', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 12_000 }));
    const queued = await t.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550299', 10_000, 'caller queued');
    const inboundEnded = await t.events.waitFor((e) => e.type === 'call.ended' && e.callId === queued.callId, 40_000, 'the caller served and done');
    const offered = t.events.all.find((e) => e.type === 'call.offered' && e.callId === queued.callId)!;
    const firstEnded = t.events.all.find((e) => e.type === 'campaign.call' && e.state === 'ended' && e.entryId === first.entryId)!;
    const secondRing = await t.events.waitFor((e) => e.type === 'campaign.call' && e.state === 'agent_ringing' && e.entryId !== first.entryId, 20_000, 'second campaign call');
    assert.ok(Date.parse(offered.at) >= Date.parse(firstEnded.at), 'the caller was offered once the campaign call was over');
    assert.ok(Date.parse(secondRing.at) >= Date.parse(inboundEnded.at), 'the next campaign call came only after the waiting caller was served');

    // pause during the second call: it goes on, but nothing new is dialed
    const paused = await t.ctl.ok('POST', '/campaigns/out/pause', undefined, SUPERVISOR_TOKEN);
    assert.equal(paused.state, 'paused');
    await t.events.waitFor((e) => e.type === 'campaign.call' && e.state === 'ended' && e.entryId === secondRing.entryId, 30_000, 'second call over');
    await eventually(async () => (await t.ctl.agentState('a1')).state === 'ready', 10_000, 'agent ready');
    await sleep(4000);
    const rings = () => t.events.all.filter((e) => e.type === 'campaign.call' && e.state === 'agent_ringing').length;
    assert.equal(rings(), 2, 'no campaign call while paused, with the agent ready');
    assert.equal((await t.ctl.ok('GET', '/campaigns/out/stats')).notDialed, 1);
    await t.ctl.ok('POST', '/campaigns/out/resume', undefined, SUPERVISOR_TOKEN);
    await eventually(async () => rings() === 3, 15_000, 'the third entry dialed after resume');
    await eventually(async () => (await t.ctl.ok('GET', '/campaigns/out/stats')).byStatus.handled === 3, 30_000, 'three handled');
    assert.equal(phone.invites().length, 4, 'three campaign calls and one queue call, one at a time');
    assert.equal(customers.invites().length, 3);
  });

  it('given a CSV with a header row, good rows and refused rows (letters, empty, too long), exactly the good ones are added with their details and the refused ones are listed by line number', async () => {
    await t.start('camp-csv', { queues: [SALES], agents: [], users });
    await t.ctl.ok('POST', '/campaigns', { id: 'crm', name: 'CRM' });
    const csv = [
      'name,phone,city',
      'Alice,+1 (555) 010-0301,Paris',
      'Bob,555-CALL-NOW,Lyon',
      'Carol,,Nice',
      'Dan,123456789012345678901,Lille',
      'Eve,555.010.0302,',
      '',
    ].join('\n');
    const r = await fetch(`${t.ctl.api}/campaigns/crm/entries/import?header=true`, {
      method: 'POST', headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}`, 'content-type': 'text/csv' }, body: csv,
    });
    assert.equal(r.status, 200);
    const body = await r.json() as any;
    assert.equal(body.added, 2);
    assert.deepEqual(body.refused.map((x: any) => [x.line, x.value, x.code]), [[3, '555-CALL-NOW', 'INVALID_CHARACTERS'], [4, '', 'EMPTY'], [5, '123456789012345678901', 'TOO_LONG']]);
    assert.ok(body.refused.every((x: any) => x.reason.length > 0));
    const entries = (await t.ctl.ok('GET', '/campaigns/crm/entries')).entries;
    assert.deepEqual(entries.map((e: any) => [e.number, e.name, e.details, e.source]), [
      ['+15550100301', 'Alice', { city: 'Paris' }, 'csv'],
      ['5550100302', 'Eve', {}, 'csv'],
    ]);
    // the phone column by its index, no header row
    const r2 = await fetch(`${t.ctl.api}/campaigns/crm/entries/import?header=false&phoneColumn=2`, {
      method: 'POST', headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}`, 'content-type': 'text/csv' }, body: 'Zoe,5550100303\n',
    });
    assert.deepEqual(await r2.json(), { added: 1, refused: [], refusedCount: 0 });
  });

  it('given a CSV of 100,000 rows, it is imported streamed and every row is added', async () => {
    await t.start('camp-big', { queues: [SALES], agents: [], users });
    await t.ctl.ok('POST', '/campaigns', { id: 'big', name: 'Big' });
    const ROWS = 100_000;
    async function* rows() {
      yield Buffer.from('phone,name,account\n');
      for (let i = 0; i < ROWS; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += `+1555${String(j).padStart(7, '0')},Contact ${j},ACC-${j}\n`;
        yield Buffer.from(chunk);
      }
    }
    const started = Date.now();
    const r = await fetch(`${t.ctl.api}/campaigns/big/entries/import`, {
      method: 'POST', headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}`, 'content-type': 'text/csv' },
      body: ReadableStream.from(rows()), duplex: 'half',
    } as RequestInit);
    const body = await r.json() as any;
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.deepEqual([body.added, body.refused.length], [ROWS, 0]);
    process.stdout.write(`      100,000-row CSV (chunked upload) imported in ${Date.now() - started} ms\n`);
    const stats = await t.ctl.ok('GET', '/campaigns/big/stats');
    assert.deepEqual([stats.total, stats.notDialed], [ROWS, ROWS]);
    const last = await t.ctl.ok('GET', `/campaigns/big/entries?offset=${ROWS - 1}&limit=1`);
    assert.deepEqual([last.entries[0].number, last.entries[0].name, last.entries[0].details], ['+15550099999', 'Contact 99999', { account: 'ACC-99999' }]);
  });

  it('given entries in a campaign, when some are moved to another campaign and others deleted in bulk, then each list holds exactly what is left', async () => {
    await t.start('camp-move', { queues: [SALES], agents: [], users });
    await t.ctl.ok('POST', '/campaigns', { id: 'a', name: 'A' }, SUPERVISOR_TOKEN);
    await t.ctl.ok('POST', '/campaigns', { id: 'b', name: 'B' }, SUPERVISOR_TOKEN);
    const added = (await t.ctl.ok('POST', '/campaigns/a/entries', { entries: ['15550401', '15550402', '15550403', '15550404', '15550405'].map((number) => ({ number })) })).added;
    const ids = added.map((e: any) => e.id);
    assert.deepEqual(await t.ctl.ok('POST', '/campaigns/a/entries/move', { entryIds: [ids[0], ids[1]], toCampaignId: 'b' }, SUPERVISOR_TOKEN), { moved: 2 });
    assert.deepEqual(await t.ctl.ok('POST', '/campaigns/a/entries/delete', { entryIds: [ids[2], ids[3], 'no-such-entry'] }, SUPERVISOR_TOKEN), { deleted: 2 });
    assert.equal((await t.ctl.request('DELETE', `/campaigns/a/entries/${ids[4]}`, undefined, SUPERVISOR_TOKEN)).status, 204);
    assert.deepEqual((await t.ctl.ok('GET', '/campaigns/a/entries')).total, 0);
    const inB = (await t.ctl.ok('GET', '/campaigns/b/entries')).entries;
    assert.deepEqual(inB.map((e: any) => [e.number, e.campaignId]), [['15550401', 'b'], ['15550402', 'b']]);
    assert.deepEqual([(await t.ctl.ok('GET', '/campaigns/a/stats')).total, (await t.ctl.ok('GET', '/campaigns/b/stats')).total], [0, 2]);
  });

  it('given a campaign call connected when the controller is killed, after the restart the entry is resolved (not redialed), no entry is lost and the next is dialed once', async () => {
    await t.start('camp-restart', { outboundDial: PER_NUMBER_DIAL, queues: [SALES], agents: [], users });
    const phone = await agentPhone({ calls: 2 });
    const first = await customer('15550501', (port) => startAgentPhone({ calls: 1, port, answerAfterMs: 200 }));
    const second = await customer('15550502', (port) => startAgentPhone({ calls: 1, port, answerAfterMs: 200, hangupAfterMs: 2000 }));
    await t.ctl.ok('POST', '/campaigns', { id: 'rs', name: 'Restart', agents: ['a1'] });
    await t.ctl.ok('POST', '/campaigns/rs/entries', { entries: [{ number: '15550501' }, { number: '15550502' }] });
    await t.ctl.ok('POST', '/campaigns/rs/agents/a1/login');
    await t.events.waitFor((e) => e.type === 'campaign.call' && e.state === 'connected', 20_000, 'first call connected');
    await t.ctl.kill();
    t.events.close();
    await t.ctl.launch();
    t.events = await t.ctl.events();
    // the first entry was talking: it is resolved as handled, its customer's leg hung up, never dialed again
    await eventually(async () => (await t.ctl.ok('GET', '/campaigns/rs/stats')).byStatus.handled === 2, 40_000, 'both handled');
    const entries = (await t.ctl.ok('GET', '/campaigns/rs/entries')).entries;
    assert.deepEqual(entries.map((e: any) => [e.number, e.status, e.attempts]), [['15550501', 'handled', 1], ['15550502', 'handled', 1]]);
    assert.equal(first.invites().length, 1, 'the first customer was dialed once');
    assert.equal(second.invites().length, 1, 'the second customer was dialed once');
    assert.equal(phone.invites().length, 2);
    assert.equal((await first.wait(15_000)).successful, 1, 'the first customer\'s call was hung up after the restart');
  });

  it('given bad input — unknown campaign or agent, a CSV without a phone column, a file over the size limit — the answer is a clear error and nothing changes', async () => {
    await t.start('camp-bad', { queues: [SALES], agents: [], users }, { env: { ACD_CAMPAIGN_IMPORT_MAX_BYTES: '4096' } });
    await t.ctl.ok('POST', '/campaigns', { id: 'x', name: 'X' });
    await t.ctl.ok('POST', '/campaigns/x/entries', { entries: [{ number: '15550601' }] });
    const err = async (method: string, route: string, body: unknown, status: number, code: string) => {
      const r = await t.ctl.request(method, route, body, SUPERVISOR_TOKEN);
      assert.deepEqual([r.status, r.body?.error?.code], [status, code], `${method} ${route}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.error.message.length > 0);
    };
    await err('GET', '/campaigns/nope', undefined, 404, 'CAMPAIGN_NOT_FOUND');
    await err('POST', '/campaigns/nope/entries', { entries: [{ number: '15550602' }] }, 404, 'CAMPAIGN_NOT_FOUND');
    await err('PUT', '/campaigns/x/agents/nobody', undefined, 404, 'AGENT_NOT_FOUND');
    await err('POST', '/campaigns/x/agents/nobody/login', undefined, 404, 'AGENT_NOT_FOUND');
    await err('POST', '/campaigns', { id: 'x', name: 'Again' }, 409, 'CAMPAIGN_EXISTS');
    await err('POST', '/campaigns', { id: 'Bad Id!', name: 'Bad' }, 422, 'INVALID_REQUEST');
    await err('POST', '/campaigns/x/entries/move', { entryIds: ['e'], toCampaignId: 'nope' }, 404, 'CAMPAIGN_NOT_FOUND');
    const upload = async (query: string, body: unknown, contentType = 'text/csv', extra: RequestInit = {}) => {
      const r = await fetch(`${t.ctl.api}/campaigns/x/entries/import${query}`, {
        method: 'POST', headers: { authorization: `Bearer ${SUPERVISOR_TOKEN}`, 'content-type': contentType }, body, ...extra,
      } as RequestInit);
      return { status: r.status, body: await r.json() as any };
    };
    let r = await upload('', 'name,city\nAlice,Paris\n');
    assert.deepEqual([r.status, r.body.error.code], [422, 'PHONE_COLUMN_MISSING']);
    r = await upload('?phoneColumn=mobile', 'name,phone\nAlice,15550603\n');
    assert.deepEqual([r.status, r.body.error.code], [422, 'PHONE_COLUMN_MISSING']);
    r = await upload('', 'phone\n15550604\n', 'text/plain');
    assert.deepEqual([r.status, r.body.error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    const big = `phone\n${Array.from({ length: 600 }, (_, i) => `1555${String(i).padStart(6, '0')}`).join('\n')}\n`;   // ~6.6 KB
    r = await upload('', big);
    assert.deepEqual([r.status, r.body.error.code], [413, 'PAYLOAD_TOO_LARGE']);
    // the same without a Content-Length (chunked): refused once the limit is passed, nothing of it kept
    async function* chunks() { for (let i = 0; i < big.length; i += 512) yield Buffer.from(big.slice(i, i + 512)); }
    r = await upload('', ReadableStream.from(chunks()), 'text/csv', { duplex: 'half' } as RequestInit);
    assert.deepEqual([r.status, r.body.error.code], [413, 'PAYLOAD_TOO_LARGE']);
    const entries = await t.ctl.ok('GET', '/campaigns/x/entries');
    assert.deepEqual(entries.entries.map((e: any) => e.number), ['15550601'], 'nothing changed');
    assert.equal((await t.ctl.ok('GET', '/campaigns')).campaigns.length, 1);
  });
});
