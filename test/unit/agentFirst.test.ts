import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { AgentFirstCalls, type AgentFirstHooks, type AgentFirstRequest } from '../../src/calls/agentFirst';
import { CallCore } from '../../src/calls/core';
import { MediaWaiter } from '../../src/calls/core/media';
import { Destinations } from '../../src/destinations/destinations';
import { FakeAri, settle } from '../support/fakeAri';

const log = winston.createLogger({ silent: true });

describe('Agent-first outbound call (calls/agentFirst, fake ARI)', () => {
  const sandbox = sinon.createSandbox();
  let ari: FakeAri;
  let core: CallCore;
  let destinations: sinon.SinonStubbedInstance<Destinations>;
  let dialer: AgentFirstCalls;
  let steps: string[];
  let hooks: AgentFirstHooks;
  const req = (o: Partial<AgentFirstRequest> = {}): AgentFirstRequest => ({
    id: 'cp-1', token: 't1', agentId: 'a1', agentCallerId: '"Campaign Spring" <5551234>', ringTimeoutSec: 20,
    number: '555-1234', policyScope: 'q1', customerCallerId: '"Sales" <100>', dialTimeoutSec: 30, log, ...o,
  });

  beforeEach(() => {
    ari = new FakeAri();
    core = new CallCore(ari.asAri(), log);
    destinations = sandbox.createStubInstance(Destinations);
    destinations.evaluate.callsFake(async (n) => ({ allowed: true, number: n }));
    dialer = new AgentFirstCalls(core, ari.asAri(), new MediaWaiter(ari.asAri(), log), destinations as unknown as Destinations,
      { name: 'campaigns', prefix: 'cp', agentKind: 'cpagent', customerKind: 'cpcustomer', outboundDial: 'PJSIP/{number}@trunk' }, log);
    core.register(dialer);
    steps = [];
    hooks = {
      agentAnswered: async (bridgeId) => { steps.push(`accept ${bridgeId}`); return true; },
      beforeDial: async (ch) => { steps.push(`before ${ch}`); },
      agentNotReached: async (outcome, pause) => { steps.push(`not reached ${outcome} ${pause}`); },
      finished: async (outcome, talkMs) => { steps.push(`finished ${outcome} ${talkMs > 0 ? 'talked' : 'no talk'}`); },
    };
  });
  afterEach(() => sandbox.restore());

  it('given an agent and a number, when the agent answers and then the customer, then the customer is dialed through the outbound route with ringback to the agent, both are bridged, and the outcome is answered once the agent leg is gone', async () => {
    await dialer.start(req(), hooks);
    const [agent] = ari.argsOf('originate')[0];
    assert.deepEqual([agent.endpoint, agent.channelId, agent.appArgs, agent.callerId, agent.timeoutSec], ['PJSIP/a1', 'cpoffer-t1', 'cpagent,cp-1,t1', '"Campaign Spring" <5551234>', 20]);
    assert.deepEqual(core.channels.get('cpoffer-t1'), { callId: 'cp-1', feature: 'campaigns', role: 'agent' });
    ari.stasisStart('cpoffer-t1', ['cpagent', 'cp-1', 't1']);
    await settle();
    assert.deepEqual(ari.argsOf('play')[0], ['cpoffer-t1', 'cpring-t1', ['tone:ring;tonezone=us']]);
    assert.deepEqual(destinations.evaluate.firstCall.args, ['5551234', 'q1']);
    const [customer] = ari.argsOf('originate')[1];
    assert.deepEqual([customer.endpoint, customer.channelId, customer.appArgs, customer.callerId, customer.timeoutSec, customer.originator],
      ['PJSIP/5551234@trunk', 'cpcust-t1', 'cpcustomer,cp-1', '"Sales" <100>', 30, 'cpoffer-t1']);
    ari.stasisStart('cpcust-t1', ['cpcustomer', 'cp-1']);
    await settle();
    assert.deepEqual(ari.argsOf('createBridge'), [['cp-t1', 'mixing']]);
    assert.deepEqual(ari.argsOf('addChannels'), [['cp-t1', ['cpoffer-t1', 'cpcust-t1']]]);
    await new Promise((r) => setTimeout(r, 5));
    ari.channelGone('cpcust-t1');
    await settle();
    assert.deepEqual(steps, ['accept cp-t1', 'before cpoffer-t1'], 'not reported before the agent leg is gone');
    ari.channelGone('cpoffer-t1');
    await settle();
    assert.deepEqual(steps, ['accept cp-t1', 'before cpoffer-t1', 'finished answered talked']);
    assert.equal(dialer.isPlacing('cp-1'), false);
    assert.equal(core.channels.size, 0);
  });

  it('given the agent does not answer (Q.850 19), then nothing is dialed and the agent is reported not reached with no-answer', async () => {
    await dialer.start(req(), hooks);
    ari.channelGone('cpoffer-t1', 19);
    await settle();
    assert.deepEqual(steps, ['not reached no-answer no-answer']);
    assert.equal(ari.argsOf('originate').length, 1);
  });

  it('given the destination policy now refuses the number, when the agent answered, then nothing is dialed, the agent hears that the number cannot be reached, and the outcome is refused', async () => {
    destinations.evaluate.resolves({ allowed: false, number: '5551234', reason: 'denied-prefix', rule: '555' });
    await dialer.start(req(), hooks);
    ari.stasisStart('cpoffer-t1', ['cpagent', 'cp-1', 't1']);
    await settle();
    assert.equal(ari.argsOf('originate').length, 1, 'the customer is not dialed');
    assert.deepEqual(ari.argsOf('play').at(-1), ['cpoffer-t1', 'cpna-t1', ['sound:number-not-answering']]);
    ari.playbackFinished('cpna-t1', 'cpoffer-t1');
    await settle();
    ari.channelGone('cpoffer-t1');
    await settle();
    assert.deepEqual(steps, ['accept cp-t1', 'before cpoffer-t1', 'finished refused no talk']);
  });

  it('given the customer is busy (Q.850 17), then the outcome is busy', async () => {
    await dialer.start(req(), hooks);
    ari.stasisStart('cpoffer-t1', ['cpagent', 'cp-1', 't1']);
    await settle();
    ari.channelGone('cpcust-t1', 17, { stasisEnd: false });
    await settle();
    ari.playbackFinished('cpna-t1', 'cpoffer-t1');
    await settle();
    ari.channelGone('cpoffer-t1');
    await settle();
    assert.equal(steps.at(-1), 'finished busy no talk');
  });

  it('given the placing feature finds the offer stale, when the agent answers, then the agent leg is hung up and nothing is dialed', async () => {
    hooks.agentAnswered = async () => false;
    await dialer.start(req(), hooks);
    ari.stasisStart('cpoffer-t1', ['cpagent', 'cp-1', 't1']);
    await settle();
    assert.deepEqual(ari.hungUp(), ['cpoffer-t1']);
    assert.equal(ari.argsOf('originate').length, 1);
    assert.equal(dialer.isPlacing('cp-1'), false);
  });

  it('given a call being placed, when its offer expires, then the agent stops ringing; another token changes nothing', async () => {
    await dialer.start(req(), hooks);
    assert.equal(await dialer.cancel('cp-1', 'other'), false);
    assert.equal(await dialer.cancel('cp-1', 't1'), true);
    assert.deepEqual(ari.hungUp(), ['cpoffer-t1']);
    assert.equal(dialer.isPlacing('cp-1'), false);
  });
});
