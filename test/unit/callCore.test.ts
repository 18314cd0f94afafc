import assert from 'node:assert/strict';
import winston from 'winston';
import { CallCore, SerialExecutor } from '../../src/calls/core';
import { MediaWaiter } from '../../src/calls/core/media';
import { FakeAri, settle } from '../support/fakeAri';

const log = winston.createLogger({ silent: true });

describe('Call core: channel table, serial executor, Stasis router, feature registration', () => {
  describe('serial executor', () => {
    it('given two handlers of one call, when the first awaits, then the second starts only after it ended; another call runs meanwhile', async () => {
      const ex = new SerialExecutor(log);
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      void ex.run('c1', async () => { order.push('c1 first start'); await gate; order.push('c1 first end'); });
      void ex.run('c1', async () => { order.push('c1 second'); });
      void ex.run('c2', async () => { order.push('c2'); });
      await settle();
      assert.deepEqual(order, ['c1 first start', 'c2']);
      release();
      await settle();
      assert.deepEqual(order, ['c1 first start', 'c2', 'c1 first end', 'c1 second']);
      assert.equal(ex.busy, 0);
    });

    it('given a handler that fails, when run for a request, then the request gets the error and the next handler of the call still runs', async () => {
      const ex = new SerialExecutor(log);
      await assert.rejects(ex.runOrThrow('c1', async () => { throw new Error('boom'); }), /boom/);
      assert.equal(await ex.runOrThrow('c1', async () => 42), 42);
      // an event handler's failure is logged, never thrown
      await ex.run('c1', async () => { throw new Error('quiet'); });
    });
  });

  describe('router and registration', () => {
    it('given two features, when channels enter Stasis, then each kind reaches its feature; a channel gone reaches only the feature owning it in the table', async () => {
      const ari = new FakeAri();
      const core = new CallCore(ari.asAri(), log);
      const seen: string[] = [];
      core.register({ name: 'one', roles: ['caller'], stasis: { alpha: (ch, args) => seen.push(`one start ${ch.id} ${args.join(',')}`) }, channelGone: (ch, ref, how) => seen.push(`one gone ${ch.id} ${ref.role} ${how}`) });
      core.register({ name: 'two', roles: ['leg'], stasis: { beta: (ch) => seen.push(`two start ${ch.id}`) }, channelGone: (ch, ref, how, cause) => seen.push(`two gone ${ch.id} ${how} ${cause}`) });
      ari.stasisStart('ch-a', ['alpha', 'x', 'y']);
      ari.stasisStart('ch-b', ['beta']);
      core.channels.set('ch-a', { callId: 'c1', feature: 'one', role: 'caller' });
      core.channels.set('ch-b', { callId: 'c1', feature: 'two', role: 'leg' });
      ari.channelGone('ch-a', 16);
      ari.channelGone('ch-b', 17, { stasisEnd: false });
      ari.channelGone('nobody', 16);
      assert.deepEqual(seen, ['one start ch-a x,y', 'two start ch-b', 'one gone ch-a caller left', 'one gone ch-a caller destroyed', 'two gone ch-b destroyed 17']);
      assert.deepEqual(core.channels.ofCall('c1').map(([id]) => id), ['ch-a', 'ch-b']);
      assert.deepEqual(core.featureNames, ['one', 'two']);
    });

    it('given a feature, when a channel is put in the table with a role it did not register (or for a feature not registered), then that is refused', () => {
      const core = new CallCore(new FakeAri().asAri(), log);
      core.register({ name: 'one', roles: ['caller'] });
      assert.throws(() => core.channels.set('x', { callId: 'c1', feature: 'one', role: 'agent' }), /no channel role agent/);
      assert.throws(() => core.channels.set('x', { callId: 'c1', feature: 'nobody', role: 'caller' }), /no channel role/);
      assert.equal(core.channels.size, 0);
    });

    it('given a feature, when another registers the same name, Stasis kind or timer kind, then registration fails at start', () => {
      const core = new CallCore(new FakeAri().asAri(), log);
      core.register({ name: 'one', roles: ['caller'], stasis: { alpha: () => undefined }, timers: { t: async () => undefined } });
      assert.throws(() => core.register({ name: 'one' }), /registered twice/);
      assert.throws(() => core.register({ name: 'two', timers: { t: async () => undefined } }), /timer kind t/);
      assert.throws(() => core.register({ name: 'three', stasis: { alpha: () => undefined } }), /routed twice/);
    });

    it('given features with timers, routes and offer sources, then the core gathers the timer kinds, the routes in order, and finds the source owning an entry', async () => {
      const core = new CallCore(new FakeAri().asAri(), log);
      const fired: string[] = [];
      const source = { isMine: (id: string) => id.startsWith('cb-'), candidates: async () => [], takes: () => true, offer: async () => 'offered' as const, offerExpired: async () => undefined };
      const reconciled: string[] = [];
      core.register({ name: 'a', timers: { x: async (p) => { fired.push(`x ${p.join('|')}`); } }, reconcile: async () => { reconciled.push('a'); } });
      core.register({ name: 'b', timers: { y: async () => { fired.push('y'); } }, offers: source, reconcile: async () => { reconciled.push('b'); } });
      await core.timerHandlers().x(['1', '2']);
      await core.timerHandlers().y([]);
      assert.deepEqual(fired, ['x 1|2', 'y']);
      assert.equal(core.offerSourceFor('cb-1'), source);
      assert.equal(core.offerSourceFor('c1'), undefined);
      await core.reconcile();
      assert.deepEqual(reconciled, ['a', 'b']);
    });
  });

  describe('media waiter', () => {
    it('given a playback, when Asterisk reports it finished, then the wait resolves as played; a wait released by a hang-up resolves as not played', async () => {
      const ari = new FakeAri();
      const media = new MediaWaiter(ari.asAri(), log);
      const played = media.playAndWait('ch1', ['sound:x'], 'pb1');
      await settle();
      ari.playbackFinished('pb1', 'ch1');
      assert.equal(await played, true);
      const cut = media.playAndWait('ch1', ['sound:y'], 'pb2');
      await settle();
      media.releaseChannel('ch1');
      assert.equal(await cut, false);
      assert.equal(media.pending, 0);
    });

    it('given a recording, when it finishes with audio it resolves true; empty or failed, false; a hang-up does not release it', async () => {
      const ari = new FakeAri();
      const media = new MediaWaiter(ari.asAri(), log);
      const withAudio = media.recordingEnd('r1', 10_000, 'ch1');
      const empty = media.recordingEnd('r2', 10_000, 'ch1');
      const failed = media.recordingEnd('r3', 10_000, 'ch1');
      media.releaseChannel('ch1');
      ari.recordingFinished('r1', 3);
      ari.recordingFinished('r2', 0);
      ari.recordingFailed('r3');
      assert.deepEqual(await Promise.all([withAudio, empty, failed]), [true, false, false]);
    });

    it('given the play request fails, then the wait ends at once as not played', async () => {
      const ari = new FakeAri();
      const media = new MediaWaiter(ari.asAri(), log);
      ari.notFound('play');
      assert.equal(await media.playAndWait('gone', ['sound:x'], 'pb1'), false);
      assert.equal(media.pending, 0);
    });
  });
});
