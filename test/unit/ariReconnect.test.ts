import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import winston from 'winston';
import { Ari } from '../../src/ari/client';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ariClient = require('ari-client') as { connect: (...a: unknown[]) => Promise<unknown> };

/** Stands in for an ari-client Client: only the connection behaviour is faked here. */
class FakeClient extends EventEmitter {
  started = 0;
  async start(): Promise<void> {
    this.started++;
    queueMicrotask(() => this.emit('WebSocketConnected'));
  }
  stop(): void {}
}

describe('ARI connection supervision', () => {
  const sandbox = sinon.createSandbox();
  const log = winston.createLogger({ silent: true });
  let clock: sinon.SinonFakeTimers;
  let ari: Ari;

  beforeEach(() => { clock = sandbox.useFakeTimers({ toFake: ['setTimeout'] }); });
  afterEach(() => { ari?.stop(); sandbox.restore(); });

  it('given Asterisk unreachable at first, keeps retrying with back-off and connects when it answers', async () => {
    const client = new FakeClient();
    const connect = sandbox.stub(ariClient, 'connect');
    connect.onCall(0).rejects(new Error('ECONNREFUSED'));
    connect.onCall(1).rejects(new Error('ECONNREFUSED'));
    connect.onCall(2).resolves(client);
    ari = new Ari({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'acd' }, log);
    const connected = new Promise<void>((r) => ari.once('connected', r));
    ari.start();
    await clock.tickAsync(10_000);
    await connected;
    assert.equal(connect.callCount, 3);
    assert.equal(ari.connected, true);
  });

  it('given ari-client gives up reconnecting (WebSocketMaxRetries), makes a new client and reconnects; each connect is announced', async () => {
    const first = new FakeClient();
    const second = new FakeClient();
    const connect = sandbox.stub(ariClient, 'connect');
    connect.onCall(0).resolves(first);
    connect.onCall(1).resolves(second);
    ari = new Ari({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'acd' }, log);
    let connects = 0;
    ari.on('connected', () => connects++);
    ari.start();
    await clock.tickAsync(10);
    assert.equal(connects, 1);

    first.emit('WebSocketReconnecting', new Error('closed'));
    assert.equal(ari.connected, false);
    first.emit('WebSocketConnected');            // ari-client's own reconnect worked
    assert.equal(connects, 2, 'a reconnect is announced so the controller reconciles');

    first.emit('WebSocketMaxRetries', new Error('gave up'));
    await clock.tickAsync(10_000);
    assert.equal(connect.callCount, 2, 'a fresh client after ari-client gave up');
    assert.equal(second.started, 1);
    assert.equal(connects, 3);
    assert.equal(ari.connected, true);
  });
});
