import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { AriObserver, ari } from './harness/asterisk';
import { eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { AUDIBLE, RtpListener } from './harness/rtp';
import { SippProcess, startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

/**
 * The estimated wait the callers must hear: position × average handle time ÷ max(1, agents logged in
 * to the queue and neither paused nor unreachable), rounded up to whole minutes. No call has been
 * handled in these queues today, so the handle time is announcements.defaultHandleSec (120 s), and
 * the only agent is paused: the divisor is 1. Position 1 → 120 s → "2 minutes"; position 2 → 4.
 */
const HANDLE_SEC = 120;
const LINE = {
  id: 'line', name: 'Line', extension: '8401',
  announcements: { positionOnEntry: true, positionEverySec: 6, onlyWhenImproved: true, estimatedWait: true, defaultHandleSec: HANDLE_SEC },
};
const PROMO = {
  id: 'promo', name: 'Promo', extension: '8402',
  announcements: { positionOnEntry: false, positionEverySec: 5, estimatedWait: false, periodicEverySec: 3, periodicPrompts: ['queue-thankyou', 'beep', 'vm-goodbye'] },
};
const RINGING = {
  id: 'ringing', name: 'Ringing', extension: '8403', waitingTone: 'ringing',
  announcements: { positionOnEntry: true, positionEverySec: 3, periodicEverySec: 3, periodicPrompts: ['beep'] },
};

// What app_queue says too: "Your call is now first in line ...", "You are currently caller number N,
// waiting to speak with a representative", "The estimated hold time is currently M minutes", "Thank you".
const FIRST = ['sound:queue-youarenext'];
const NUMBER = (n: number) => ['sound:queue-thereare', `number:${n}`, 'sound:queue-callswaiting'];
const WAIT = (minutes: number) => ['sound:queue-holdtime', `number:${minutes}`, minutes === 1 ? 'sound:queue-minute' : 'sound:queue-minutes'];
const THANKS = ['sound:queue-thankyou'];

interface Playback { id: string; media: string[]; startedAt: number; finishedAt?: number }

/** Asterisk's timestamps end in +0000: Date.parse wants +00:00. */
const ts = (t: string) => Date.parse(t.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));

/**
 * The playbacks Asterisk ran on a channel, each with the media it played in order. Asterisk 22 sends
 * PlaybackStarted for every item of a list (media_uri: that item; PlaybackContinuing in between
 * names the one just done), and PlaybackFinished after the last.
 */
function playbacksOn(observer: AriObserver, channelId: string): Playback[] {
  const out = new Map<string, Playback>();
  for (const e of observer.events) {
    if (!String(e.type).startsWith('Playback') || e.playback.target_uri !== `channel:${channelId}`) continue;
    const id = e.playback.id as string;
    const p = out.get(id);
    if (e.type === 'PlaybackStarted') {
      if (p) p.media.push(e.playback.media_uri);
      else out.set(id, { id, media: [e.playback.media_uri], startedAt: ts(e.timestamp) });
    } else if (e.type === 'PlaybackFinished' && p) {
      p.finishedAt = ts(e.timestamp);
    }
  }
  return [...out.values()];
}
const finished = (observer: AriObserver, channelId: string, kind: 'position' | 'periodic') =>
  playbacksOn(observer, channelId).filter((p) => p.id.startsWith(`announce-${kind}-`) && p.finishedAt !== undefined);

describe('announcements while waiting: position, estimated wait, periodic prompts (real SIP, ARI playback events)', function () {
  this.timeout(150_000);
  const run = new TestRun();
  let observer: AriObserver | undefined;
  const track = (p: SippProcess) => run.track(p);
  const caller = (extension: string, number: string, o: { hangupAfterMs?: number; ear?: RtpListener } = {}) =>
    track(startCaller({ extension, callerNumber: number, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: o.hangupAfterMs ?? 120_000, mediaPort: o.ear?.port }));
  const queued = (number: string) => run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === number, 15_000, `${number} queued`);
  /** Hang the caller up from Asterisk's side (Asterisk sends the caller BYE): the test decides when. */
  const hangUp = (channelId: string) => fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari/channels/${channelId}`, {
    method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
  });

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'announce', { queues: [LINE, PROMO, RINGING], agents: [], users: [] });
    observer = await AriObserver.open();
  });

  afterEach(function () {
    observer?.close();
    return run.end(this);
  });

  /** Agent a1 in the line queue, logged in and paused: it takes no call and does not count in the estimate. */
  const pausedAgent = async (phonePort = allocatePort()) => {
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'Agent a1', queues: ['line'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${phonePort}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    await run.ctl.ok('POST', '/agents/a1/pause', { reason: 'break' });
    assert.equal((await run.ctl.agentState('a1')).state, 'paused');
  };

  it('given no agent available, each caller hears their position and estimated wait on entry; with onlyWhenImproved only an improved position is said again', async () => {
    await pausedAgent();
    const obs = observer!;

    const ear = run.trackMedia(await RtpListener.open());
    caller(LINE.extension, '15550201', { ear });
    const c1 = (await queued('15550201')).callId as string;
    const [c1Entry] = await eventually(async () => { const f = finished(obs, c1, 'position'); return f.length ? f : undefined; }, 30_000, 'caller 1 entry announcement');
    assert.deepEqual(c1Entry.media, [...FIRST, ...WAIT(2), ...THANKS], 'first in line, 1 × 120 s = 2 minutes');

    caller(LINE.extension, '15550202');
    const c2 = (await queued('15550202')).callId as string;
    const [c2Entry] = await eventually(async () => { const f = finished(obs, c2, 'position'); return f.length ? f : undefined; }, 30_000, 'caller 2 entry announcement');
    assert.deepEqual(c2Entry.media, [...NUMBER(2), ...WAIT(4), ...THANKS], 'caller number 2, 2 × 120 s = 4 minutes');

    // every 6 s each caller's position is looked at again; it did not improve, so nothing is said
    const quiet = (callId: string) => run.ctl.logs().split('\n')
      .filter((l) => l.includes('position not improved: not announced') && l.includes(callId)).length;
    await eventually(async () => quiet(c1) >= 2 && quiet(c2) >= 2, 40_000, 'two unimproved checks for each caller');
    assert.equal(finished(obs, c1, 'position').length, 1, 'caller 1 hears no position repeat');
    // between announcements the caller is back on music, not in silence
    const music = ear.level(1500);
    assert.ok(music.packets > 40 && music.meanAbs > AUDIBLE, `music on hold after the announcement: ${JSON.stringify(music)}`);
    assert.equal(playbacksOn(obs, c2).filter((p) => p.id.startsWith('announce-position-')).length, 1, 'caller 2 hears no position repeat');

    // caller 1 hangs up: caller 2 is now first, and the next check says so
    await hangUp(c1);
    await run.events.waitFor((e) => e.type === 'call.abandoned' && e.callId === c1, 10_000, 'caller 1 abandoned');
    const improved = await eventually(async () => { const f = finished(obs, c2, 'position'); return f.length >= 2 ? f[1] : undefined; }, 30_000, 'caller 2 improved announcement');
    assert.deepEqual(improved.media, [...FIRST, ...WAIT(2), ...THANKS], 'caller 2 now first in line, 2 minutes');
    assert.ok(improved.startedAt - c2Entry.finishedAt! >= 5500, 'at its interval after the previous one');

    // one playback at a time on each channel
    for (const ch of [c1, c2]) {
      const all = playbacksOn(obs, ch).sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < all.length; i++) assert.ok(all[i].startedAt >= (all[i - 1].finishedAt ?? Infinity), `no overlap on ${ch}`);
    }
  });

  it('plays the periodic prompts in turn, cycling through the list, and repeats the position without onlyWhenImproved', async () => {
    const obs = observer!;
    caller(PROMO.extension, '15550203');
    const c = (await queued('15550203')).callId as string;
    const periodic = await eventually(async () => { const f = finished(obs, c, 'periodic'); return f.length >= 4 ? f : undefined; }, 60_000, 'four periodic prompts');
    assert.deepEqual(periodic.slice(0, 4).map((p) => p.media), [['sound:queue-thankyou'], ['sound:beep'], ['sound:vm-goodbye'], ['sound:queue-thankyou']]);
    for (let i = 1; i < 4; i++) {
      const gap = periodic[i].startedAt - periodic[i - 1].finishedAt!;
      assert.ok(gap >= 2500, `periodicEverySec (3 s) of music between two prompts: ${gap} ms`);
    }
    const positions = await eventually(async () => { const f = finished(obs, c, 'position'); return f.length >= 2 ? f : undefined; }, 30_000, 'two position announcements');
    for (const p of positions) assert.deepEqual(p.media, [...FIRST, ...THANKS], 'first in line, no estimate (estimatedWait: false)');
    // said again though the position did not improve, at its interval (positionEverySec: 5) after the last one
    const repeatGap = positions[1].startedAt - positions[0].finishedAt!;
    assert.ok(repeatGap >= 4500, `the unimproved position repeated at its interval: ${repeatGap} ms after the first ended`);
    // not on entry (positionOnEntry: false): the first position comes positionEverySec after joining
    const joinedAt = Date.parse((await queued('15550203')).at);
    assert.ok(positions[0].startedAt - joinedAt >= 4500, `first position after 5 s (${positions[0].startedAt - joinedAt} ms)`);
    const all = playbacksOn(obs, c).sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].startedAt >= (all[i - 1].finishedAt ?? Infinity), 'one playback at a time');
  });

  it('stops the announcement when an agent\'s phone starts ringing for the caller (music meanwhile), and says nothing during the call', async () => {
    const port = allocatePort();
    const phone = track(startAgentPhone({ port, calls: 1, answerAfterMs: 4000, hangupAfterMs: 6000 }));
    await pausedAgent(port);
    const obs = observer!;
    const ear = run.trackMedia(await RtpListener.open());
    caller(LINE.extension, '15550204', { ear });
    const c = (await queued('15550204')).callId as string;
    await eventually(async () => playbacksOn(obs, c).some((p) => p.id.startsWith('announce-position-')), 15_000, 'announcement started');
    await run.ctl.ok('POST', '/agents/a1/ready');
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === c, 10_000, 'offered');
    const [entry] = await eventually(async () => { const f = finished(obs, c, 'position'); return f.length ? f : undefined; }, 5000, 'announcement stopped');
    assert.ok(!entry.media.includes('sound:queue-thankyou'), `cut short, not played out: ${entry.media.join(' ')}`);
    // the phone rings for 4 s: the caller hears music meanwhile
    await eventually(async () => ear.level(500).meanAbs > AUDIBLE, 3000, 'music while the agent\'s phone rings');
    assert.ok(!run.events.all.some((e) => e.type === 'call.answered' && e.callId === c), 'stopped before the agent answered');
    await run.events.waitFor((e) => e.type === 'call.answered' && e.callId === c, 15_000, 'answered');
    await phone.wait(20_000);
    assert.equal(playbacksOn(obs, c).filter((p) => p.id.startsWith('announce-')).length, 1, 'nothing more to the caller');
  });

  it('gives a caller of a queue that rings instead of music no announcement', async () => {
    const obs = observer!;
    caller(RINGING.extension, '15550205');
    const c = (await queued('15550205')).callId as string;
    await sleep(8000);
    assert.notEqual((await ari<{ state: string }>(`/channels/${c}`)).state, 'Up', 'the caller hears ringing, unanswered');
    assert.deepEqual(playbacksOn(obs, c), [], 'no playback on the caller');
  });
});
