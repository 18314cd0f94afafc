import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import type { CallService } from '../../src/calls/queueing/callService';
import { Dispatcher } from '../../src/calls/queueing/dispatcher';
import type { Agent, Queue } from '../../src/config/schema';
import { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { agentDef, queueDef } from '../support/callWorld';

const NOW = Date.now();
/** The stubs answer in microtasks: a macrotask turn runs the whole dispatch. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * The dispatcher reads the line and the ready agents a page at a time. These tests give it a store
 * whose two sorted sets behave as Redis's (score order, ties by member, LIMIT, reads from a score
 * on) and whose offers take the agent out of the ready set and the caller out of the line, as
 * offer_reserve does: the choice must be the one a full read makes, and the reads bounded.
 */
describe('Dispatcher reading a bounded amount (sorted-set store)', () => {
  const sandbox = sinon.createSandbox();
  let state: sinon.SinonStubbedInstance<StateStore>;
  let line: { callId: string; vtime: number; enqueuedAt: number; skills: Record<string, number> }[];
  let ready: { agentId: string; idleSince: number }[];
  let offers: [string, string][];
  let factsRead: number;
  let dispatcher: Dispatcher;

  const byScore = <T>(score: (t: T) => number, id: (t: T) => string) => (a: T, b: T) => score(a) - score(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);

  const setup = async (queue: Queue, agents: Agent[]) => {
    state.registryAll.callsFake((async (kind: string) => (kind === 'queues' ? [queue] : kind === 'agents' ? agents : [])) as never);
    const log = winston.createLogger({ silent: true });
    const registry = new Registry(state as unknown as StateStore, log);
    await registry.reload();
    const offer = async (_q: Queue, callId: string, agentId: string) => {
      const a = ready.findIndex((r) => r.agentId === agentId);
      if (a < 0) return 'agent';
      ready.splice(a, 1);
      line = line.filter((w) => w.callId !== callId);
      offers.push([callId, agentId]);
      return 'offered';
    };
    const calls = { isWaitingHere: (_q: string, id: string) => line.some((w) => w.callId === id), offer, offerAll: offer } as unknown as CallService;
    dispatcher = new Dispatcher(calls, () => undefined, state as unknown as StateStore, registry, log, () => true);
  };

  beforeEach(() => {
    state = sandbox.createStubInstance(StateStore);
    line = [];
    ready = [];
    offers = [];
    factsRead = 0;
    state.waiting.callsFake(async (_q, limit = 1000, from) => [...line].sort(byScore((w) => w.vtime, (w) => w.callId))
      .filter((w) => from === undefined || w.vtime >= from).slice(0, limit).map(({ callId, vtime }) => ({ callId, vtime })));
    state.waitingFacts.callsFake(async (ids) => {
      factsRead += ids.length;
      return new Map(line.filter((w) => ids.includes(w.callId)).map((w) => [w.callId, { enqueuedAt: w.enqueuedAt, skills: w.skills }]));
    });
    state.readyAgents.callsFake(async (_q, limit, from) => [...ready].sort(byScore((r) => r.idleSince, (r) => r.agentId))
      .filter((r) => from === undefined || r.idleSince >= from).slice(0, limit ?? Infinity));
    state.agentServingQueues.resolves(['q1']);
    state.lastOfferedAgent.resolves(undefined);
  });
  afterEach(() => { dispatcher.stop(); sandbox.restore(); });

  const agents = (n: number, def: (i: number) => Partial<Agent> = () => ({})) => Array.from({ length: n }, (_, i) => agentDef(`a${String(i).padStart(4, '0')}`, { queues: ['q1'], ...def(i) }));
  const callers = (n: number, skills: (i: number) => Record<string, number> = () => ({})) =>
    Array.from({ length: n }, (_, i) => ({ callId: `c${String(i).padStart(5, '0')}`, vtime: NOW - 100_000 + i, enqueuedAt: NOW - 100_000 + i, skills: skills(i) }));

  it('given 5,000 callers waiting and one ready agent, when dispatched, then the first caller is offered to it after reading the facts of at most 4 callers and one page of agents', async () => {
    await setup(queueDef({ id: 'q1', extension: '100' }), agents(1));
    line = callers(5000);
    ready = [{ agentId: 'a0000', idleSince: NOW - 1 }];
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offers, [['c00000', 'a0000']]);
    assert.ok(factsRead <= 4, `facts of ${factsRead} callers read`);
    assert.ok(state.readyAgents.getCalls().every((c) => c.args[1] !== undefined), 'never all the ready agents at once');
  });

  it('given 1,000 ready agents and one caller needing french that only the 900th longest-idle agent has, when dispatched, then that agent is offered (read on page after page)', async () => {
    await setup(queueDef({ id: 'q1', extension: '100' }), agents(1000, (i) => (i === 899 ? { skills: { french: 3 } } : {})));
    line = callers(1, () => ({ french: 2 }));
    ready = Array.from({ length: 1000 }, (_, i) => ({ agentId: `a${String(i).padStart(4, '0')}`, idleSince: NOW - 1_000_000 + i }));
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offers, [['c00000', 'a0899']]);
  });

  it('given a tier-1 agent idle longest and a tier-0 agent far down the idle order, when a caller who has not waited the tier wait is dispatched, then the tier-0 agent gets it', async () => {
    await setup(queueDef({ id: 'q1', extension: '100', tierWaitSec: [30] }), agents(300, (i) => (i === 0 ? { penalties: { q1: 1 } } : i === 250 ? {} : { penalties: { q1: 1 } })));
    line = [{ callId: 'c1', vtime: NOW - 5000, enqueuedAt: NOW - 5000, skills: {} }];
    ready = Array.from({ length: 300 }, (_, i) => ({ agentId: `a${String(i).padStart(4, '0')}`, idleSince: NOW - 1_000_000 + i }));
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offers, [['c1', 'a0250']]);
  });

  it('given 40 ready agents sharing one idle time and 40 callers sharing one virtual time, when dispatched, then each agent gets exactly one caller, in id order, none skipped at a page boundary', async () => {
    await setup(queueDef({ id: 'q1', extension: '100' }), agents(40));
    line = callers(40).map((c) => ({ ...c, vtime: NOW - 1000 }));
    ready = Array.from({ length: 40 }, (_, i) => ({ agentId: `a${String(i).padStart(4, '0')}`, idleSince: NOW - 5000 }));
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offers, Array.from({ length: 40 }, (_, i) => [`c${String(i).padStart(5, '0')}`, `a${String(i).padStart(4, '0')}`]));
  });

  it('given 200 ready agents and 300 waiting callers, when dispatched, then the first 200 callers go to the agents in longest-idle order, as a full read would pair them', async () => {
    await setup(queueDef({ id: 'q1', extension: '100' }), agents(200));
    line = callers(300);
    // idle order is not id order
    ready = Array.from({ length: 200 }, (_, i) => ({ agentId: `a${String(i).padStart(4, '0')}`, idleSince: NOW - 1_000_000 + ((i * 7919) % 200) }));
    const expected = [...ready].sort((a, b) => a.idleSince - b.idleSince).map((r, i) => [`c${String(i).padStart(5, '0')}`, r.agentId]);
    dispatcher.kick('q1');
    await settle();
    assert.deepEqual(offers, expected);
    assert.equal(line.length, 100);
  });
});
