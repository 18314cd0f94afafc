import assert from 'node:assert/strict';
import { unansweredOutcome } from '../../src/calls/core';

describe('unanswered offers', () => {
  it('maps ring timeout (19) and no response (18) to a no-answer pause, busy and reject to their own reasons', () => {
    assert.deepEqual(unansweredOutcome(19), { outcome: 'no-answer', pauseReason: 'no-answer' });
    assert.deepEqual(unansweredOutcome(18), { outcome: 'no-answer', pauseReason: 'no-answer' });
    assert.equal(unansweredOutcome(17).pauseReason, 'busy');
    assert.equal(unansweredOutcome(21).pauseReason, 'rejected');
    assert.equal(unansweredOutcome(38).pauseReason, 'unreachable');
  });
});
