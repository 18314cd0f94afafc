import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AccessPolicy } from '../../src/access/policy';
import type { Principal } from '../../src/access/users';
import { ClipService } from '../../src/clips';
import { AcdError } from '../../src/errors';
import type { ClipRecord, StateStore } from '../../src/state/store';
import { CallWorld, callWorld, connectedCall } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');
const agentA1 = { id: 'u-a1', role: 'agent', agentId: 'a1', permissions: {} } as unknown as Principal;
const clip: ClipRecord = {
  id: 'clip-1', name: 'Terms', scope: 'public', createdBy: 's1', createdAt: NOW, updatedAt: NOW, archived: false,
  file: 'clip-1.wav', sampleRate: 8000, durationMs: 4000, bytes: 64_000,
};

describe('Clips played into a connected call (fake ARI, stubbed Lua, real call core, the media waiter)', () => {
  let w: CallWorld;
  let clips: ClipService;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    w = await callWorld();
    clock = w.sandbox.useFakeTimers({ now: NOW, toFake: ['Date'] });
    w.state.clip.resolves(clip);
    w.state.clipPlayed.resolves({ ok: true, value: undefined } as never);
    clips = new ClipService(w.ari.asAri(), w.media, w.state as unknown as StateStore, w.calls, new AccessPolicy(w.registry),
      { dir: '/tmp/clips', mediaDir: '/media/clips' }, w.log);
  });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  it('given a connected call, when the agent plays a public clip then hangup, then it plays into the call\'s bridge and, once played out, the caller is hung up', async () => {
    const { bridgeId } = await connectedCall(w);
    const r = await clips.play(agentA1, 'c1', { clipId: 'clip-1', then: 'hangup' });
    assert.deepEqual(w.ari.argsOf('playOnBridge'), [[bridgeId, r.playbackId, ['sound:/media/clips/clip-1']]]);
    await assert.rejects(clips.play(agentA1, 'c1', { clipId: 'clip-1' }), (e: unknown) => e instanceof AcdError && e.code === 'CLIP_ALREADY_PLAYING');
    w.ari.playbackFinished(r.playbackId, bridgeId);
    await settle();
    assert.equal(w.state.clipPlayed.firstCall.args[0].outcome, 'done');
    assert.ok(w.ari.hungUp().includes('c1'), 'the caller is hung up');
    // the call may get another clip now
    await clips.play(agentA1, 'c1', { clipId: 'clip-1' });
  });

  it('given the bridge is gone when asked to play, then CALL_NOT_CONNECTED and nothing stays playing', async () => {
    await connectedCall(w);
    w.ari.notFound('playOnBridge');
    await assert.rejects(clips.play(agentA1, 'c1', { clipId: 'clip-1' }), (e: unknown) => e instanceof AcdError && e.code === 'CALL_NOT_CONNECTED');
    w.ari.resetAnswers();
    await clips.play(agentA1, 'c1', { clipId: 'clip-1' });
    assert.equal(w.ari.argsOf('playOnBridge').length, 2);
  });
});
