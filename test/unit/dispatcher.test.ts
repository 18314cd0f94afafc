import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { CallbackServing } from '../../src/callbacks/serving';
import type { AgentFirstDialer } from '../../src/calls/agentFirst';
import type { CallCore } from '../../src/calls/core';
import type { MediaWaiter } from '../../src/calls/core/media';
import type { Ari } from '../../src/ari/client';
import type { CallService } from '../../src/calls/queueing/callService';
import { Dispatcher } from '../../src/calls/queueing/dispatcher';
import type { Agent, Queue } from '../../src/config/schema';
import { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { agentDef, queueDef } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');

describe('Dispatcher (stubbed store and offers)', () => {
  const sandbox = sinon.createSandbox();
  let clock: sinon.SinonFakeTimers;
  let state: sinon.SinonStubbedInstance<StateStore>;
  let offer: sinon.SinonStub;
  let offerAll: sinon.SinonStub;
  let callbackOffer: sinon.SinonStub;
  let local: Set<string>;
  let online: boolean;
  /** The queue's waiting entries, in service order, and their facts. */
  let waiting: { callId: string; vtime: number; enqueuedAt: number; skills?: Record<string, number> }[];
  /** Other queues' waiting entries (q1's are `waiting`). */
  let elsewhere: Map<string, { callId: string; vtime: number; enqueuedAt: number }[]>;
  let ready: { agentId: string; idleSince: number }[];
  let dispatcher: Dispatcher;

  const setup = async (queues: Queue[], agents: Agent[]) => {
    state.registryAll.callsFake((async (kind: string) => (kind === 'queues' ? queues : kind === 'agents' ? agents : [])) as never);
    const log = winston.createLogger({ silent: true });
    const registry = new Registry(state as unknown as StateStore, log);
    await registry.reload();
    const calls = { localWaiting: () => local, offer, offerAll } as unknown as CallService;
    // the callback feature's offer source as main.ts registers it, its offers stubbed
    const callbacks = new CallbackServing({} as CallCore, {} as Ari, {} as MediaWaiter, {} as AgentFirstDialer, state as unknown as StateStore, registry, 'n1', 5000, log);
    callbacks.offer = callbackOffer;
    dispatcher = new Dispatcher(calls, (id) => (callbacks.isMine(id) ? callbacks : undefined), state as unknown as StateStore, registry, log, () => online);
  };
  const offered = () => offer.getCalls().map((c) => [c.args[1], c.args[2]]);

  beforeEach(async () => {
    clock = sandbox.useFakeTimers({ now: NOW, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    state = sandbox.createStubInstance(StateStore);
    local = new Set();
    online = true;
    waiting = [];
    elsewhere = new Map();
    ready = [];
    state.waiting.callsFake(async (q) => (q === 'q1' ? waiting : elsewhere.get(q) ?? []).map(({ callId, vtime }) => ({ callId, vtime })));
    state.waitingFacts.callsFake(async (ids) => new Map([...waiting, ...[...elsewhere.values()].flat()].filter((w) => ids.includes(w.callId))
      .map((w) => [w.callId, { enqueuedAt: w.enqueuedAt, skills: (w as { skills?: Record<string, number> }).skills ?? {} }])));
    state.readyAgents.callsFake(async () => ready);
    state.agentServingQueues.resolves(['q1']);
    state.lastOfferedAgent.resolves(undefined);
    state.call.resolves(undefined);
    offer = sandbox.stub().resolves('offered');
    offerAll = sandbox.stub().resolves('offered');
    callbackOffer = sandbox.stub().resolves('offered');
    await setup([queueDef({ id: 'q1', extension: '100' })], [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'] })]);
  });
  afterEach(() => { dispatcher.stop(); sandbox.restore(); });

  it('given two callers waiting here and two ready agents, when dispatched, then the first in line goes to the longest-idle agent and the second to the other', async () => {
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW - 5000 }, { callId: 'c2', vtime: 2, enqueuedAt: NOW - 1000 }];
    local = new Set(['c1', 'c2']);
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }, { agentId: 'a2', idleSince: NOW - 9000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['c1', 'a2'], ['c2', 'a1']]);
  });

  it('given a caller held by another controller, when dispatched here, then it is not offered (its controller offers it)', async () => {
    waiting = [{ callId: 'elsewhere', vtime: 1, enqueuedAt: NOW - 5000 }, { callId: 'c2', vtime: 2, enqueuedAt: NOW }];
    local = new Set(['c2']);
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['c2', 'a1']]);
  });

  it('given ARI is down, when dispatched, then nothing is read or offered (reconnect dispatches again)', async () => {
    online = false;
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW }];
    local = new Set(['c1']);
    ready = [{ agentId: 'a1', idleSince: NOW }];
    dispatcher.kick('q1');
    await settle();
    sinon.assert.notCalled(offer);
    sinon.assert.notCalled(state.waiting);
  });

  it('given the picked agent is no longer ready, when the offer answers "agent", then the same caller is offered the next agent', async () => {
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW }];
    local = new Set(['c1']);
    ready = [{ agentId: 'a1', idleSince: NOW - 9000 }, { agentId: 'a2', idleSince: NOW - 1000 }];
    offer.onFirstCall().resolves('agent');
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['c1', 'a1'], ['c1', 'a2']]);
  });

  it('given a callback request waiting, when dispatched, then it goes through the callback offer, only to an agent taking callbacks in that queue', async () => {
    await setup([queueDef({ id: 'q1', extension: '100' })],
      [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'], callbackQueues: ['q1'] })]);
    waiting = [{ callId: 'cb-1', vtime: 1, enqueuedAt: NOW }];
    ready = [{ agentId: 'a1', idleSince: NOW - 9000 }, { agentId: 'a2', idleSince: NOW - 1000 }];
    state.call.resolves({ id: 'cb-1', kind: 'callback', queueId: 'q1' } as never);
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(callbackOffer.getCalls().map((c) => [c.args[1], c.args[2]]), [['cb-1', 'a2']]);
    sinon.assert.notCalled(offer);
  });

  it('given a ring-all queue, when dispatched, then every ready agent is rung at once for the first caller', async () => {
    await setup([queueDef({ id: 'q1', extension: '100', strategy: 'ring-all' })], [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'] })]);
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW }, { callId: 'c2', vtime: 2, enqueuedAt: NOW }];
    local = new Set(['c1', 'c2']);
    ready = [{ agentId: 'a1', idleSince: NOW }, { agentId: 'a2', idleSince: NOW }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offerAll.getCalls().map((c) => [c.args[1], [...c.args[2]].sort()]), [['c1', ['a1', 'a2']]]);
    sinon.assert.notCalled(offer);
  });

  it('given a caller needing a skill no ready agent has yet, when its requirement relaxes after 10 s, then it is offered at that moment without any other event', async () => {
    await setup([queueDef({ id: 'q1', extension: '100', skillRelaxation: [{ afterSec: 10, lowerBy: 2 }] })],
      [agentDef('a1', { queues: ['q1'], skills: { french: 1 } })]);
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW, skills: { french: 3 } }];
    local = new Set(['c1']);
    ready = [{ agentId: 'a1', idleSince: NOW }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [], 'french 1 does not meet french 3');
    await clock.tickAsync(9_000);
    assert.deepEqual(offered(), []);
    await clock.tickAsync(1_100);
    assert.deepEqual(offered(), [['c1', 'a1']], 'french 3 lowered by 2 is met by french 1');
  });

  describe('fairness between queues sharing an agent', () => {
    const twoQueues = async (q1Weight = 0) => {
      await setup([queueDef({ id: 'q1', extension: '100', weight: q1Weight }), queueDef({ id: 'q2', extension: '200' })],
        [agentDef('a1', { queues: ['q1', 'q2'] })]);
      state.agentServingQueues.resolves(['q1', 'q2']);
      waiting = [{ callId: 'c1', vtime: NOW - 2000, enqueuedAt: NOW - 2000 }];
      elsewhere.set('q2', [{ callId: 'd1', vtime: NOW - 4000, enqueuedAt: NOW - 4000 }]);
      local = new Set(['c1', 'd1']);
      ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    };

    it('given an agent in two queues and an earlier caller in the other, when this queue is dispatched, then the agent is left to that caller and the other queue is dispatched', async () => {
      await twoQueues();
      dispatcher.kick('q1');
      await settle();
      assert.deepEqual(offered(), [['d1', 'a1']]);
    });

    it('given this queue weighs 5 s more, when its caller counts as having waited longer, then it gets the shared agent', async () => {
      await twoQueues(5);
      dispatcher.kick('q1');
      await settle();
      assert.deepEqual(offered(), [['c1', 'a1']]);
    });
  });

  it('given a run in progress, when the queue is kicked three more times, then exactly one more run follows, never two at once', async () => {
    waiting = [{ callId: 'c1', vtime: 1, enqueuedAt: NOW }];
    local = new Set(['c1']);
    let release!: () => void;
    let inFlight = 0;
    let most = 0;
    state.readyAgents.callsFake(async () => {
      inFlight++; most = Math.max(most, inFlight);
      if (state.readyAgents.callCount === 1) await new Promise<void>((r) => { release = r; });
      inFlight--;
      return [];
    });
    dispatcher.kick('q1');
    await settle();
    dispatcher.kick('q1'); dispatcher.kick('q1'); dispatcher.kick('q1');
    release();
    await settle();
    assert.equal(state.readyAgents.callCount, 2);
    assert.equal(most, 1);
  });

  it('given stream events, when a call is queued in q1 or an agent of q1 and q2 becomes ready, then those queues are dispatched; other events dispatch nothing', async () => {
    const kick = sandbox.stub(dispatcher, 'kick');
    dispatcher.onEvent({ id: '1', type: 'call.queued', at: NOW, queueId: 'q1' });
    dispatcher.onEvent({ id: '2', type: 'agent.state', at: NOW, agentId: 'a1', state: 'ready', queues: ['q1', 'q2'] });
    dispatcher.onEvent({ id: '3', type: 'agent.state', at: NOW, agentId: 'a1', state: 'paused', queues: ['q1'] });
    dispatcher.onEvent({ id: '4', type: 'call.connected', at: NOW, queueId: 'q1' });
    assert.deepEqual(kick.getCalls().map((c) => c.args[0]), ['q1', 'q1', 'q2']);
  });
});
