import assert from 'node:assert/strict';
import { TEST_ENV } from '../support/env';
import { ADMIN_TOKEN, SUPERVISOR_TOKEN, eventually, sleep } from './harness/controller';
import { allocatePort } from './harness/ports';
import { RtpPeer, toneShareInFrames } from './harness/rtpPeer';
import { startAgentPhone, startCaller } from './harness/sipp';
import { TestRun } from './harness/suite';

// Each party speaks its own tone: both tones in the file prove both parties are recorded.
const CALLER_HZ = 440;
const AGENT_HZ = 660;
const SLACK_MS = 200;   // edges of a pause: API call, mute taking effect, 20 ms frames

const RECORDED = { id: 'rec', name: 'Recorded', extension: '8401', ringTimeoutSec: 10, recording: { policy: 'all', retentionDays: 30 } };
const ON_DEMAND = { id: 'od', name: 'On demand', extension: '8402', ringTimeoutSec: 10, recording: { policy: 'on-demand', retentionDays: 30 } };
const PLAIN = { id: 'plain', name: 'Plain', extension: '8403', ringTimeoutSec: 10 };
const tokens = {
  sam: SUPERVISOR_TOKEN,                // supervisor with default permissions: no accessRecordings
  rita: 'e2e-sup-token-rita-000001',    // supervisor given accessRecordings
  al: 'e2e-agent-token-a1-0000004',     // agent a1
  bo: 'e2e-agent-token-a2-0000004',     // agent a2, not on the call
};

interface Wav { format: number; channels: number; rate: number; bits: number; samples: Int16Array }

