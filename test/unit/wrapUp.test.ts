import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { AccessPolicy } from '../../src/access/policy';
import type { Principal } from '../../src/access/users';
import { CallCore } from '../../src/calls/core';
import { WrapUpFeature, wrapUpFor } from '../../src/calls/wrapUp';
import { AcdError } from '../../src/errors';
import { Registry } from '../../src/registry/registry';
import { type AgentState, StateStore } from '../../src/state/store';
import { agentDef, queueDef } from '../support/callWorld';
import { FakeAri } from '../support/fakeAri';

const rejectsWith = async (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err: unknown) => err instanceof AcdError && err.code === code);

describe('Wrap-up (calls/wrapUp: the policy, the deadline timer, extend and end)', () => {
  const sandbox = sinon.createSandbox();
  let state: sinon.SinonStubbedInstance<StateStore>;
  let registry: Registry;
  let feature: WrapUpFeature;
  const agentUser = { id: 'u1', role: 'agent', agentId: 'a1', permissions: {} } as unknown as Principal;
  const supervisor = { id: 's1', role: 'supervisor', permissions: {} } as unknown as Principal;

  beforeEach(async () => {
    state = sandbox.createStubInstance(StateStore);
    const queues = [
      queueDef({ id: 'q1', extension: '100', wrapUp: { sec: 15, extendStepSec: 30, maxSec: 60, agentsMayEnd: true, agentsMayExtend: true, dispositions: [], tags: [] } }),
      queueDef({ id: 'strict', extension: '200', wrapUp: { sec: 10, extendStepSec: 10, maxSec: 20, agentsMayEnd: false, agentsMayExtend: false, dispositions: [], tags: [] } }),
    ];
    state.registryAll.callsFake((async (kind: string) => (kind === 'queues' ? queues : kind === 'agents' ? [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'], wrapUpSec: 5 })] : [])) as never);
    const log = winston.createLogger({ silent: true });
    registry = new Registry(state as unknown as StateStore, log);
    await registry.reload();
    feature = new WrapUpFeature(registry, state as unknown as StateStore, new AccessPolicy(registry));
    state.wrapupExtend.resolves({ ok: true, value: undefined } as never);
    state.wrapupEnd.resolves({ ok: true, value: undefined } as never);
    state.agentState.resolves({ state: 'wrap_up', wrapUpQueue: 'q1' } as AgentState);
  });
  afterEach(() => sandbox.restore());

  it('given a queue\'s wrap-up and an agent\'s own, then a call gives the agent\'s own seconds with the queue\'s maximum and step; an unknown queue gives none', () => {
    assert.deepEqual(wrapUpFor(registry, 'q1', 'a1'), { ms: 15_000, maxMs: 60_000, stepMs: 30_000 });
    assert.deepEqual(wrapUpFor(registry, 'q1', 'a2'), { ms: 5_000, maxMs: 60_000, stepMs: 30_000 });
    assert.deepEqual(wrapUpFor(registry, 'gone', 'a1'), { ms: 0, maxMs: 0, stepMs: 0 });
  });

  it('given the wrapup timer registered with the core, when it fires, then the wrap-up ends with its token, as a deadline', async () => {
    const core = new CallCore(new FakeAri().asAri(), winston.createLogger({ silent: true }));
    core.register(feature);
    await core.timerHandlers().wrapup(['a1', 'tok']);
    assert.deepEqual(state.wrapupEnd.firstCall.args, ['a1', 'tok', true]);
  });

  it('given a queue that lets agents end and extend, the agent may; at the maximum, WRAPUP_MAX', async () => {
    await feature.service.extend(agentUser, 'a1');
    await feature.service.end(agentUser, 'a1');
    assert.equal(state.wrapupExtend.callCount, 1);
    assert.deepEqual(state.wrapupEnd.firstCall.args, ['a1']);
    state.wrapupExtend.resolves({ ok: false, code: 'WRAPUP_MAX' } as never);
    await rejectsWith(feature.service.extend(agentUser, 'a1'), 'WRAPUP_MAX');
  });

  it('given a queue that does not let agents end or extend, the agent is refused (403) and nothing changes; a supervisor may', async () => {
    state.agentState.resolves({ state: 'wrap_up', wrapUpQueue: 'strict' } as AgentState);
    await rejectsWith(feature.service.end(agentUser, 'a1'), 'FORBIDDEN');
    await rejectsWith(feature.service.extend(agentUser, 'a1'), 'FORBIDDEN');
    assert.equal(state.wrapupEnd.callCount + state.wrapupExtend.callCount, 0);
    await feature.service.end(supervisor, 'a1');
    assert.equal(state.wrapupEnd.callCount, 1);
  });

  it('given an agent not in wrap-up, ending it is a 409 NOT_IN_WRAPUP', async () => {
    state.wrapupEnd.resolves({ ok: false, code: 'NOT_IN_WRAPUP' } as never);
    await rejectsWith(feature.service.end(supervisor, 'a1'), 'NOT_IN_WRAPUP');
  });
});
