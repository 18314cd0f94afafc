import assert from 'node:assert/strict';
import path from 'node:path';
import type { Principal } from '../../src/access/users';
import { effectivePermissions } from '../../src/access/permissions';
import { loadFileConfig } from '../../src/config';
import { SettingsSchema } from '../../src/config/schema';
import { DestinationNotAllowed, Destinations } from '../../src/destinations/destinations';
import {
  DEFAULT_DESTINATION_POLICY, DestinationPattern, DestinationPolicySchema, effectivePolicy, evaluate, patternRegExp,
} from '../../src/destinations/policy';
import type { Registry } from '../../src/registry/registry';

const policy = (o: object = {}) => DestinationPolicySchema.parse(o);

describe('outbound destination policy', () => {
  it('given the default policy, refuses international and premium-rate numbers and allows domestic ones', () => {
    const p = policy();
    for (const n of ['+442079460000', '00442079460000', '011442079460000', '19005550100', '9005550100', '19765550100', '09001234567', '0901234567', '118118']) {
      const v = evaluate(n, p);
      assert.equal(v.allowed, false, n);
      assert.equal(!v.allowed && v.reason, 'denied-prefix', n);
    }
    for (const n of ['5550123', '15550601', '7001', '0123456789']) assert.equal(evaluate(n, p).allowed, true, n);
  });

  it('given more characters than maxLength, or anything but digits, * # and a leading +, refuses the number', () => {
    const p = policy({ deniedPrefixes: [], maxLength: 8 });
    assert.deepEqual(evaluate('123456789', p), { allowed: false, number: '123456789', reason: 'too-long', rule: '8' });
    for (const n of ['1@trunk,5,U(evil)', '12 34', '', '12+3', 'PJSIP/1', '1;2']) {
      const v = evaluate(n, p);
      assert.equal(!v.allowed && v.reason, 'not-a-number', JSON.stringify(n));
    }
  });

  it('given allowed patterns, a number must match one of them (Asterisk pattern letters X Z N . ! and [ranges])', () => {
    const p = policy({ deniedPrefixes: [], allowedPatterns: ['_NXXXXXX', '_1[2-9]XX.', '7001'] });
    assert.equal(evaluate('5550123', p).allowed, true);
    assert.equal(evaluate('1055123', p).allowed, false, 'N is 2-9, [2-9] too');
    assert.equal(evaluate('15551234567', p).allowed, true);
    assert.equal(evaluate('1155', p).allowed, false, '[2-9]');
    assert.equal(evaluate('7001', p).allowed, true, 'a literal');
    assert.equal(evaluate('70011', p).allowed, false, 'a literal matches whole');
    assert.equal(evaluate('555012', p).allowed, false, 'too short for _NXXXXXX');
    const v = evaluate('555012', p);
    assert.equal(!v.allowed && v.reason, 'not-allowed-pattern');
    assert.equal(patternRegExp('_Z!').test('9'), true);
    assert.equal(patternRegExp('_Z!').test('09'), false);
  });

  it('given patterns an operator might type, refuses the ones that are not Asterisk patterns (no regular expressions)', () => {
    for (const ok of ['_NXXNXXXXXX', '_1[2-9]XX.', '_X!', '+15550123', '*72']) assert.equal(DestinationPattern.safeParse(ok).success, true, ok);
    for (const bad of ['_X(.*)+', '^1.*$', '_[a-z]', '_[5-1]X', '', 'abc', `_${'X'.repeat(70)}`]) assert.equal(DestinationPattern.safeParse(bad).success, false, bad);
  });

  it('given a queue override, the fields it gives replace the organisation\'s and the others stay', () => {
    const org = policy();
    const merged = effectivePolicy(org, { allowedPatterns: ['_1NXXXXXX'] });
    assert.deepEqual(merged, { ...org, allowedPatterns: ['_1NXXXXXX'] });
    assert.equal(evaluate('15550601', merged).allowed, true);
    assert.equal(evaluate('19005550100', merged).allowed, false, 'the organisation\'s denied prefixes still apply');
    assert.equal(evaluate('+15550601', effectivePolicy(org, { deniedPrefixes: ['1900'] })).allowed, true, 'a queue may allow international');
    assert.deepEqual(effectivePolicy(org, undefined), org);
  });

  it('given settings stored before the policy existed, the default policy applies (premium and international refused)', () => {
    const s = SettingsSchema.parse({ allowUnassignedQueueLogin: true });
    assert.deepEqual(s.outboundPolicy, DEFAULT_DESTINATION_POLICY);
  });

  it('given the shipped sample config, premium-rate and international numbers are refused', () => {
    const file = loadFileConfig(path.resolve(__dirname, '../../../config/sample.yaml'));
    const p = file.settings.outboundPolicy;
    for (const n of ['+442079460000', '00442079460000', '19005550100', '09001234567']) assert.equal(evaluate(n, p).allowed, false, n);
    assert.equal(evaluate('5550123', p).allowed, true);
  });

  describe('Destinations (the one gate)', () => {
    const registry = {
      settings: async () => SettingsSchema.parse({}),
      findQueue: (id: string) => (id === 'intl' ? { outboundPolicy: { deniedPrefixes: [] } } : id === 'sales' ? {} : undefined),
      findAgent: (id: string) => (id === 'agent1001' ? { id } : undefined),
    } as unknown as Registry;
    const d = new Destinations(registry);
    const sup: Principal = { id: 'sam', role: 'supervisor', supervisedQueues: [], endpoint: 'PJSIP/sup-desk', permissions: effectivePermissions('supervisor') };

    it('given a refused number, check throws 422 DESTINATION_NOT_ALLOWED naming the rule; a queue override applies', async () => {
      await assert.rejects(d.check('19005550100', 'sales', 'transfer'), (err: unknown) => {
        assert.ok(err instanceof DestinationNotAllowed);
        assert.deepEqual([err.status, err.code], [422, 'DESTINATION_NOT_ALLOWED']);
        assert.deepEqual(err.details, { destination: '19005550100', reason: 'denied-prefix', rule: '1900', queueId: 'sales' });
        return true;
      });
      assert.equal(await d.check('+442079460000', 'intl', 'transfer'), '+442079460000');
      assert.equal(await d.check('5550123', undefined, 'callback'), '5550123');
    });

    it('given a monitor endpoint, only the user\'s own or a registry phone is accepted', () => {
      assert.equal(d.monitorEndpoint(sup, undefined), 'PJSIP/sup-desk');
      assert.equal(d.monitorEndpoint(sup, 'PJSIP/sup-desk'), 'PJSIP/sup-desk');
      assert.equal(d.monitorEndpoint(sup, 'PJSIP/agent1001'), 'PJSIP/agent1001');
      for (const bad of ['PJSIP/19005550100@trunk', 'PJSIP/agent1001@trunk', 'PJSIP/other', 'Local/1@acd-transfer', 'PJSIP/agent1001,5']) {
        assert.throws(() => d.monitorEndpoint(sup, bad), DestinationNotAllowed, bad);
      }
    });
  });
});
