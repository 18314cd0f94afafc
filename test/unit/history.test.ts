import assert from 'node:assert/strict';
import { csvCell } from '../../src/history/csv';
import { MAX_RANGE_DAYS, Problem, list, parseInterval, parseLimit, parseRange, wantsCsv } from '../../src/history/params';
import { addMonths, monthOf, oldestKeptMonth } from '../../src/history/partitions';
import { queueLogLine } from '../../src/history/queueLogFile';
import { decodeCursor, encodeCursor } from '../../src/history/reports';
import { PhoneCallWatcher } from '../../src/phones/phoneCallWatcher';

describe('history: report parameters', () => {
  const range = (q: Record<string, unknown>, tz = 'UTC') => { const p: Problem[] = []; return { r: parseRange(q, tz, p), p }; };

  it('given days in Paris, the range runs from local midnight of from to local midnight after to', () => {
    const { r, p } = range({ from: '2026-03-10', to: '2026-03-11', tz: 'Europe/Paris' });
    assert.deepEqual(p, []);
    assert.equal(r?.from.toISOString(), '2026-03-09T23:00:00.000Z');
    assert.equal(r?.to.toISOString(), '2026-03-11T23:00:00.000Z');
  });

  it('given the day DST starts in Paris, the day is 23 hours long', () => {
    const { r } = range({ from: '2026-03-29', to: '2026-03-29', tz: 'Europe/Paris' });
    assert.equal((r!.to.getTime() - r!.from.getTime()) / 3_600_000, 23);
  });

  it('given instants with offsets, they are taken as they are', () => {
    const { r } = range({ from: '2026-03-10T08:00:00+01:00', to: '2026-03-10T09:30:00Z' });
    assert.deepEqual([r?.from.toISOString(), r?.to.toISOString()], ['2026-03-10T07:00:00.000Z', '2026-03-10T09:30:00.000Z']);
  });

  it('given a missing, inverted, impossible or too long range, or an unknown zone, each is a problem on its field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ to: '2026-03-10' }, 'from'], [{ from: '2026-03-10' }, 'to'], [{ from: '2026-03-10', to: '2026-03-09' }, 'to'],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'from'], [{ from: '2025-01-01', to: '2026-03-01' }, 'to'],
      [{ from: '2026-03-10', to: '2026-03-11', tz: 'Nowhere/Land' }, 'tz'], [{ from: 'yesterday', to: '2026-03-11' }, 'from'],
      [{ from: '2026-03-10T08:00:00', to: '2026-03-11' }, 'from'],
    ];
    for (const [q, field] of cases) {
      const { r, p } = range(q);
      assert.equal(r, undefined, JSON.stringify(q));
      assert.deepEqual(p.map((x) => x.field), [field], JSON.stringify(q));
    }
    assert.ok(MAX_RANGE_DAYS >= 396, 'a 13-month report fits');
    assert.equal(range({ from: '2025-02-01', to: '2026-02-28' }).p.length, 0);
  });

  it('given intervals, limits, lists and formats, only the valid ones pass', () => {
    const p: Problem[] = [];
    assert.equal(parseInterval({ interval: '15min' }, p), '15min');
    assert.equal(parseInterval({}, p), 'day');
    assert.equal(parseLimit({ limit: '250' }, p), 250);
    assert.equal(p.length, 0);
    parseInterval({ interval: 'fortnight' }, p);
    parseLimit({ limit: '0' }, p);
    parseLimit({ limit: '1.5' }, p);
    wantsCsv({ format: 'xml' }, undefined, p);
    assert.deepEqual(p.map((x) => x.field), ['interval', 'limit', 'limit', 'format']);
    assert.deepEqual(list({ queue: ['a,b', 'b', ' c '] }, 'queue'), ['a', 'b', 'c']);
    assert.equal(list({}, 'queue'), undefined);
    assert.equal(wantsCsv({}, 'text/csv, */*', []), true);
    assert.equal(wantsCsv({ format: 'json' }, 'text/csv', []), false);
    assert.equal(wantsCsv({}, 'application/json', []), false);
  });

  it('given a page cursor, it round-trips; anything else is no cursor', () => {
    const c = { t: 1773133200000, id: '1796116606.0', seq: 2 };
    assert.deepEqual(decodeCursor(encodeCursor(c)), c);
    for (const bad of ['garbage', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('{"t":1}').toString('base64url')]) assert.equal(decodeCursor(bad), undefined);
  });
});

