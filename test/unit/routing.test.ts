import assert from 'node:assert/strict';
import { longestIdle } from '../../src/routing/longestIdle';

describe('routing: longest-idle', () => {
  it('given several ready agents, picks the one idle the longest', () => {
    const pick = longestIdle([
      { agentId: 'b', idleSince: 3000 },
      { agentId: 'a', idleSince: 1000 },
      { agentId: 'c', idleSince: 2000 },
    ]);
    assert.equal(pick?.agentId, 'a');
  });

  it('given two agents idle since the same moment, picks the lower id (deterministic)', () => {
    assert.equal(longestIdle([{ agentId: 'z', idleSince: 5 }, { agentId: 'm', idleSince: 5 }])?.agentId, 'm');
  });

  it('given no ready agent, picks nobody', () => {
    assert.equal(longestIdle([]), undefined);
  });
});
