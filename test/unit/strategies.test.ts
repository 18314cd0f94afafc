import assert from 'node:assert/strict';
import { fewestCalls, leastTalkTime, linear, random, roundRobin, seededRandom } from '../../src/routing/strategies';

const c = (agentId: string, idleSince: number, callsToday = 0, talkTodayMs = 0) => ({ agentId, idleSince, callsToday, talkTodayMs });
const ready = [c('a2', 300, 4, 1000), c('a1', 200, 2, 9000), c('a3', 100, 2, 500)];

describe('routing strategies', () => {
  it('linear: always the first ready agent of the fixed order, then by id', () => {
    assert.equal(linear(ready, { order: ['a3', 'a1'] })?.agentId, 'a3');
    assert.equal(linear(ready.filter((x) => x.agentId !== 'a3'), { order: ['a3', 'a1'] })?.agentId, 'a1');
    assert.equal(linear(ready, {})?.agentId, 'a1');
  });

  it('round-robin: the next ready agent after the last one offered, wrapping around', () => {
    assert.equal(roundRobin(ready, {})?.agentId, 'a1');
    assert.equal(roundRobin(ready, { lastAgentId: 'a1' })?.agentId, 'a2');
    assert.equal(roundRobin(ready, { lastAgentId: 'a3' })?.agentId, 'a1', 'wraps');
    assert.equal(roundRobin(ready.filter((x) => x.agentId !== 'a2'), { lastAgentId: 'a1' })?.agentId, 'a3', 'skips who is not ready');
    assert.equal(roundRobin(ready, { lastAgentId: 'gone' })?.agentId, 'a1', 'an agent no longer in the ring still has a place in it');
  });

  it('fewest-calls: fewest calls today, ties to the longest idle', () => {
    assert.equal(fewestCalls(ready)?.agentId, 'a3');
  });

  it('least-talk-time: least talk today, ties to the longest idle', () => {
    assert.equal(leastTalkTime(ready)?.agentId, 'a3');
    assert.equal(leastTalkTime([c('x', 5, 0, 100), c('y', 1, 0, 100)])?.agentId, 'y');
  });

  it('random: every ready agent can be drawn; a seed makes the draws known', () => {
    const seen = new Set<string>();
    const draw = seededRandom(7);
    for (let i = 0; i < 60; i++) seen.add(random(ready, { random: draw })!.agentId);
    assert.deepEqual([...seen].sort(), ['a1', 'a2', 'a3']);
    const a = seededRandom(42); const b = seededRandom(42);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
    assert.equal(random([], {}), undefined);
  });
});