describe('history: months, CSV cells, queue_log lines', () => {
  it('given 13 months of retention, the oldest month kept is twelve months before the current one', () => {
    assert.equal(monthOf(Date.parse('2026-12-01T00:00:00Z')), '202612');
    assert.equal(oldestKeptMonth(Date.parse('2026-12-01T09:00:00Z'), 13), '202512');
    assert.equal(oldestKeptMonth(Date.parse('2026-03-31T23:59:59Z'), 13), '202503');
    assert.equal(oldestKeptMonth(Date.parse('2026-03-15T00:00:00Z'), 1), '202603');
    assert.deepEqual([addMonths('202601', -1), addMonths('202612', 1), addMonths('202603', -14)], ['202512', '202701', '202501']);
  });

  it('given report values, CSV cells are what the JSON says: lists joined with |, objects as JSON, null empty', () => {
    assert.deepEqual([csvCell(null), csvCell(undefined), csvCell(3), csvCell(['a', 'b']), csvCell({ lunch: 5 }), csvCell(new Date(0)), csvCell(false)],
      ['', '', '3', 'a|b', '{"lunch":5}', '1970-01-01T00:00:00.000Z', 'false']);
  });

  it('given a caller name that is a spreadsheet formula, its cell cannot run; an international number is left alone', () => {
    assert.deepEqual([csvCell('=HYPERLINK("http://x")'), csvCell('@SUM(A1)'), csvCell('-2+3'), csvCell('+33612345678'), csvCell('+1 cmd'), csvCell(-5)],
      ['\'=HYPERLINK("http://x")', '\'@SUM(A1)', '\'-2+3', '+33612345678', '\'+1 cmd', '-5']);
  });

  it('given queue_log rows, lines are epoch|callid|queue|agent|EVENT|data with app_queue\'s trailing fields', () => {
    const row = { id: '1', time: new Date(1773133205900), callid: '1796116606.0', queuename: 'sales', agent: 'Agent/a1', event: 'CONNECT', data1: '5', data2: '1796116606.0', data3: '0', data4: '', data5: '' };
    assert.equal(queueLogLine(row), '1773133205|1796116606.0|sales|Agent/a1|CONNECT|5|1796116606.0|0');
    assert.equal(queueLogLine({ ...row, event: 'ADDMEMBER', data1: '', data2: '', data3: '' }), '1773133205|1796116606.0|sales|Agent/a1|ADDMEMBER|');
    assert.equal(queueLogLine({ ...row, event: 'ENTERQUEUE', agent: 'NONE', data1: '', data2: '15551001', data3: '1' }), '1773133205|1796116606.0|sales|NONE|ENTERQUEUE||15551001|1');
  });
});

describe('non-queue calls: which channels of an agent\'s phone count', () => {
  const recorded: unknown[] = [];
  const watcher = () => {
    recorded.length = 0;
    let t = 1000;
    const ami = { on: () => undefined, keepConnected: () => undefined, disconnect: () => undefined };
    const state = { phoneCall: async (c: unknown) => { recorded.push(c); return { ok: true }; } };
    const registry = { findAgent: (id: string) => (id === 'a1' ? { id } : undefined) };
    return new PhoneCallWatcher(ami as never, state as never, registry as never, { debug: () => undefined, warn: () => undefined } as never, () => (t += 1000));
  };

  it('given the phone dialing out (Ring) and answered, one call made with the number dialed and its times', async () => {
    const w = watcher();
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/a1-0000000a', uniqueid: '1796.10', channelstate: '4', exten: 'a2' });
    w.onEvent({ event: 'Newstate', channel: 'PJSIP/a1-0000000a', uniqueid: '1796.10', channelstate: '6' });
    w.onEvent({ event: 'Hangup', channel: 'PJSIP/a1-0000000a', uniqueid: '1796.10' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(recorded, [{ channelId: '1796.10', agentId: 'a1', direction: 'out', peer: 'a2', startedAt: 2000, answeredAt: 3000 }]);
  });

  it('given the ACD\'s own leg, a leg that ran Stasis, another endpoint\'s channel or a non-agent, nothing is recorded', async () => {
    const w = watcher();
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/a1-0000000b', uniqueid: 'offer-abc', channelstate: '0' });
    w.onEvent({ event: 'Hangup', uniqueid: 'offer-abc' });
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/a1-0000000c', uniqueid: '1796.12', channelstate: '4', exten: '8951' });
    w.onEvent({ event: 'Newexten', uniqueid: '1796.12', application: 'Stasis' });
    w.onEvent({ event: 'Hangup', uniqueid: '1796.12' });
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/anonymous-0000000d', uniqueid: '1796.13', channelstate: '4' });
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/zz-0000000e', uniqueid: '1796.14', channelstate: '0' });
    w.onEvent({ event: 'Hangup', uniqueid: '1796.13' });
    w.onEvent({ event: 'Hangup', uniqueid: '1796.14' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(recorded, []);
  });

  it('given a call to the phone never answered, one call taken without an answer time, the caller as the other party', async () => {
    const w = watcher();
    w.onEvent({ event: 'Newchannel', channel: 'PJSIP/a1-0000000f', uniqueid: '1796.15', channelstate: '0', connectedlinenum: '<unknown>' });
    w.onEvent({ event: 'NewConnectedLine', uniqueid: '1796.15', connectedlinenum: '15551234' });
    w.onEvent({ event: 'Hangup', uniqueid: '1796.15' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(recorded, [{ channelId: '1796.15', agentId: 'a1', direction: 'in', peer: '15551234', startedAt: 2000, answeredAt: undefined }]);
  });
});
