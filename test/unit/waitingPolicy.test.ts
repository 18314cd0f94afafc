import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import type { CallCore, CallEventMap, CallSession } from '../../src/calls/core';
import type { CallService } from '../../src/calls/queueing/callService';
import { TypedEmitter } from '../../src/events/typedEmitter';
import { WaitingPolicy } from '../../src/calls/queueing/waitingPolicy';
import type { Queue } from '../../src/config/schema';
import type { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { queueDef } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');

describe('WaitingPolicy (maximum wait, leave when empty)', () => {
  const sandbox = sinon.createSandbox();
  const log = winston.createLogger({ silent: true });
  let clock: sinon.SinonFakeTimers;
  let state: sinon.SinonStubbedInstance<StateStore>;
  let sessions: Map<string, CallSession>;
  /** The call core's lifecycle events. */
  let lifecycle: TypedEmitter<CallEventMap>;
  let overflow: sinon.SinonStub;
  let queues: Map<string, Queue>;
  let policy: WaitingPolicy;

  const session = (callId: string, queueId: string, s: Partial<CallSession> = {}): CallSession => {
    const x: CallSession = { callId, queueId, callerChannelId: callId, callerNumber: '1', state: 'waiting', log, ...s };
    sessions.set(callId, x);
    return x;
  };
  /** The call joined its queue `agoMs` before now, as Redis records it. */
  const recorded = (callId: string, agoMs: number, o: { queuedAt?: number } = {}) =>
    state.call.withArgs(callId).resolves({ id: callId, enqueuedAt: NOW - agoMs, ...o } as never);

  beforeEach(() => {
    clock = sandbox.useFakeTimers({ now: NOW, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    state = sandbox.createStubInstance(StateStore);
    sessions = new Map();
    lifecycle = new TypedEmitter<CallEventMap>();
    overflow = sandbox.stub().resolves(true);
    queues = new Map([
      ['q1', queueDef({ id: 'q1', extension: '100', maxWaitSec: 30 })],
      ['q2', queueDef({ id: 'q2', extension: '200' })],
      ['empty', queueDef({ id: 'empty', extension: '300', leaveWhenEmpty: 'yes' })],
    ]);
    const calls = {
      overflow, liveSession: (id: string) => sessions.get(id), liveSessions: () => [...sessions.values()],
    } as unknown as CallService;
    policy = new WaitingPolicy({ events: lifecycle } as unknown as CallCore, calls, state as unknown as StateStore, { findQueue: (id: string) => queues.get(id) } as unknown as Registry);
  });
  afterEach(() => { policy.stop(); sandbox.restore(); });

  it('given a queue with maxWaitSec 30, when a caller has waited 30 s, then it overflows as a timeout, not a moment before', async () => {
    recorded('c1', 0);
    lifecycle.emit('queued', session('c1', 'q1'), queues.get('q1')!);
    await settle();
    await clock.tickAsync(29_999);
    sinon.assert.notCalled(overflow);
    await clock.tickAsync(1);
    sinon.assert.calledOnceWithExactly(overflow, 'c1', 'timeout');
  });

  it('given a caller who joined 20 s ago (a controller restart re-queues it), when it is queued again here, then the deadline counts from Redis\'s join time: 10 s left', async () => {
    recorded('c1', 20_000);
    lifecycle.emit('queued', session('c1', 'q1'), queues.get('q1')!);
    await settle();
    await clock.tickAsync(9_999);
    sinon.assert.notCalled(overflow);
    await clock.tickAsync(1);
    sinon.assert.calledOnce(overflow);
  });

  it('given a caller moved into the queue later (queuedAt), when the deadline is set, then it counts from queuedAt, not from the first join', async () => {
    recorded('c1', 100_000, { queuedAt: NOW - 5_000 });
    lifecycle.emit('queued', session('c1', 'q1'), queues.get('q1')!);
    await settle();
    await clock.tickAsync(24_999);
    sinon.assert.notCalled(overflow);
    await clock.tickAsync(1);
    sinon.assert.calledOnce(overflow);
  });

  it('given a caller whose phone rings an agent at the deadline, when it runs out, then it is looked at again a second later and overflows only if waiting again', async () => {
    recorded('c1', 0);
    const s = session('c1', 'q1');
    lifecycle.emit('queued', s, queues.get('q1')!);
    await settle();
    s.state = 'offered';
    await clock.tickAsync(30_000);
    sinon.assert.notCalled(overflow);
    s.state = 'waiting';
    await clock.tickAsync(1_000);
    sinon.assert.calledOnceWithExactly(overflow, 'c1', 'timeout');
  });

  it('given a caller transferred to another queue before its deadline, when the old deadline passes, then nothing happens', async () => {
    recorded('c1', 0);
    const s = session('c1', 'q1');
    lifecycle.emit('queued', s, queues.get('q1')!);
    await settle();
    s.queueId = 'q2';
    await clock.tickAsync(60_000);
    sinon.assert.notCalled(overflow);
  });

  it('given a caller queued twice (back to waiting after an offer), when time passes, then only one deadline fires', async () => {
    recorded('c1', 0);
    const s = session('c1', 'q1');
    lifecycle.emit('queued', s, queues.get('q1')!);
    await settle();
    lifecycle.emit('queued', s, queues.get('q1')!);
    await settle();
    await clock.tickAsync(60_000);
    sinon.assert.calledOnce(overflow);
  });

  it('given a queue without maxWaitSec, when a caller waits an hour, then it never overflows (Redis not even read)', async () => {
    lifecycle.emit('queued', session('c1', 'q2'), queues.get('q2')!);
    await settle();
    await clock.tickAsync(3_600_000);
    sinon.assert.notCalled(overflow);
    sinon.assert.notCalled(state.call);
  });

  it('given waiting callers in a leave-when-empty queue and in a queue that keeps them, when an agent\'s state changes, then only the former are sent to the overflow (as empty)', () => {
    session('keep', 'q2');
    session('leave', 'empty');
    session('ringing', 'empty', { state: 'offered' });
    policy.onEvent({ id: '1', type: 'agent.state', at: NOW, agentId: 'a1', state: 'logged_out', queues: [] });
    policy.onEvent({ id: '2', type: 'call.queued', at: NOW, queueId: 'empty' });
    assert.deepEqual(overflow.getCalls().map((c) => c.args), [['leave', 'empty']]);
  });
});
