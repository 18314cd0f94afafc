import assert from 'node:assert/strict';
import fs from 'node:fs';
import { TEST_ENV } from '../support/env';
import { AriObserver } from './harness/asterisk';
import { ADMIN_TOKEN, CLIPS_DIR, SUPERVISOR_TOKEN, eventually } from './harness/controller';
import { allocatePort } from './harness/ports';
import { RtpPeer } from './harness/rtpPeer';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

// Each party speaks its own tone and the clip is a third one: what the caller hears tells what plays.
const CALLER_HZ = 440;
const AGENT_HZ = 660;
const CLIP_HZ = 1000;
const HEARD = 0.08;       // share of a tone in what a party receives: clearly there
const NOT_HEARD = 0.02;   // clearly not

const SALES = { id: 'sales', name: 'Sales', extension: '8601', ringTimeoutSec: 10 };
const tokens = {
  sam: SUPERVISOR_TOKEN,                 // supervises sales
  al: 'e2e-agent-token-a1-0000005',      // agent a1
  bo: 'e2e-agent-token-a2-0000005',      // agent a2
  cy: 'e2e-agent-token-a3-0000005',      // agent a3, without manageOwnClips
};

/** A WAV of a sine tone: `channels` copies of each sample, little-endian PCM of `bits`. */
function toneWav(o: { rate: number; seconds: number; hz: number; channels?: number; bits?: 16 }): Buffer {
  const channels = o.channels ?? 1;
  const n = Math.round(o.rate * o.seconds);
  const data = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) {
    const v = Math.round(12000 * Math.sin((2 * Math.PI * o.hz * i) / o.rate));
    for (let c = 0; c < channels; c++) data.writeInt16LE(v, (i * channels + c) * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(channels, 22); h.writeUInt32LE(o.rate, 24);
  h.writeUInt32LE(o.rate * channels * 2, 28); h.writeUInt16LE(channels * 2, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
const CLIP_WAV = toneWav({ rate: 8000, seconds: 2, hz: CLIP_HZ });

describe('prepared audio clips (real SIP, proven by what the caller hears)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  let observer: AriObserver;
  const peer = async (hz: number) => run.trackMedia(await RtpPeer.open(hz));
  /** The clip's playback (the id the play request answered with) has started on the call's bridge. */
  const playbackStarted = (playbackId: string) =>
    observer.waitFor((e) => e.type === 'PlaybackStarted' && e.playback.id === playbackId, 5000, `PlaybackStarted of ${playbackId}`);
  /** The clip playbacks Asterisk started (an id may be reported more than once: counted once). */
  const clipPlaybacks = () => [...new Set(observer.events.filter((e) => e.type === 'PlaybackStarted' && String(e.playback.id).startsWith('clip-')).map((e) => e.playback.id))];

  async function upload(body: Buffer | string, o: { name?: string; scope?: string; token?: string; type?: string } = {}) {
    const qs = new URLSearchParams();
    if (o.name !== undefined) qs.set('name', o.name);
    if (o.scope) qs.set('scope', o.scope);
    const res = await fetch(`${run.ctl.api}/clips?${qs}`, {
      method: 'POST', headers: { authorization: `Bearer ${o.token ?? ADMIN_TOKEN}`, 'content-type': o.type ?? 'audio/wav' }, body,
    });
    return { status: res.status, body: (await res.json()) as any };
  }
  async function uploaded(name: string, token: string, scope?: string, wav = CLIP_WAV): Promise<any> {
    const r = await upload(wav, { name, token, scope });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  /** Caller and agent a1 connected in sales, each sending their tone and hearing the other. */
  async function connectedCall() {
    const caller = await peer(CALLER_HZ);
    const agent = await peer(AGENT_HZ);
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 1, mediaPort: agent.port }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'Al', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    run.track(startCaller({ extension: SALES.extension, callerNumber: '15550701', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, mediaPort: caller.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 15_000, 'call.answered');
    await eventually(async () => caller.hears(AGENT_HZ, 500) > HEARD && agent.hears(CALLER_HZ, 500) > HEARD, 5000, 'caller and agent hear each other');
    return { callId: answered.callId as string, caller, agent };
  }

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'clips', {
      queues: [SALES],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: tokens.sam, supervisedQueues: ['sales'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: tokens.al },
        { id: 'bo', role: 'agent', agentId: 'a2', token: tokens.bo },
        { id: 'cy', role: 'agent', agentId: 'a3', token: tokens.cy, permissions: { manageOwnClips: false } },
      ],
    });
    observer = run.trackMedia(await AriObserver.open());
    // the clips folder is shared by every test run on this machine: leave nothing behind
    run.beforeKill = async () => {
      for (const c of (await run.ctl.ok('GET', '/clips').catch(() => ({ clips: [] }))).clips) await run.ctl.request('DELETE', `/clips/${c.id}`);
    };
  });

  afterEach(function () { return run.end(this); });

  it('given a connected call, a clip played with then=continue is heard by the caller and the agent, then the conversation goes on', async () => {
    const { callId, caller, agent } = await connectedCall();
    const clip = await uploaded('Terms and conditions', tokens.al);
    assert.deepEqual([clip.scope, clip.ownerAgentId, clip.createdBy, clip.sampleRate, clip.durationMs, clip.archived], ['personal', 'a1', 'al', 8000, 2000, false]);
    const stored = Buffer.from(await (await fetch(`${run.ctl.api}/clips/${clip.id}/audio`, { headers: { authorization: `Bearer ${tokens.al}` } })).arrayBuffer());
    assert.ok(stored.equals(CLIP_WAV), 'the stored WAV is the uploaded one');

    const played = await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id, then: 'continue' }, tokens.al);
    assert.equal(played.status, 202, JSON.stringify(played.body));
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id }, tokens.al)).body.error.code, 'CLIP_ALREADY_PLAYING');
    await playbackStarted(played.body.playbackId);
    await eventually(async () => caller.hears(CLIP_HZ, 800) > 0.3 && agent.hears(CLIP_HZ, 800) > 0.3, 5000,
      () => `the caller and the agent hear the clip (${caller.hears(CLIP_HZ, 800).toFixed(2)}, ${agent.hears(CLIP_HZ, 800).toFixed(2)})`);

    const done = await run.events.waitFor((e) => e.type === 'call.clip_played' && e.callId === callId, 5000, 'call.clip_played');
    assert.deepEqual([done.clipId, done.agentId, done.playedBy, done.then, done.outcome], [clip.id, 'a1', 'al', 'continue', 'done']);
    await eventually(async () => caller.hears(AGENT_HZ, 700) > HEARD && caller.hears(CLIP_HZ, 700) < NOT_HEARD && agent.hears(CALLER_HZ, 700) > HEARD, 5000,
      () => `the clip is over and the two hear each other again (caller: agent ${caller.hears(AGENT_HZ, 700).toFixed(2)}, clip ${caller.hears(CLIP_HZ, 700).toFixed(2)}; agent: caller ${agent.hears(CALLER_HZ, 700).toFixed(2)})`);
    const [call] = (await run.ctl.ok('GET', '/calls')).calls;
    assert.deepEqual([call?.id, call?.state], [callId, 'connected'], 'the call is still connected');
    assert.ok(!run.events.all.some((e) => e.type === 'call.ended'));
  });

  it('given a connected call, a public clip played by the agent with then=hangup ends the call when the playback is over', async () => {
    const { callId, caller } = await connectedCall();
    const clip = await uploaded('Goodbye', tokens.sam);
    assert.deepEqual([clip.scope, clip.ownerAgentId], ['public', null], 'a supervisor uploads public clips');

    const t0 = Date.now();
    const played = await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id, then: 'hangup' }, tokens.al);
    assert.equal(played.status, 202);
    await playbackStarted(played.body.playbackId);
    await eventually(async () => caller.hears(CLIP_HZ, 700) > 0.3, 5000, `the caller hears the clip (${caller.hears(CLIP_HZ, 700).toFixed(2)})`);
    const ended = await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === callId, 8000, 'call.ended');
    const endedAfterMs = Date.now() - t0;
    const playedAt = run.events.all.findIndex((e) => e.type === 'call.clip_played' && e.callId === callId);
    assert.ok(playedAt >= 0 && playedAt < run.events.all.indexOf(ended), 'call.clip_played comes before call.ended');
    assert.deepEqual([run.events.all[playedAt].then, run.events.all[playedAt].outcome], ['hangup', 'done']);
    assert.ok(endedAfterMs >= 1900, `the call ended after the 2 s clip, ${endedAfterMs} ms after the request`);
    await eventually(async () => (await run.ctl.agentState('a1')).state === 'ready', 5000, 'the agent is free again');
    assert.deepEqual((await run.ctl.ok('GET', '/calls')).calls, []);
  });

  it('given an archived clip, it is listed as archived but refused for playback; unarchived (a 16 kHz clip) it plays', async () => {
    const { callId, caller } = await connectedCall();
    const clip = await uploaded('Promo', tokens.sam, 'public', toneWav({ rate: 16000, seconds: 2, hz: CLIP_HZ }));
    assert.equal(clip.sampleRate, 16000);
    const others = await uploaded('Bo only', tokens.bo);

    assert.equal((await run.ctl.ok('PATCH', `/clips/${clip.id}`, { archived: true }, tokens.sam)).archived, true);
    const listed = (await run.ctl.ok('GET', '/clips', undefined, tokens.al)).clips;
    assert.deepEqual(listed.map((c: any) => [c.id, c.archived]), [[clip.id, true]], 'listed, marked archived; not another agent\'s personal clip');
    assert.deepEqual((await run.ctl.ok('GET', '/clips?archived=false', undefined, tokens.sam)).clips.map((c: any) => c.id), [others.id]);
    assert.deepEqual((await run.ctl.ok('GET', '/clips?archived=true', undefined, tokens.sam)).clips.map((c: any) => c.id), [clip.id]);

    const refused = await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id }, tokens.al);
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'CLIP_ARCHIVED']);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: others.id }, tokens.al)).status, 403, 'not another agent\'s personal clip');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id }, tokens.bo)).status, 403, 'not into another agent\'s call');
    assert.ok(caller.hears(CLIP_HZ, 1000) < NOT_HEARD, 'no clip heard while those were refused');

    await run.ctl.ok('PATCH', `/clips/${clip.id}`, { archived: false }, tokens.sam);
    const allowed = await run.ctl.request('POST', `/calls/${callId}/play`, { clipId: clip.id }, tokens.sam);
    assert.equal(allowed.status, 202, 'a supervisor of the queue may play too');
    await playbackStarted(allowed.body.playbackId);
    await eventually(async () => caller.hears(CLIP_HZ, 800) > 0.3, 5000, `the caller hears the 16 kHz clip (${caller.hears(CLIP_HZ, 800).toFixed(2)})`);
    const done = await run.events.waitFor((e) => e.type === 'call.clip_played', 5000, 'call.clip_played');
    assert.deepEqual([done.playedBy, done.outcome], ['sam', 'done']);
    // the refused requests started no playback in Asterisk, and made no clip_played event
    assert.deepEqual(clipPlaybacks(), [allowed.body.playbackId], 'the one playback Asterisk ran is the allowed one');
    assert.deepEqual(run.events.all.filter((e) => e.type === 'call.clip_played').map((e) => e.playedBy), ['sam']);
  });

  it('given clips of two agents and a public one, an agent may edit only their own; supervisors manage public ones and read all', async () => {
    const al = await uploaded('Al greeting', tokens.al);
    const bo = await uploaded('Bo greeting', tokens.bo);
    const pub = await uploaded('Company hours', tokens.sam);

    for (const [method, url, body] of [['PATCH', `/clips/${al.id}`, { name: 'Mine now' }], ['DELETE', `/clips/${al.id}`], ['GET', `/clips/${al.id}`],
      ['GET', `/clips/${al.id}/audio`], ['PATCH', `/clips/${pub.id}`, { archived: true }], ['DELETE', `/clips/${pub.id}`]] as const) {
      const r = await run.ctl.request(method, url, body, tokens.bo);
      assert.equal(r.status, 403, `bo ${method} ${url}: ${JSON.stringify(r.body)}`);
      if (r.body) assert.equal(r.body.error.code, 'FORBIDDEN');
    }
    assert.equal((await upload(CLIP_WAV, { name: 'x', scope: 'public', token: tokens.bo })).status, 403, 'agents do not upload public clips');
    assert.equal((await upload(CLIP_WAV, { name: 'x', token: tokens.cy })).status, 403, 'without manageOwnClips');
    assert.equal((await upload(CLIP_WAV, { name: 'x', scope: 'personal', token: tokens.sam })).status, 403, 'personal clips are agents\'');
    assert.equal((await run.ctl.request('PATCH', `/clips/${al.id}`, { name: 'x' }, tokens.sam)).status, 403, 'a supervisor does not edit an agent\'s clip');

    assert.equal((await run.ctl.ok('GET', `/clips/${al.id}`, undefined, tokens.sam)).name, 'Al greeting', 'a supervisor reads every clip');
    assert.equal((await run.ctl.ok('GET', `/clips/${pub.id}`, undefined, tokens.cy)).name, 'Company hours', 'every agent reads public clips');
    const ids = async (token: string) => (await run.ctl.ok('GET', '/clips', undefined, token)).clips.map((c: any) => c.id).sort();
    assert.deepEqual(await ids(tokens.bo), [bo.id, pub.id].sort(), 'an agent lists their own and the public ones');
    assert.deepEqual(await ids(tokens.sam), [al.id, bo.id, pub.id].sort());
    assert.deepEqual((await run.ctl.ok('GET', '/clips?scope=public', undefined, tokens.sam)).clips.map((c: any) => c.id), [pub.id]);

    const renamed = await run.ctl.ok('PATCH', `/clips/${al.id}`, { name: '  Al welcome ' }, tokens.al);
    assert.deepEqual([renamed.name, renamed.archived], ['Al welcome', false]);
    assert.equal((await run.ctl.ok('PATCH', `/clips/${pub.id}`, { name: 'Opening hours' }, tokens.sam)).name, 'Opening hours');
    assert.equal((await run.ctl.request('PATCH', `/clips/${al.id}`, { name: '' }, tokens.al)).status, 422);
    await run.ctl.ok('DELETE', `/clips/${al.id}`, undefined, tokens.al);
    assert.equal((await run.ctl.request('GET', `/clips/${al.id}`, undefined, tokens.al)).status, 404);
    assert.equal((await run.ctl.request('DELETE', `/clips/${bo.id}`, undefined, ADMIN_TOKEN)).status, 204, 'admins may remove any clip');

    const types = run.events.all.filter((e) => e.type.startsWith('clip.')).map((e) => `${e.type} ${e.clipId}`);
    assert.deepEqual(types, [`clip.created ${al.id}`, `clip.created ${bo.id}`, `clip.created ${pub.id}`, `clip.updated ${al.id}`,
      `clip.updated ${pub.id}`, `clip.deleted ${al.id}`, `clip.deleted ${bo.id}`]);
    assert.ok(!fs.existsSync(`${CLIPS_DIR}/${al.id}.wav`), 'the deleted clip\'s file is gone');
  });

  it('given invalid uploads (not audio, wrong format, too large, no name), each is refused with a clear error and nothing is stored', async () => {
    const before = new Set(fs.readdirSync(CLIPS_DIR));
    const notAudio = await upload('hello, I am not a WAV file', { name: 'text' });
    assert.deepEqual([notAudio.status, notAudio.body.error.code], [422, 'INVALID_AUDIO']);
    const notAudioType = await upload(CLIP_WAV, { name: 'typed as text', type: 'text/plain' });
    assert.deepEqual([notAudioType.status, notAudioType.body.error.code], [422, 'INVALID_AUDIO']);
    assert.match(notAudioType.body.error.message, /Content-Type audio\/wav/);

    const cd = await upload(toneWav({ rate: 44100, seconds: 1, hz: CLIP_HZ, channels: 2 }), { name: 'CD quality' });
    assert.deepEqual([cd.status, cd.body.error.code], [422, 'UNSUPPORTED_AUDIO_FORMAT']);
    assert.deepEqual(cd.body.error.details.found, { encoding: 'pcm', bitsPerSample: 16, channels: 2, sampleRate: 44100 });
    assert.deepEqual(cd.body.error.details.accepted.sampleRates, [8000, 16000]);

    const big = Buffer.concat([CLIP_WAV.subarray(0, 44), Buffer.alloc(5 * 1024 * 1024 + 1)]);
    const tooLarge = await upload(big, { name: 'huge' });
    assert.deepEqual([tooLarge.status, tooLarge.body.error.code, tooLarge.body.error.details.limitBytes], [413, 'CLIP_TOO_LARGE', 5 * 1024 * 1024]);

    for (const name of [undefined, '', '   ']) {
      const unnamed = await upload(CLIP_WAV, { name });
      assert.deepEqual([unnamed.status, unnamed.body.error.code, unnamed.body.error.details?.[0]?.path], [422, 'INVALID_REQUEST', 'name'], `name ${JSON.stringify(name)}`);
    }

    assert.deepEqual((await run.ctl.ok('GET', '/clips')).clips, [], 'no clip stored');
    assert.deepEqual(fs.readdirSync(CLIPS_DIR).filter((f) => !before.has(f)), [], 'no file written');
    assert.ok(!run.events.all.some((e) => e.type === 'clip.created'));
  });
});
