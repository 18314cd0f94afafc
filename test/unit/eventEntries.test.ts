import assert from 'node:assert/strict';
import { EventBus } from '../../src/events/bus';

describe('event stream entries', () => {
  it('turn into {type, at, ...data} with lists kept as lists', () => {
    const e = EventBus.parse('1-0', ['type', 'agent.state', 'at', '42', 'data', JSON.stringify({ agentId: 'a1', state: 'logged_out', queues: {} })]);
    assert.deepEqual(e, { id: '1-0', type: 'agent.state', at: 42, agentId: 'a1', state: 'logged_out', queues: [] });
  });
});