/** RIFF/WAVE: the fmt chunk's header fields and the data chunk's 16-bit samples. */
function decodeWav(buf: Buffer): Wav {
  assert.equal(buf.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(buf.subarray(8, 12).toString('latin1'), 'WAVE');
  let fmt: Omit<Wav, 'samples'> | undefined;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.subarray(at, at + 4).toString('latin1');
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      assert.ok(fmt, 'fmt chunk before data');
      const data = buf.subarray(body, Math.min(body + size, buf.length));
      const samples = new Int16Array(data.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
      return { ...fmt, samples };
    }
    at = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

const rms = (s: number[]) => Math.sqrt(s.reduce((a, x) => a + x * x, 0) / Math.max(1, s.length));
/** 8 kHz samples between two offsets in ms. */
const span = (w: Wav, fromMs: number, toMs: number) => Array.from(w.samples.subarray(Math.max(0, fromMs * 8), Math.max(0, toMs * 8)));

async function hangUp(channelId: string): Promise<void> {
  await fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari/channels/${encodeURIComponent(channelId)}`, {
    method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
  });
}

describe('call recording (real SIP, proven by the recorded audio)', function () {
  this.timeout(90_000);
  const run = new TestRun();
  const peer = async (hz: number) => run.trackMedia(await RtpPeer.open(hz));
  const download = (url: string, token: string) => fetch(`${run.ctl.api}${url.replace('/api/v1', '')}`, { headers: { authorization: `Bearer ${token}` } });

  /** Caller and agent a1 connected through `queue`, each sending their tone. Resolves with the call id. */
  async function connectedCall(queue: { id: string; extension: string }): Promise<string> {
    const callerMedia = await peer(CALLER_HZ);
    const agentMedia = await peer(AGENT_HZ);
    const port = allocatePort();
    run.track(startAgentPhone({ port, calls: 1, mediaPort: agentMedia.port }));
    await run.ctl.ok('POST', '/agents', { id: 'a1', name: 'Ann', queues: [queue.id], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${port}` } });
    await run.ctl.ok('POST', '/agents/a1/login');
    run.track(startCaller({ extension: queue.extension, callerNumber: '+15550601', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000, mediaPort: callerMedia.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered', 15_000, 'call.answered');
    // the recording is what is checked, not how soon media flows: both parties talk before it is looked at
    await eventually(async () => callerMedia.hears(AGENT_HZ, 300) > 0.08 && agentMedia.hears(CALLER_HZ, 300) > 0.08, 10_000,
      () => `both parties hear each other (caller hears the agent ${callerMedia.hears(AGENT_HZ, 300).toFixed(2)}, the agent the caller ${agentMedia.hears(CALLER_HZ, 300).toFixed(2)})`);
    return answered.callId;
  }

  beforeEach(async function () {
    await run.start(this.currentTest?.title ?? 'rec', {
      queues: [RECORDED, ON_DEMAND, PLAIN],
      agents: [],
      users: [
        { id: 'sam', role: 'supervisor', token: tokens.sam, supervisedQueues: ['rec', 'od', 'plain'] },
        { id: 'rita', role: 'supervisor', token: tokens.rita, supervisedQueues: ['rec', 'od'], permissions: { accessRecordings: true } },
        { id: 'al', role: 'agent', agentId: 'a1', token: tokens.al },
        { id: 'bo', role: 'agent', agentId: 'a2', token: tokens.bo },
      ],
    });
  });

  afterEach(function () { return run.end(this); });

  it('given a queue that records every call, a pause (by the agent) and resume (by the supervisor) leave silence exactly over the paused interval, and both parties elsewhere', async () => {
    const callId = await connectedCall(RECORDED);
    const started = await run.events.waitFor((e) => e.type === 'recording.started' && e.callId === callId, 5000, 'recording.started');
    assert.equal(started.startedBy, 'policy');

    const startedAt = Date.parse(started.at);
    await sleep(2000);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/pause`, undefined, tokens.bo)).status, 403, 'another agent may not');
    const pauseAsked = Date.now();
    const paused = await run.ctl.ok('POST', `/calls/${callId}/recording/pause`, undefined, tokens.al);
    const pauseAnswered = Date.now();
    assert.equal(paused.state, 'paused');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/pause`, undefined, tokens.al)).body.error.code, 'RECORDING_ALREADY_PAUSED');
    await sleep(2000);
    const resumeAsked = Date.now();
    const resumed = await run.ctl.ok('POST', `/calls/${callId}/recording/resume`, undefined, tokens.sam);
    const resumeAnswered = Date.now();
    assert.equal(resumed.state, 'recording');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/resume`, undefined, tokens.sam)).status, 409, 'not paused any more');
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/stop`, undefined, tokens.al)).status, 403, 'an agent may not stop what the policy records');
    await sleep(2000);
    const hangUpAsked = Date.now();
    await hangUp(callId);
    const stopped = await run.events.waitFor((e) => e.type === 'recording.stopped' && e.callId === callId, 10_000, 'recording.stopped');

    const [rec] = (await run.ctl.ok('GET', `/recordings?callId=${encodeURIComponent(callId)}`, undefined, tokens.rita)).recordings;
    assert.deepEqual([rec.id, rec.state, rec.queueId, rec.agentId, rec.durationMs], [stopped.recordingId, 'stopped', 'rec', 'a1', stopped.durationMs]);
    assert.equal(rec.pausedIntervals.length, 1);
    const { fromMs, toMs } = rec.pausedIntervals[0];
    // the interval is where in the recording the pause and the resume were asked for
    const offset = (t: number) => t - startedAt;
    assert.ok(fromMs >= offset(pauseAsked) && fromMs <= offset(pauseAnswered), `paused from ${fromMs} ms: between ${offset(pauseAsked)} and ${offset(pauseAnswered)}`);
    assert.ok(toMs >= offset(resumeAsked) && toMs <= offset(resumeAnswered), `resumed at ${toMs} ms: between ${offset(resumeAsked)} and ${offset(resumeAnswered)}`);
    assert.ok(rec.durationMs >= offset(hangUpAsked), `the recording lasted until the hang-up: ${rec.durationMs} ms, hang-up at ${offset(hangUpAsked)}`);

    const res = await download(rec.audio.url, tokens.rita);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /audio\/wav/);
    const wav = decodeWav(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual([wav.format, wav.channels, wav.rate, wav.bits], [1, 1, 8000, 16], '16-bit PCM, mono, 8 kHz');
    const fileMs = wav.samples.length / 8;
    assert.ok(Math.abs(fileMs - rec.durationMs) <= SLACK_MS, `file ${fileMs} ms, metadata ${rec.durationMs} ms`);

    // energy per 100 ms window: silent inside the pause, audible outside it (edges and the call's first moments aside)
    const loud: number[] = [];
    const quiet: number[] = [];
    for (let t = 0; t + 100 <= fileMs; t += 100) {
      const level = rms(span(wav, t, t + 100));
      if (t >= fromMs + SLACK_MS && t + 100 <= toMs - SLACK_MS) quiet.push(level);
      else if ((t + 100 <= fromMs - SLACK_MS || t >= toMs + SLACK_MS) && t >= 300 && t + 100 <= fileMs - SLACK_MS) loud.push(level);
    }
    assert.ok(quiet.length >= 15 && Math.max(...quiet) < 30, `silence over the pause: ${quiet.map(Math.round).join(' ')}`);
    assert.ok(loud.length >= 30 && Math.min(...loud) > 500, `audio outside the pause: ${loud.map(Math.round).join(' ')}`);

    for (const [from, to] of [[300, fromMs - SLACK_MS], [toMs + SLACK_MS, fileMs - SLACK_MS]]) {
      const s = span(wav, from, to);
      const caller = toneShareInFrames(s, CALLER_HZ);
      const agent = toneShareInFrames(s, AGENT_HZ);
      assert.ok(caller > 0.2 && agent > 0.2, `both parties in ${Math.round(from)}..${Math.round(to)} ms: caller ${caller.toFixed(2)}, agent ${agent.toFixed(2)}`);
    }
  });

  it('given a supervisor without the recordings permission, listing, reading and downloading are refused; a supervisor given it gets the WAV', async () => {
    const callId = await connectedCall(RECORDED);
    await sleep(1000);
    await hangUp(callId);
    const stopped = await run.events.waitFor((e) => e.type === 'recording.stopped' && e.callId === callId, 10_000, 'recording.stopped');
    const id = encodeURIComponent(stopped.recordingId);

    for (const token of [tokens.sam, tokens.al]) {
      assert.equal((await run.ctl.request('GET', '/recordings', undefined, token)).status, 403);
      assert.equal((await run.ctl.request('GET', `/recordings/${id}`, undefined, token)).status, 403);
      const refused = await download(`/recordings/${id}/audio`, token);
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
    }
    assert.equal((await run.ctl.ok('GET', `/recordings/${id}`, undefined, tokens.rita)).callId, callId);
    const allowed = await download(`/recordings/${id}/audio`, tokens.rita);
    assert.equal(allowed.status, 200);
    const wav = decodeWav(Buffer.from(await allowed.arrayBuffer()));
    assert.ok(wav.samples.length / 8 > 800, 'the call is in it');
    assert.equal((await download(`/recordings/${id}/audio`, ADMIN_TOKEN)).status, 200, 'admins hold every permission');
    assert.equal((await run.ctl.request('GET', '/recordings/no-such-recording', undefined, tokens.rita)).status, 404);
  });

  it('given a queue that records on demand, nothing is recorded until started through the API, and stop ends the recording while the call goes on', async () => {
    const callId = await connectedCall(ON_DEMAND);
    await sleep(1500);
    assert.deepEqual((await run.ctl.ok('GET', `/recordings?callId=${encodeURIComponent(callId)}`)).recordings, [], 'nothing recorded yet');
    assert.ok(!run.events.all.some((e) => e.type === 'recording.started'));
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/pause`, undefined, tokens.al)).body.error.code, 'RECORDING_NOT_ACTIVE');

    const startAsked = Date.now();
    const started = await run.ctl.ok('POST', `/calls/${callId}/recording/start`, undefined, tokens.al);
    const startAnswered = Date.now();
    assert.deepEqual([started.state, started.startedBy, started.audio], ['recording', 'al', null]);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/start`, undefined, tokens.sam)).body.error.code, 'RECORDING_ALREADY_ACTIVE');
    await sleep(2000);
    const stopAsked = Date.now();
    const stopped = await run.ctl.ok('POST', `/calls/${callId}/recording/stop`, undefined, tokens.al);
    const stopAnswered = Date.now();
    assert.equal(stopped.state, 'stopped');
    // from the start to the stop request: at least the 2 s between them, at most the time from asking to start until the stop was answered
    assert.ok(stopped.durationMs >= stopAsked - startAnswered && stopped.durationMs <= stopAnswered - startAsked,
      `duration ${stopped.durationMs} ms: between ${stopAsked - startAnswered} and ${stopAnswered - startAsked}`);
    assert.equal((await run.ctl.request('POST', `/calls/${callId}/recording/stop`, undefined, tokens.al)).status, 409, 'nothing left to stop');

    await sleep(1000);
    const [call] = (await run.ctl.ok('GET', '/calls')).calls;
    assert.deepEqual([call?.id, call?.state], [callId, 'connected'], 'the call goes on');
    const wav = decodeWav(Buffer.from(await (await download(stopped.audio.url, ADMIN_TOKEN)).arrayBuffer()));
    const fileMs = wav.samples.length / 8;
    assert.ok(Math.abs(fileMs - stopped.durationMs) <= SLACK_MS, `only the recorded part: file ${fileMs} ms, metadata ${stopped.durationMs} ms`);
    const [callerShare, agentShare] = [CALLER_HZ, AGENT_HZ].map((hz) => toneShareInFrames(span(wav, 300, fileMs - SLACK_MS), hz));
    assert.ok(callerShare > 0.2 && agentShare > 0.2, `both parties: caller ${callerShare.toFixed(2)}, agent ${agentShare.toFixed(2)} over ${Math.round(fileMs)} ms`);
  });

  it('given a queue that does not record, a start is refused; an unknown call is 404', async () => {
    const callId = await connectedCall(PLAIN);
    const refused = await run.ctl.request('POST', `/calls/${callId}/recording/start`, undefined, tokens.sam);
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'RECORDING_DISABLED']);
    assert.equal((await run.ctl.request('POST', '/calls/no-such-call/recording/start')).status, 404);
    await sleep(500);
    assert.deepEqual((await run.ctl.ok('GET', '/recordings')).recordings, []);
  });
});
