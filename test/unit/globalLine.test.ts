import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import type { CallService } from '../../src/calls/queueing/callService';
import { Dispatcher } from '../../src/calls/queueing/dispatcher';
import type { LineView } from '../../src/cluster/liveness';
import type { Agent, Queue } from '../../src/config/schema';
import { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { agentDef, queueDef } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');

describe('Dispatcher: one line across controllers (stubbed store and offers)', () => {
  const sandbox = sinon.createSandbox();
  let clock: sinon.SinonFakeTimers;
  let state: sinon.SinonStubbedInstance<StateStore>;
  let offer: sinon.SinonStub;
  let offerAll: sinon.SinonStub;
  let local: Set<string>;
  /** The line in service order; `node`: the controller holding the caller. */
  let waiting: { callId: string; vtime: number; enqueuedAt: number; node: string; skills?: Record<string, number> }[];
  let ready: { agentId: string; idleSince: number }[];
  let live: Set<string>;
  let dispatcher: Dispatcher;

  const setup = async (queues: Queue[], agents: Agent[]) => {
    state.registryAll.callsFake((async (kind: string) => (kind === 'queues' ? queues : kind === 'agents' ? agents : [])) as never);
    const log = winston.createLogger({ silent: true });
    const registry = new Registry(state as unknown as StateStore, log);
    await registry.reload();
    const calls = { isWaitingHere: (_q: string, id: string) => local.has(id), offer, offerAll } as unknown as CallService;
    const line: LineView = { self: 'here', isLive: (n) => n === 'here' || live.has(n) };
    dispatcher = new Dispatcher(calls, () => undefined, state as unknown as StateStore, registry, log, () => true, undefined, undefined, line);
  };
  const offered = () => offer.getCalls().map((c) => [c.args[1], c.args[2]]);

  beforeEach(async () => {
    clock = sandbox.useFakeTimers({ now: NOW, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    state = sandbox.createStubInstance(StateStore);
    local = new Set();
    live = new Set(['there']);
    waiting = [];
    ready = [];
    state.waiting.callsFake(async (q) => (q === 'q1' ? waiting : []).map(({ callId, vtime }) => ({ callId, vtime })));
    state.waitingFacts.callsFake(async (ids) => new Map(waiting.filter((w) => ids.includes(w.callId))
      .map((w) => [w.callId, { enqueuedAt: w.enqueuedAt, skills: w.skills ?? {}, node: w.node }])));
    state.readyAgents.callsFake(async () => ready);
    state.agentServingQueues.resolves(['q1']);
    state.lastOfferedAgent.resolves(undefined);
    offer = sandbox.stub().callsFake(async (_q: Queue, _callId: string, agentId: string) => {
      ready = ready.filter((r) => r.agentId !== agentId);
      return 'offered';
    });
    offerAll = sandbox.stub().resolves('offered');
    await setup([queueDef({ id: 'q1', extension: '100' })],
      [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'] }), agentDef('fr', { queues: ['q1'], skills: { french: 3 } })]);
  });
  afterEach(() => { dispatcher.stop(); sandbox.restore(); });

  /** The line: `there1` held by the live controller `there`, 50 ms ahead of `here2`, held here. */
  const earlierThereLaterHere = () => {
    waiting = [{ callId: 'there1', vtime: 1, enqueuedAt: NOW - 50, node: 'there' }, { callId: 'here2', vtime: 2, enqueuedAt: NOW, node: 'here' }];
    local = new Set(['here2']);
  };

  it('given an earlier caller held by another live controller and a later one here, when one agent is ready, then this controller leaves the agent to the holder instead of giving it to its own later caller', async () => {
    earlierThereLaterHere();
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), []);
  });

  it('given the holder takes the agent it was left, when this controller looks again, then nothing is offered here', async () => {
    earlierThereLaterHere();
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    // the holder offered its caller: the agent is no longer ready, the caller no longer waits
    ready = [];
    waiting = waiting.slice(1);
    await clock.tickAsync(3000);
    assert.deepEqual(offered(), []);
  });

  it('given the holder does not take the agent it was left (its caller in the callback IVR, its ARI down), when the bounded wait is over, then the agent serves this controller\'s later caller', async () => {
    earlierThereLaterHere();
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    await clock.tickAsync(1500);
    assert.deepEqual(offered(), [], 'still left to the holder within the bound');
    await clock.tickAsync(1000);
    assert.deepEqual(offered(), [['here2', 'a1']], 'after the bound (2 s) with no other event, the agent is not kept idle');
  });

  it('given the earlier caller\'s controller is dead (its heartbeat lapsed), when an agent is ready, then the caller here gets it at once', async () => {
    live = new Set();
    earlierThereLaterHere();
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['here2', 'a1']]);
  });

  it('given two ready agents and an earlier caller held elsewhere, when dispatched, then the longest-idle agent is left to that caller (as its holder picks it) and the other serves the caller here', async () => {
    earlierThereLaterHere();
    ready = [{ agentId: 'a2', idleSince: NOW - 9000 }, { agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['here2', 'a1']]);
  });

  it('given an earlier caller held elsewhere who needs a skill no ready agent has, when dispatched, then nothing is kept for it and the caller here is served', async () => {
    waiting = [{ callId: 'there1', vtime: 1, enqueuedAt: NOW - 50, node: 'there', skills: { german: 2 } }, { callId: 'here2', vtime: 2, enqueuedAt: NOW, node: 'here' }];
    local = new Set(['here2']);
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['here2', 'a1']]);
  });

  it('given callers alternating between controllers, when dispatched here with three ready agents, then this controller serves only its own, each with the agent the line order leaves for it', async () => {
    waiting = [
      { callId: 'here1', vtime: 1, enqueuedAt: NOW - 300, node: 'here' },
      { callId: 'there2', vtime: 2, enqueuedAt: NOW - 250, node: 'there' },
      { callId: 'here3', vtime: 3, enqueuedAt: NOW - 200, node: 'here' },
    ];
    local = new Set(['here1', 'here3']);
    ready = [{ agentId: 'a2', idleSince: NOW - 9000 }, { agentId: 'a1', idleSince: NOW - 5000 }, { agentId: 'fr', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['here1', 'a2'], ['here3', 'fr']], 'a1, next in idle order, is the other controller\'s caller\'s');
  });

  it('given a ring-all queue and an earlier caller held elsewhere, when dispatched, then the agents that caller rings are not rung for the caller here', async () => {
    await setup([queueDef({ id: 'q1', extension: '100', strategy: 'ring-all' })], [agentDef('a1', { queues: ['q1'] }), agentDef('fr', { queues: ['q1'], skills: { french: 3 } })]);
    waiting = [{ callId: 'there1', vtime: 1, enqueuedAt: NOW - 50, node: 'there', skills: { french: 1 } }, { callId: 'here2', vtime: 2, enqueuedAt: NOW, node: 'here' }];
    local = new Set(['here2']);
    ready = [{ agentId: 'a1', idleSince: NOW - 9000 }, { agentId: 'fr', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offerAll.getCalls().map((c) => [c.args[1], [...c.args[2]].sort()]), [['here2', ['a1']]], 'fr rings for the French caller on the other controller');
  });

  it('given a caller of this controller that is not waiting here (in the callback IVR), when dispatched, then it is neither offered nor waited for', async () => {
    waiting = [{ callId: 'ivr1', vtime: 1, enqueuedAt: NOW - 50, node: 'here' }, { callId: 'here2', vtime: 2, enqueuedAt: NOW, node: 'here' }];
    local = new Set(['here2']);
    ready = [{ agentId: 'a1', idleSince: NOW - 1000 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offered(), [['here2', 'a1']]);
  });
});
