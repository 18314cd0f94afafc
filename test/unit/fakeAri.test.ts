import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { Ari, AriGone, AriUnavailable } from '../../src/ari/client';
import type { AriChannel } from '../../src/ari/types';
import { FakeAri, fakeChannel } from '../support/fakeAri';

/**
 * The shared fake ARI must route and deliver like the real adapter, or the unit tests built on it
 * test a different program. The real `Ari` routes and emits without a connection, so both are
 * driven the same way here.
 */
describe('the shared fake ARI behaves like Ari where services depend on it', () => {
  const log = winston.createLogger({ silent: true });
  const real = () => new Ari({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'acd' }, log);
  const stasisStart = (channel: AriChannel, args: string[]) =>
    ({ type: 'StasisStart', application: 'acd', timestamp: new Date(0).toISOString(), channel, args });

  for (const [name, make] of [['Ari', real], ['FakeAri', () => new FakeAri()]] as const) {
    it(`given a route for "agent", when a channel enters Stasis with agent,c1,tok, then ${name} hands it the channel and the arguments after the kind`, () => {
      const ari = make();
      const got: [string, string[]][] = [];
      ari.routeStasis('agent', (ch, args) => got.push([ch.id, args]));
      ari.emit('ari:StasisStart', stasisStart(fakeChannel('ch1'), ['agent', 'c1', 'tok']));
      assert.deepEqual(got, [['ch1', ['c1', 'tok']]]);
    });

    it(`given onEvent handlers, when ${name} emits ari:<type>, then only the handler of that type gets it`, () => {
      const ari = make();
      const finished: string[] = [];
      const destroyed: string[] = [];
      ari.onEvent('PlaybackFinished', (e) => finished.push(e.playback.id));
      ari.onEvent('ChannelDestroyed', (e) => destroyed.push(e.channel.id));
      ari.emit('ari:PlaybackFinished', { type: 'PlaybackFinished', playback: { id: 'p1', media_uri: '', target_uri: 'channel:c1', state: 'done' } });
      assert.deepEqual([finished, destroyed], [['p1'], []]);
    });
  }

  it('given no route for a kind, when a channel enters Stasis with it, then the real Ari hangs it up and the fake records it as unrouted', () => {
    const ari = real();
    const hangup = sinon.stub(ari, 'hangupQuietly').resolves();
    ari.emit('ari:StasisStart', stasisStart(fakeChannel('stray'), ['nobody']));
    sinon.assert.calledOnceWithExactly(hangup, 'stray');
    const fake = new FakeAri();
    fake.stasisStart('stray', ['nobody']);
    assert.deepEqual(fake.unrouted, ['stray']);
  });

  it('given a channel gone, when a request names it, then the fake answers AriGone (404) as Asterisk does, and hangupQuietly ignores it like the real one', async () => {
    const fake = new FakeAri();
    fake.channelGone('c1');
    await assert.rejects(fake.answer('c1'), AriGone);
    await assert.rejects(fake.startMoh('c1', 'default'), AriGone);
    await fake.hangupQuietly('c1');
    await fake.answer('c2');
    assert.deepEqual(fake.methods(), ['answer', 'startMoh', 'hangupQuietly', 'answer']);
  });

  it('given configured answers, when requested, then the fake answers with them: a result, a 404, no connection', async () => {
    const fake = new FakeAri()
      .respond('listChannels', () => [fakeChannel('x')])
      .notFound('getChannel')
      .unavailable('originate');
    assert.deepEqual((await fake.listChannels()).map((c) => c.id), ['x']);
    await assert.rejects(fake.getChannel('y'), AriGone);
    await assert.rejects(fake.originate({ endpoint: 'PJSIP/a1', channelId: 'o1', app: 'acd', appArgs: '', callerId: '', timeoutSec: 5 }), AriUnavailable);
    assert.deepEqual(fake.argsOf('getChannel'), [['y']]);
  });
});
