import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { Announcer } from '../../src/announcements/announcer';
import { WaitFacts, estimatedWaitSec, positionAnnouncement, storeWaitFacts, waitMedia } from '../../src/announcements/wording';
import type { CallCore, CallEventMap, CallSession } from '../../src/calls/core';
import type { CallService } from '../../src/calls/queueing/callService';
import { TypedEmitter } from '../../src/events/typedEmitter';
import { MediaWaiter } from '../../src/calls/core/media';
import { QueueSchema, Queue } from '../../src/config/schema';
import type { Registry } from '../../src/registry/registry';
import type { StateStore } from '../../src/state/store';
import { FakeAri } from '../support/fakeAri';

describe('announcement wording and estimated wait', () => {
  it('estimates the wait as position × average handle time ÷ agents serving the queue (at least one)', () => {
    assert.equal(estimatedWaitSec(3, 120, 2), 180);
    assert.equal(estimatedWaitSec(2, 120, 0), 240, 'no agent serving: counted as one');
    assert.equal(estimatedWaitSec(1, 90, 3), 30);
  });

  it('says "first in line" for position 1 and "caller number N" otherwise, as app_queue does, then the wait and thanks', () => {
    assert.deepEqual(positionAnnouncement(1, 120), ['sound:queue-youarenext', 'sound:queue-holdtime', 'number:2', 'sound:queue-minutes', 'sound:queue-thankyou']);
    assert.deepEqual(positionAnnouncement(2, 240), ['sound:queue-thereare', 'number:2', 'sound:queue-callswaiting',
      'sound:queue-holdtime', 'number:4', 'sound:queue-minutes', 'sound:queue-thankyou']);
    assert.deepEqual(positionAnnouncement(5), ['sound:queue-thereare', 'number:5', 'sound:queue-callswaiting', 'sound:queue-thankyou']);
  });

  it('rounds the wait up to whole minutes, says "minute" for one and "less than 1 minute" below a minute', () => {
    assert.deepEqual(waitMedia(30), ['sound:queue-holdtime', 'sound:queue-less-than', 'number:1', 'sound:queue-minute']);
    assert.deepEqual(waitMedia(60), ['sound:queue-holdtime', 'number:1', 'sound:queue-minute']);
    assert.deepEqual(waitMedia(61), ['sound:queue-holdtime', 'number:2', 'sound:queue-minutes']);
  });

  it('reads the facts from Redis: place in line, today\'s average handle time, agents neither paused nor unreachable', async () => {
    const agents: Record<string, object> = {
      ready: { state: 'ready', pausedQueues: {}, device: 'online' },
      busy: { state: 'on_call', pausedQueues: {}, device: 'online' },
      paused: { state: 'paused', pausedQueues: {}, device: 'online' },
      pausedHere: { state: 'ready', pausedQueues: { q1: 'break' }, device: 'online' },
      offline: { state: 'ready', pausedQueues: {}, device: 'offline' },
    };
    const state = {
      waiting: async () => [{ callId: 'cb-1', vtime: 1 }, { callId: 'c2', vtime: 2 }, { callId: 'c3', vtime: 3 }],
      metricsDay: async (kind: string, id: string, day: string) => {
        assert.deepEqual([kind, id, day], ['queue', 'q1', '2030-01-02']);
        return { handleCompleted: 4, handleMs: 480_000 };
      },
      loggedInAgents: async () => Object.keys(agents),
      agentState: async (id: string) => agents[id],
    } as unknown as StateStore;
    const facts = storeWaitFacts(state, 'UTC', () => Date.parse('2030-01-02T10:00:00Z'));
    assert.equal(await facts.position('q1', 'c3'), 3, 'a callback request ahead holds a place');
    assert.equal(await facts.position('q1', 'gone'), undefined);
    assert.equal(await facts.averageHandleMs('q1'), 120_000);
    assert.equal(await facts.servingAgents('q1'), 2, 'the ready and the busy agent');
    const fresh = storeWaitFacts({ ...state, metricsDay: async () => ({}) } as unknown as StateStore, 'UTC');
    assert.equal(await fresh.averageHandleMs('q1'), undefined, 'no call handled today yet');
  });
});

