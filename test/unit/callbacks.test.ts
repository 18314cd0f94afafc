import assert from 'node:assert/strict';
import sinon from 'sinon';
import { CallbacksFeature } from '../../src/callbacks';
import { AccessPolicy } from '../../src/access/policy';
import type { CallRecord } from '../../src/state/store';
import { StateStore } from '../../src/state/store';
import { Destinations } from '../../src/destinations/destinations';
import { AcdError } from '../../src/errors';
import { CallWorld, agentDef, callWorld, callerArrives, queueDef } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');
const WRAP = { ms: 15_000, maxMs: 60_000, stepMs: 30_000 };

const rejectsWith = async (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err: unknown) => err instanceof AcdError && err.code === code);

describe('Callbacks: IVR, serving agent-first, API (fake ARI, stubbed Lua transitions, real call core and queueing)', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;
  let feature: CallbacksFeature;
  let waitingAgain: string[];
  let record: Partial<CallRecord>;

  beforeEach(async () => {
    w = await callWorld({
      queues: [
        queueDef({ id: 'q1', extension: '100', name: 'Sales', mohClass: 'sales', callbacks: { enabled: true } as never,
          wrapUp: { sec: 15, extendStepSec: 30, maxSec: 60, agentsMayEnd: true, agentsMayExtend: true, dispositions: [], tags: [] } }),
        queueDef({ id: 'plain', extension: '200' }),
      ],
      agents: [agentDef('a1', { queues: ['q1'], callbackQueues: ['q1'] })],
    });
    clock = w.sandbox.useFakeTimers({ now: NOW, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    record = { id: 'cb-1', kind: 'callback', queueId: 'q1', callerNumber: '555-1234', callerName: '', state: 'offered' };
    w.state.call.withArgs('cb-1').callsFake(async () => record as CallRecord);
    w.state.callbackAttemptEnd.resolves({ ok: true, value: 'waiting' });
    w.state.callbackCreate.resolves({ ok: true, value: 'waiting' });
    feature = new CallbacksFeature({
      core: w.core, ari: w.ari.asAri(), media: w.media, state: w.state as unknown as StateStore, registry: w.registry, calls: w.calls,
      destinations: w.destinations as unknown as Destinations, policy: new AccessPolicy(w.registry), outboundDial: 'PJSIP/{number}@pstn',
      nodeId: 'n1', offerGraceMs: 5000, log: w.log,
    });
    w.core.register(feature);
    waitingAgain = w.waitingAgain;
  });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  /** Offer cb-1 to a1 and let the agent answer: returns the token and the agent's leg. */
  const agentAnswers = async () => {
    assert.equal(await feature.serving.offer(w.registry.queue('q1'), 'cb-1', 'a1'), 'offered');
    const [o] = w.ari.argsOf('originate')[0];
    const token = o.appArgs.split(',')[2];
    w.ari.stasisStart(o.channelId, o.appArgs.split(','));
    await settle();
    return { token, agentLeg: o.channelId };
  };
  const customerLeg = () => w.ari.argsOf('originate').map(([o]) => o).find((o) => o.appArgs.startsWith('customer,'));

  describe('serving a callback', () => {
    it('given a callback offered, when its offer timer fires on the core, then it is the callback feature\'s to settle: the offer fails as expired, the agent stops ringing, the request is dispatched again', async () => {
      w.state.failOffer.resolves({ ok: true, value: 'waiting' });
      assert.equal(await feature.serving.offer(w.registry.queue('q1'), 'cb-1', 'a1'), 'offered');
      const [o] = w.ari.argsOf('originate')[0];
      const token = o.appArgs.split(',')[2];
      await w.core.timerHandlers().offer(['cb-1', token]);
      assert.deepEqual(w.state.failOffer.lastCall.args, ['cb-1', token, 'expired', null, true]);
      assert.deepEqual(w.ari.hungUp(), [o.channelId]);
      assert.deepEqual(waitingAgain, ['q1']);
      assert.equal(w.core.channels.get(o.channelId), undefined);
    });

    it('given a waiting callback, when offered, then the agent is reserved for this controller and its phone shows a callback for the queue with the number to call', async () => {
      assert.equal(await feature.serving.offer(w.registry.queue('q1'), 'cb-1', 'a1'), 'offered');
      const [id, agentId, token, expiresAt, channelId, servedBy] = w.state.reserve.firstCall.args;
      assert.deepEqual([id, agentId, expiresAt, channelId, servedBy], ['cb-1', 'a1', NOW + 25_000, `cboffer-${token}`, 'n1']);
      const [o] = w.ari.argsOf('originate')[0];
      assert.deepEqual([o.endpoint, o.appArgs, o.callerId, o.timeoutSec], ['PJSIP/a1', `cbagent,cb-1,${token}`, '"Callback Sales" <5551234>', 20]);
    });

    it('given a callback with a message, when the agent answers, then it hears the message first and only then is the customer dialed, through the outbound template, while the agent hears ringing', async () => {
      record.message = 'callbacks/cb-1';
      const { token, agentLeg } = await agentAnswers();
      assert.deepEqual(w.state.accept.firstCall.args, ['cb-1', token, `cb-${token}`]);
      assert.deepEqual(w.ari.argsOf('play'), [[agentLeg, `cbmsg-${token}`, ['sound:beep', 'recording:callbacks/cb-1']]]);
      assert.equal(customerLeg(), undefined, 'not dialed during the message');
      w.ari.playbackFinished(`cbmsg-${token}`, agentLeg);
      await settle();
      assert.deepEqual(w.ari.argsOf('play')[1], [agentLeg, `cbring-${token}`, ['tone:ring;tonezone=us']]);
      const c = customerLeg()!;
      assert.deepEqual([c.endpoint, c.channelId, c.appArgs, c.callerId, c.timeoutSec, c.originator],
        ['PJSIP/5551234@pstn', `cbcust-${token}`, 'customer,cb-1', '"Sales" <100>', 30, agentLeg]);
    });

    it('given the customer answers, when its leg enters Stasis, then the ringing stops and agent and customer share a bridge; when the customer hangs up, the attempt is recorded as answered with its talk time once the agent leg is gone', async () => {
      const { token, agentLeg } = await agentAnswers();
      w.ari.stasisStart(`cbcust-${token}`, ['customer', 'cb-1']);
      await settle();
      assert.deepEqual(w.ari.argsOf('stopPlayback'), [[`cbring-${token}`]]);
      assert.deepEqual(w.ari.argsOf('createBridge'), [[`cb-${token}`, 'mixing']]);
      assert.deepEqual(w.ari.argsOf('addChannels'), [[`cb-${token}`, [agentLeg, `cbcust-${token}`]]]);
      await clock.tickAsync(42_000);
      w.ari.channelGone(`cbcust-${token}`);
      await settle();
      assert.ok(w.ari.hungUp().includes(agentLeg));
      sinon.assert.notCalled(w.state.callbackAttemptEnd);
      w.ari.channelGone(agentLeg);
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.callbackAttemptEnd, 'cb-1', 'answered', 42_000, WRAP);
    });

    it('given the customer does not answer (cause 19), when its leg ends, then the agent hears "number not answering", is hung up, and the attempt is recorded as no-answer', async () => {
      const { token, agentLeg } = await agentAnswers();
      w.ari.channelGone(`cbcust-${token}`, 19, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.ari.argsOf('play').at(-1), [agentLeg, `cbna-${token}`, ['sound:number-not-answering']]);
      assert.ok(!w.ari.hungUp().includes(agentLeg), 'the agent hears the prompt first');
      w.ari.playbackFinished(`cbna-${token}`, agentLeg);
      await settle();
      assert.ok(w.ari.hungUp().includes(agentLeg));
      w.ari.channelGone(agentLeg);
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.callbackAttemptEnd, 'cb-1', 'no-answer', 0, WRAP);
    });

    it('given the outbound policy now refuses the number, when the agent answers, then the customer is not dialed and the attempt ends as not-allowed', async () => {
      w.destinations.evaluate.resolves({ allowed: false, number: '5551234', reason: 'denied-prefix', rule: '555' });
      const { token, agentLeg } = await agentAnswers();
      assert.equal(customerLeg(), undefined);
      w.ari.playbackFinished(`cbna-${token}`, agentLeg);
      await settle();
      w.ari.channelGone(agentLeg);
      await settle();
      sinon.assert.calledOnceWithExactly(w.state.callbackAttemptEnd, 'cb-1', 'not-allowed', 0, WRAP);
    });

    it('given a ringing callback offer, when the agent\'s phone times out, then the offer fails as no-answer and the callback is dispatched again', async () => {
      await feature.serving.offer(w.registry.queue('q1'), 'cb-1', 'a1');
      const [o] = w.ari.argsOf('originate')[0];
      w.ari.channelGone(o.channelId, 19, { stasisEnd: false });
      await settle();
      assert.deepEqual(w.state.failOffer.firstCall.args.slice(0, 4), ['cb-1', o.appArgs.split(',')[2], 'no-answer', 'no-answer']);
      assert.deepEqual(waitingAgain, ['q1']);
    });
  });

  describe('requesting a callback while waiting', () => {
    /** The last playback asked for on the caller's channel finishes. */
    const finishLastPlay = async () => {
      const [ch, id] = w.ari.argsOf('play').at(-1)!;
      w.ari.playbackFinished(id, ch);
      await settle();
      return id;
    };

    it('given a caller waiting in a queue with callbacks, when it keys 1, then it hears the prompt, leaves a message, and a callback for its own number takes its place; it is thanked and hung up, never abandoned', async () => {
      await callerArrives(w, 'c1', '100', '5551234');
      w.ari.clearCalls();
      w.ari.dtmf('c1', '1');
      await settle();
      assert.deepEqual(w.ari.methods(['stopMoh', 'stopPlayback']), ['stopMoh', 'stopPlayback']);
      assert.deepEqual(w.ari.argsOf('stopPlayback'), [['offer-c1']]);
      assert.deepEqual(w.ari.argsOf('play').at(-1)![2], ['sound:vm-intro']);
      assert.deepEqual(w.calls.localWaiting('q1'), new Set(), 'not offered to agents meanwhile');
      await finishLastPlay();
      const [ch, rec] = w.ari.argsOf('record')[0];
      assert.deepEqual([ch, rec.maxDurationSeconds, rec.maxSilenceSeconds, rec.terminateOn], ['c1', 60, 5, '#']);
      assert.match(rec.name, /^callbacks\/cb-/);
      w.ari.recordingFinished(rec.name, 4);
      await settle();
      const created = w.state.callbackCreate.firstCall.args[0];
      assert.deepEqual([created.queueId, created.number, created.fromCallId, created.message, created.maxAttempts],
        ['q1', '5551234', 'c1', rec.name, 3]);
      assert.equal(created.callbackId, rec.name.slice('callbacks/'.length));
      assert.deepEqual(w.ari.argsOf('play').at(-1)![2], ['sound:vm-msgsaved', 'sound:queue-thankyou', 'sound:vm-goodbye']);
      await finishLastPlay();
      assert.deepEqual(w.ari.hungUp(), ['c1']);
      w.ari.channelGone('c1');
      await settle();
      sinon.assert.notCalled(w.state.abandon);
    });

    it('given a caller who hangs up while leaving the message, when the recording is saved, then the callback is still created with it, no confirmation is played, and the caller is not abandoned', async () => {
      await callerArrives(w);
      w.ari.dtmf('c1', '1');
      await settle();
      await finishLastPlay();
      const [, rec] = w.ari.argsOf('record')[0];
      const plays = w.ari.argsOf('play').length;
      w.ari.channelGone('c1');
      await settle();
      w.ari.recordingFinished(rec.name, 7);
      await settle();
      assert.equal(w.state.callbackCreate.firstCall.args[0].message, rec.name);
      assert.equal(w.ari.argsOf('play').length, plays, 'nothing played to a gone caller');
      sinon.assert.notCalled(w.state.abandon);
    });

    it('given a caller who keys 1 and says nothing (an empty recording), when the recording ends, then the callback is created without a message', async () => {
      await callerArrives(w);
      w.ari.dtmf('c1', '1');
      await settle();
      await finishLastPlay();
      const [, rec] = w.ari.argsOf('record')[0];
      w.ari.recordingFinished(rec.name, 0);
      await settle();
      sinon.assert.calledOnce(w.state.callbackCreate);
      assert.equal(w.state.callbackCreate.firstCall.args[0].message, undefined);
    });

    it('given a queue that asks for the number, when the caller keys one ended by # and confirms with 1, then the callback is for the keyed number; a key repeated within 80 ms (one event twice) counts once', async () => {
      w.registry.queue('q1').callbacks.askNumber = true;
      await callerArrives(w);
      w.ari.dtmf('c1', '1');
      await settle();
      assert.deepEqual(w.ari.argsOf('play').at(-1)!.slice(1), ['an-c1-0', ['sound:vm-enter-num-to-call']]);
      await finishLastPlay();
      // Asterisk's event times: the second 5 comes 30 ms after the first (the same key event delivered twice)
      const base = Date.parse('2030-03-04T09:00:10Z');
      const keyed: [string, number][] = [['5', 0], ['5', 30], ['5', 300], ['5', 600], ['9', 900], ['8', 1200], ['7', 1500], ['6', 1800], ['#', 2100]];
      for (const [d, at] of keyed) w.ari.dtmf('c1', d, new Date(base + at).toISOString());
      await settle();
      assert.deepEqual(w.ari.argsOf('play').at(-1)!.slice(1),
        ['ac-c1-0', ['sound:to-call-this-number', 'digits:5559876', 'sound:if-correct-press', 'digits:1']]);
      w.ari.dtmf('c1', '1');
      await finishLastPlay();
      assert.deepEqual(w.ari.argsOf('play').at(-1)![2], ['sound:vm-intro']);
      await finishLastPlay();
      const [, rec] = w.ari.argsOf('record')[0];
      w.ari.recordingFinished(rec.name, 3);
      await settle();
      assert.equal(w.state.callbackCreate.firstCall.args[0].number, '5559876');
    });

    it('given a queue that asks for the number, when the caller does not confirm the number read back (keys 2), then it is asked for the number again', async () => {
      w.registry.queue('q1').callbacks.askNumber = true;
      await callerArrives(w);
      w.ari.dtmf('c1', '1');
      await settle();
      await finishLastPlay();
      for (const d of '5559876#') w.ari.dtmf('c1', d);
      await settle();
      w.ari.dtmf('c1', '2');
      await finishLastPlay();
      assert.deepEqual(w.ari.argsOf('play').at(-1)!.slice(1), ['an-c1-1', ['sound:vm-enter-num-to-call']]);
      assert.deepEqual(w.ari.argsOf('record'), []);
    });

    it('given a queue that asks for the number, when the keyed number is refused by the outbound policy, then the caller hears so and is asked again, the number never read back', async () => {
      w.registry.queue('q1').callbacks.askNumber = true;
      await callerArrives(w, 'c1', '100', '5551234');
      w.destinations.evaluate.callsFake(async (n) => (n === '0900123' ? { allowed: false, number: n, reason: 'denied-prefix', rule: '0900' } : { allowed: true, number: n }));
      w.ari.dtmf('c1', '1');
      await settle();
      await finishLastPlay();
      for (const d of '0900123#') w.ari.dtmf('c1', d);
      await settle();
      assert.deepEqual(w.ari.argsOf('play').at(-1)!.slice(1), ['ar-c1-0', ['sound:im-sorry', 'sound:cannot-complete-as-dialed', 'sound:please-try-again']]);
      await finishLastPlay();
      assert.deepEqual(w.ari.argsOf('play').at(-1)!.slice(1), ['an-c1-1', ['sound:vm-enter-num-to-call']]);
      assert.ok(!w.ari.argsOf('play').some(([, , media]) => media.includes('digits:0900123')));
    });

    it('given a caller ID the outbound policy refuses, when the caller keys 1, then it is told so and keeps waiting at its place with music; no callback is made', async () => {
      w.destinations.evaluate.resolves({ allowed: false, number: '0044123', reason: 'not-allowed-pattern' });
      await callerArrives(w, 'c1', '100', '0044123');
      w.ari.dtmf('c1', '1');
      await settle();
      assert.deepEqual(w.ari.argsOf('play').at(-1)![2], ['sound:im-sorry', 'sound:cannot-complete-as-dialed']);
      await finishLastPlay();
      assert.deepEqual(w.calls.localWaiting('q1'), new Set(['c1']));
      assert.deepEqual(w.ari.argsOf('startMoh').at(-1), ['c1', 'sales']);
      sinon.assert.notCalled(w.state.callbackCreate);
      assert.deepEqual(w.ari.argsOf('record'), []);
    });

    it('given a waiting caller, when it keys another digit than the queue\'s callback key, or waits in a queue without callbacks, then nothing happens', async () => {
      await callerArrives(w, 'c1', '100');
      await callerArrives(w, 'c2', '200');
      w.ari.clearCalls();
      w.ari.dtmf('c1', '2');
      w.ari.dtmf('c2', '1');
      await settle();
      assert.deepEqual(w.ari.calls, []);
      assert.deepEqual(w.calls.localWaiting('q1'), new Set(['c1']));
    });
  });

  describe('API', () => {
    it('given a request for a queue without callbacks or with a malformed number, when created, then INVALID_REQUEST and nothing is stored', async () => {
      await rejectsWith(feature.requests.create({ queueId: 'plain', number: '5551234' }), 'INVALID_REQUEST');
      await rejectsWith(feature.requests.create({ queueId: 'q1', number: '1@trunk' }), 'INVALID_REQUEST');
      await rejectsWith(feature.requests.create({ queueId: 'q1', number: '5551234', at: new Date(NOW - 60_000).toISOString() }), 'INVALID_REQUEST');
      sinon.assert.notCalled(w.state.callbackCreate);
    });

    it('given a callback ringing an agent, when completed through the API, then CALLBACK_RINGING', async () => {
      w.state.callbackComplete.resolves({ ok: false, code: 'RINGING' });
      await rejectsWith(feature.requests.complete('cb-1'), 'CALLBACK_RINGING');
    });

    it('given an id that is not a callback, when read, then CALLBACK_NOT_FOUND', async () => {
      await rejectsWith(feature.requests.view('c1'), 'CALLBACK_NOT_FOUND');
    });
  });
});
