import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { LAPSE_MS, NodeLiveness } from '../../src/cluster/liveness';
import { StateStore } from '../../src/state/store';

describe('NodeLiveness: whose callers a controller waits for (stubbed store)', () => {
  const sandbox = sinon.createSandbox();
  const log = winston.createLogger({ silent: true });
  let state: sinon.SinonStubbedInstance<StateStore>;
  let now: number;
  let takeOver: sinon.SinonStub;
  let liveness: NodeLiveness;

  beforeEach(() => {
    now = 1_000_000;
    state = sandbox.createStubInstance(StateStore);
    state.nodeHeartbeat.resolves({ live: ['n1', 'n2'], due: [], fresh: true });
    state.nodeTakeover.resolves({ ok: true, value: now - 5000 });
    takeOver = sandbox.stub().resolves();
    liveness = new NodeLiveness(state as unknown as StateStore, 'n1', takeOver, log, undefined, {}, () => now);
  });
  afterEach(() => sandbox.restore());

  it('given a beat that lists n1 and n2, then n2 is live and n3 is not; itself always is', async () => {
    await liveness.beat();
    assert.deepEqual(['n1', 'n2', 'n3'].map((n) => liveness.isLive(n)), [true, true, false]);
  });

  it('given no beat answered for longer than the lapse (Redis unreachable), then every holder counts as live: this controller knows nothing of the others and waits for them (bounded by the dispatcher)', async () => {
    await liveness.beat();
    now += LAPSE_MS + 1;
    state.nodeHeartbeat.rejects(new Error('Connection is closed.'));
    await liveness.beat();
    assert.equal(liveness.isLive('n3'), true);
  });

  it('given a beat naming n3 due, then this controller claims it and, having won the claim, takes it over once; a lost claim takes nothing over', async () => {
    state.nodeHeartbeat.resolves({ live: ['n1'], due: ['n3'], fresh: false });
    await liveness.beat();
    sinon.assert.calledOnceWithExactly(state.nodeTakeover, 'n3', 'n1', LAPSE_MS, sinon.match.number);
    sinon.assert.calledOnceWithExactly(takeOver, 'n3');
    state.nodeTakeover.resolves({ ok: false, code: 'NOT_LAPSED' });
    await liveness.beat();
    sinon.assert.calledOnce(takeOver);
  });

  it('given a takeover that fails half-way, then the beat goes on (the claim lapses and is tried again)', async () => {
    state.nodeHeartbeat.resolves({ live: ['n1'], due: ['n3'], fresh: false });
    takeOver.rejects(new Error('Redis went away'));
    await liveness.beat();
    await liveness.beat();
    sinon.assert.calledTwice(takeOver);
  });
});