describe('announcements to waiting callers', () => {
  let clock: sinon.SinonFakeTimers;
  let ari: FakeAri;
  const plays = () => ari.argsOf('play').map(([channelId, id, media]) => ({ channelId, id, media }));
  const stopped = () => ari.argsOf('stopPlayback').map(([id]) => id);
  const moh = () => ari.argsOf('startMoh').map(([channelId]) => channelId);
  let sessions: Map<string, CallSession>;
  /** The call core's lifecycle events. */
  let lifecycle: TypedEmitter<CallEventMap>;
  let queues: Map<string, Queue>;
  let positions: Map<string, number>;
  let handleMs: number | undefined;
  let serving: number;
  let announcer: Announcer;
  const log = winston.createLogger({ silent: true });

  const queue = (announcements: object, extra: object = {}) => {
    const q = QueueSchema.parse({ id: 'q1', name: 'Q', extension: '100', announcements, ...extra });
    queues.set(q.id, q);
    return q;
  };
  const join = (callId: string, q: Queue) => {
    const s: CallSession = { callId, queueId: q.id, callerChannelId: callId, callerNumber: '1', state: 'waiting', log };
    sessions.set(callId, s);
    lifecycle.emit('queued', s, q);
    return s;
  };
  const played = (callId: string) => plays().filter((p) => p.channelId === callId);
  const finishLast = (callId: string) => { const p = played(callId).at(-1)!; ari.playbackFinished(p.id, callId); };

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2030-01-02T10:00:00Z') });
    ari = new FakeAri();
    sessions = new Map();
    lifecycle = new TypedEmitter<CallEventMap>();
    queues = new Map();
    positions = new Map();
    handleMs = undefined;
    serving = 0;
    const facts: WaitFacts = {
      position: async (_q, callId) => positions.get(callId),
      averageHandleMs: async () => handleMs,
      servingAgents: async () => serving,
    };
    const calls = { liveSession: (id: string) => sessions.get(id) } as unknown as CallService;
    const registry = { findQueue: (id: string) => queues.get(id) } as unknown as Registry;
    announcer = new Announcer({ events: lifecycle } as unknown as CallCore, ari.asAri(), new MediaWaiter(ari.asAri(), log), calls, registry, facts);
  });
  afterEach(() => clock.restore());

  it('given position and wait on entry, a joining caller hears them at once, then music again, then again every positionEverySec', async () => {
    const q = queue({ positionOnEntry: true, positionEverySec: 20, defaultHandleSec: 120 });
    positions.set('c1', 2);
    join('c1', q);
    await clock.tickAsync(0);
    assert.deepEqual(played('c1').map((p) => p.media), [positionAnnouncement(2, 240)]);
    assert.match(played('c1')[0].id, /^announce-position-1-c1$/);
    await clock.tickAsync(10_000);
    finishLast('c1');
    assert.deepEqual(moh(), ['c1'], 'music again after the announcement');
    await clock.tickAsync(19_000);
    assert.equal(played('c1').length, 1, 'the interval counts from the end of the previous one');
    await clock.tickAsync(1000);
    assert.equal(played('c1').length, 2, 'repeated without onlyWhenImproved');
  });

  it('uses today\'s average handle time and the agents serving the queue when there are', async () => {
    const q = queue({ positionOnEntry: true, defaultHandleSec: 600 });
    handleMs = 150_000;
    serving = 2;
    positions.set('c1', 3);
    join('c1', q);
    await clock.tickAsync(0);
    // 3 × 150 s ÷ 2 = 225 s → 4 minutes
    assert.deepEqual(played('c1')[0].media, ['sound:queue-thereare', 'number:3', 'sound:queue-callswaiting',
      'sound:queue-holdtime', 'number:4', 'sound:queue-minutes', 'sound:queue-thankyou']);
  });

  it('given onlyWhenImproved, a caller whose position did not improve hears nothing, and hears it once it did', async () => {
    const q = queue({ positionOnEntry: true, positionEverySec: 5, onlyWhenImproved: true, estimatedWait: false });
    positions.set('c2', 2);
    join('c2', q);
    await clock.tickAsync(0);
    finishLast('c2');
    await clock.tickAsync(16_000);
    assert.equal(played('c2').length, 1, 'still second: no repeat');
    positions.set('c2', 1);
    await clock.tickAsync(5000);
    assert.deepEqual(played('c2').map((p) => p.media), [positionAnnouncement(2), positionAnnouncement(1)]);
  });

  it('given a caller back to waiting after an unanswered offer, no entry announcement is repeated and the timers go on', async () => {
    const q = queue({ positionOnEntry: true, positionEverySec: 30, estimatedWait: false });
    positions.set('c1', 1);
    const s = join('c1', q);
    await clock.tickAsync(0);
    finishLast('c1');
    s.state = 'offered';
    positions.delete('c1');
    await clock.tickAsync(10_000);
    s.state = 'waiting';
    positions.set('c1', 1);
    lifecycle.emit('queued', s, q);
    await clock.tickAsync(1000);
    assert.equal(played('c1').length, 1, 'not again at once');
    await clock.tickAsync(20_000);
    assert.equal(played('c1').length, 2, 'at its time');
  });

  it('stops a playing announcement when an agent\'s phone rings for the caller, keeps the music, and forgets the caller once connected', async () => {
    const q = queue({ positionOnEntry: true, positionEverySec: 10, periodicEverySec: 7, periodicPrompts: ['p1'] });
    positions.set('c1', 1);
    const s = join('c1', q);
    await clock.tickAsync(0);
    const id = played('c1')[0].id;
    s.state = 'offered';
    announcer.onEvent({ id: '1-0', type: 'call.offered', at: Date.now(), callId: 'c1' });
    assert.deepEqual(stopped(), [id]);
    ari.playbackFinished(id, 'c1');
    assert.deepEqual(moh(), ['c1'], 'music while the agent\'s phone rings');
    await clock.tickAsync(30_000);
    assert.equal(played('c1').length, 1, 'nothing while offered');
    s.state = 'connected';
    lifecycle.emit('connected', s);
    assert.equal(announcer.waiting, 0);
    await clock.tickAsync(60_000);
    assert.equal(played('c1').length, 1);
  });

  it('stops a playing announcement on connect', async () => {
    const q = queue({ positionOnEntry: true });
    positions.set('c1', 1);
    const s = join('c1', q);
    await clock.tickAsync(0);
    s.state = 'connected';
    lifecycle.emit('connected', s);
    assert.deepEqual(stopped(), [played('c1')[0].id]);
    ari.playbackFinished(played('c1')[0].id, 'c1');
    assert.deepEqual(moh(), [], 'no music over the conversation');
  });

  it('plays the periodic prompts in turn, cycling through the list', async () => {
    const q = queue({ periodicEverySec: 10, periodicPrompts: ['p1', 'p2', 'p3'] });
    join('c1', q);
    for (let i = 0; i < 4; i++) {
      await clock.tickAsync(10_000);
      finishLast('c1');
    }
    assert.deepEqual(played('c1').map((p) => p.media), [['sound:p1'], ['sound:p2'], ['sound:p3'], ['sound:p1']]);
  });

  it('given another playback on the channel (the callback offer), an announcement due meanwhile waits for its end', async () => {
    const q = queue({ periodicEverySec: 10, periodicPrompts: ['p1'] });
    join('c1', q);
    await clock.tickAsync(9000);
    ari.playbackStarted('offer-c1', 'c1');
    await clock.tickAsync(5000);
    assert.equal(played('c1').length, 0, 'not over the offer prompt');
    ari.playbackFinished('offer-c1', 'c1');
    await clock.tickAsync(1000);
    assert.equal(played('c1').length, 1, 'after a moment of music');
  });

  it('given position and periodic prompts due together, plays one after the other, never both at once', async () => {
    const q = queue({ positionEverySec: 10, periodicEverySec: 10, periodicPrompts: ['p1'], estimatedWait: false });
    positions.set('c1', 4);
    join('c1', q);
    await clock.tickAsync(10_000);
    assert.equal(played('c1').length, 1);
    finishLast('c1');
    await clock.tickAsync(1000);
    assert.equal(played('c1').length, 2);
    assert.deepEqual(played('c1').map((p) => p.media[0]).sort(), ['sound:p1', 'sound:queue-thereare']);
  });

  it('gives callers of a ringing queue no announcement', async () => {
    const q = queue({ positionOnEntry: true, positionEverySec: 5, periodicEverySec: 5, periodicPrompts: ['p1'] }, { waitingTone: 'ringing' });
    positions.set('c1', 1);
    join('c1', q);
    await clock.tickAsync(30_000);
    assert.equal(plays().length, 0);
  });

  it('forgets a caller who hung up', async () => {
    const q = queue({ positionEverySec: 5, periodicEverySec: 5, periodicPrompts: ['p1'] });
    positions.set('c1', 1);
    join('c1', q);
    sessions.delete('c1');
    ari.stasisEnd('c1');
    await clock.tickAsync(30_000);
    assert.equal(plays().length, 0);
    assert.equal(announcer.waiting, 0);
  });

  it('stops the announcement when the caller keys into the callback IVR', async () => {
    const q = queue({ positionOnEntry: true });
    positions.set('c1', 1);
    const s = join('c1', q);
    await clock.tickAsync(0);
    ari.dtmf('c1', '1');
    s.state = 'ivr';   // CallbackService claims the session in its own handler of the same event
    await clock.tickAsync(0);
    assert.deepEqual(stopped(), [played('c1')[0].id]);
    ari.playbackFinished(played('c1')[0].id, 'c1');
    assert.deepEqual(moh(), [], 'no music over the IVR');
  });
});
