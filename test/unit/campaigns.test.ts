import assert from 'node:assert/strict';
import { AccessPolicy } from '../../src/access/policy';
import { effectivePermissions } from '../../src/access/permissions';
import type { Principal } from '../../src/access/users';
import { DialRules, minutesUntilOpen } from '../../src/campaigns/dialRules';
import { normalizeNumber } from '../../src/campaigns/numbers';
import type { Registry } from '../../src/registry/registry';
import type { EntryRecord } from '../../src/state/campaignStore';

const who = (role: Principal['role'], o: Partial<Principal> = {}): Principal =>
  ({ id: 'u', role, supervisedQueues: [], permissions: effectivePermissions(role, {}), ...o });
const entry = (o: Partial<EntryRecord> = {}): EntryRecord => ({
  id: 'e1', campaignId: 'c1', number: '15550100', name: '', details: {}, status: 'dialing', source: 'api', addedAt: 0, attempts: 1, ...o,
});

describe('campaigns: numbers, dial-time rules, event visibility', () => {
  it('given a CRM phone cell, only digits and ( ) + - . pass, normalized to digits and a leading +; others are refused with a code', () => {
    assert.deepEqual(normalizeNumber(' +1 (555) 010-0101 '), { ok: true, number: '+15550100101' });
    assert.deepEqual(normalizeNumber('555.010.0102'), { ok: true, number: '5550100102' });
    const code = (v: string) => { const r = normalizeNumber(v); return r.ok ? 'ok' : r.refusal.code; };
    assert.deepEqual(['', '   ', '555-CALL', '1@trunk', '12', '1'.repeat(21), '55+5'].map(code),
      ['EMPTY', 'EMPTY', 'INVALID_CHARACTERS', 'INVALID_CHARACTERS', 'TOO_SHORT', 'TOO_LONG', 'MISPLACED_PLUS']);
  });

  it('given calling hours, a time inside the window dials, outside waits until it opens (also across midnight)', () => {
    assert.equal(minutesUntilOpen(9 * 60, 9 * 60, 18 * 60), 0);
    assert.equal(minutesUntilOpen(8 * 60, 9 * 60, 18 * 60), 60);
    assert.equal(minutesUntilOpen(18 * 60, 9 * 60, 18 * 60), 15 * 60);
    assert.equal(minutesUntilOpen(23 * 60, 22 * 60, 6 * 60), 0);
    assert.equal(minutesUntilOpen(7 * 60, 22 * 60, 6 * 60), 15 * 60);
  });

  it('given calling hours in the contact\'s own time zone, the contact\'s zone wins over the campaign default', async () => {
    const noonUtc = Date.parse('2026-12-01T12:00:00Z');
    const rules = new DialRules(undefined, () => noonUtc);
    const hours = { callingHours: { from: '09:00', to: '17:00', defaultTimeZone: 'UTC' } };
    assert.deepEqual(await rules.check(hours, entry()), { action: 'dial' });
    // 12:00 UTC is 04:00 in Los Angeles: wait 5 hours
    const v = await rules.check(hours, entry({ details: { timeZone: 'America/Los_Angeles' } }));
    assert.deepEqual(v.action === 'defer' ? v.afterMs : -1, 5 * 3600_000);
    assert.deepEqual(await rules.check({}, entry({ details: { timeZone: 'America/Los_Angeles' } })), { action: 'dial' }, 'off unless set');
  });

  it('given skipIfAnsweredInbound, a number answered in a queue since it was added is refused; off, it is dialed', async () => {
    const rules = new DialRules(async (n, since) => n === '15550100' && since === 5);
    assert.equal((await rules.check({ skipIfAnsweredInbound: true }, entry({ addedAt: 5 }))).action, 'refuse');
    assert.equal((await rules.check({}, entry({ addedAt: 5 }))).action, 'dial');
  });

  it('given retry rules by outcome, the delay applies while attempts remain; no rule, no retry', () => {
    const rules = new DialRules();
    const o = { retry: { busy: { attempts: 3, afterSec: 60 }, noAnswer: { attempts: 2, afterSec: 600 } } };
    assert.deepEqual([rules.retryAfterMs(o, 'busy', 1), rules.retryAfterMs(o, 'busy', 3), rules.retryAfterMs(o, 'no_answer', 1),
      rules.retryAfterMs(o, 'failed', 1), rules.retryAfterMs(o, 'answered', 1), rules.retryAfterMs({}, 'busy', 1)], [60_000, -1, 600_000, -1, -1, -1]);
  });

  it('given campaign events, staff receive all; an agent only those of campaigns it is assigned to', () => {
    const p = new AccessPolicy({ findAgent: () => undefined } as unknown as Registry);
    p.noteCampaignAgents('c1', ['a1']);
    p.noteCampaignAgents('c2', ['a2']);
    const e = (campaignId: string) => ({ type: 'campaign.stats', campaignId });
    const agent = who('agent', { agentId: 'a1' });
    assert.deepEqual([p.mayReceive(agent, e('c1')), p.mayReceive(agent, e('c2')), p.mayReceive(agent, { type: 'campaign.dnc_updated', count: 1 })], [true, false, false]);
    assert.deepEqual([p.mayReceive(who('supervisor'), e('c2')), p.mayReceive(who('admin'), e('c2'))], [true, true]);
    p.noteCampaignAgents('c1', null);       // deleted
    assert.equal(p.mayReceive(agent, e('c1')), false);
  });
});
