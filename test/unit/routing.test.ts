import assert from 'node:assert/strict';
import { parseSkills } from '../../src/calls/queueing/overflow';
import { Queue, QueueSchema } from '../../src/config/schema';
import { eligible, requirement, wideningPointsMs } from '../../src/routing/eligibility';
import { longestIdle } from '../../src/routing/longestIdle';
import { skillsBased } from '../../src/routing/strategies';

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

describe('routing: eligibility (skills, relaxation, tiers)', () => {
  const queue = (o: Partial<Queue> = {}) => QueueSchema.parse({ id: 'q', name: 'Q', extension: '100', ...o });
  const c = (agentId: string, skills: Record<string, number> = {}, penalty = 0) => ({ agentId, idleSince: 0, skills, penalty });

  it('keeps only agents meeting every required level; the caller\'s requirement adds to and overrides the queue\'s', () => {
    const q = queue({ requiredSkills: { french: 2, billing: 1 } });
    const agents = [c('fr2', { french: 2 }), c('both', { french: 2, billing: 3 }), c('fr4b1', { french: 4, billing: 1 })];
    assert.deepEqual(eligible(agents, q, {}, 0).map((a) => a.agentId), ['both', 'fr4b1']);
    assert.deepEqual(eligible(agents, q, { french: 4 }, 0).map((a) => a.agentId), ['fr4b1']);
    assert.deepEqual(requirement(q, { french: 4, spanish: 1 }, 0), { french: 4, billing: 1, spanish: 1 });
  });

  it('relaxes by the last step reached: levels drop by lowerBy, and a level at 0 is no requirement', () => {
    const q = queue({ requiredSkills: { french: 3, billing: 1 }, skillRelaxation: [{ afterSec: 10, lowerBy: 1 }, { afterSec: 30, lowerBy: 3 }] });
    assert.deepEqual(requirement(q, {}, 9_999), { french: 3, billing: 1 });
    assert.deepEqual(requirement(q, {}, 10_000), { french: 2 });
    assert.deepEqual(requirement(q, {}, 30_000), {});
    assert.deepEqual(wideningPointsMs(q), [10_000, 30_000]);
  });

  it('tiers: penalty p waits tierWaitSec[p-1] (the last entry beyond); the lowest tier present wins', () => {
    const q = queue({ tierWaitSec: [5, 20] });
    const agents = [c('t0', {}, 0), c('t1', {}, 1), c('t3', {}, 3)];
    assert.deepEqual(eligible(agents, q, {}, 0).map((a) => a.agentId), ['t0']);
    assert.deepEqual(eligible(agents.slice(1), q, {}, 4_999).map((a) => a.agentId), []);
    assert.deepEqual(eligible(agents.slice(1), q, {}, 5_000).map((a) => a.agentId), ['t1']);
    assert.deepEqual(eligible([agents[2]], q, {}, 19_999).map((a) => a.agentId), []);
    assert.deepEqual(eligible([agents[2]], q, {}, 20_000).map((a) => a.agentId), ['t3']);
  });

  it('skills-based ranks by the sum of levels in the needed skills, ties to the longest idle', () => {
    const agents = [{ ...c('a', { french: 3 }), idleSince: 1 }, { ...c('b', { french: 5 }), idleSince: 9 }, { ...c('d', { french: 5 }), idleSince: 5 }];
    assert.equal(skillsBased(agents, { required: { french: 1 } })?.agentId, 'd');
  });

  it('parses the dialplan\'s skills argument, dropping what is not skill:level', () => {
    assert.deepEqual(parseSkills('french:3&billing:2'), { french: 3, billing: 2 });
    assert.deepEqual(parseSkills('french:9&bad&:2&x:0'), {});
    assert.deepEqual(parseSkills(''), {});
  });
});
