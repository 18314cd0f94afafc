import assert from 'node:assert/strict';
import { CallbackNumber } from '../../src/callbacks/numbers';
import { dialString, dialable } from '../../src/calls/agentFirst/numbers';

describe('callback numbers', () => {
  it('accepts what web forms send: digits with ( ) + - .', () => {
    for (const n of ['5550100', '+1(555)010-0104', '555.010.0104', '+44-20-7946-0958']) assert.ok(CallbackNumber.safeParse(n).success, n);
  });

  it('refuses letters, spaces, a + inside, and too few or too many digits', () => {
    for (const n of ['555-CALL', '555 0100', '55+50100', '12', '123456789012345678901', '']) assert.equal(CallbackNumber.safeParse(n).success, false, n);
  });

  it('dials digits only, keeping a leading +, through the configured template', () => {
    assert.equal(dialable('+1(555)010-0104'), '+15550100104');
    assert.equal(dialString('PJSIP/{number}@trunk', '555.010.0104'), 'PJSIP/5550100104@trunk');
  });
});
