import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import winston from 'winston';
import { WebSocketServer, type WebSocket } from 'ws';
import { Ari } from '../../src/ari/client';
import type { AriEventOf } from '../../src/ari/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ariClient = require('ari-client') as { connect: (...a: unknown[]) => Promise<unknown> };

/**
 * Stands in for Asterisk's /ari/events: a real WebSocket server on 127.0.0.1. ari-client (kept for
 * the requests off the call path) is stubbed: only its connect is called.
 */
class FakeEvents {
  readonly wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  readonly sockets: WebSocket[] = [];
  readonly upgrades: { url: string; authorization?: string }[] = [];
  constructor() {
    this.wss.on('connection', (ws, req) => {
      this.sockets.push(ws);
      this.upgrades.push({ url: req.url ?? '', authorization: req.headers.authorization });
    });
  }
  get url(): string { return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`; }
  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

const once = (ari: Ari, name: string) => new Promise<void>((r) => ari.once(name, () => r()));

describe('ARI connection supervision', () => {
  const sandbox = sinon.createSandbox();
  const log = winston.createLogger({ silent: true });
  let ari: Ari | undefined;
  let events: FakeEvents;

  beforeEach(async () => {
    events = new FakeEvents();
    await new Promise<void>((r) => events.wss.once('listening', () => r()));
  });
  afterEach(async () => { ari?.stop(); ari = undefined; sandbox.restore(); await events.close(); });

  it('given Asterisk unreachable at first, keeps retrying with back-off and connects when it answers', async () => {
    const connect = sandbox.stub(ariClient, 'connect');
    connect.onCall(0).rejects(new Error('ECONNREFUSED'));
    connect.onCall(1).rejects(new Error('ECONNREFUSED'));
    connect.onCall(2).resolves({});
    ari = new Ari({ url: events.url, user: 'u', password: 'p', app: 'acd' }, log);
    const connected = once(ari, 'connected');
    ari.start();
    await connected;
    assert.equal(connect.callCount, 3);
    assert.equal(ari.connected, true);
    assert.equal(events.upgrades.length, 1);
    assert.equal(events.upgrades[0].url, '/ari/events?app=acd');
    assert.equal(events.upgrades[0].authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('given the events socket drops (Asterisk restarted), makes it again and announces each connect; events arrive parsed, as Asterisk sent them', async () => {
    const connect = sandbox.stub(ariClient, 'connect').resolves({});
    ari = new Ari({ url: events.url, user: 'u', password: 'p', app: 'acd' }, log);
    let connects = 0;
    ari.on('connected', () => connects++);
    const finished: AriEventOf<'PlaybackFinished'>[] = [];
    ari.onEvent('PlaybackFinished', (e) => finished.push(e));
    const first = once(ari, 'connected');
    ari.start();
    await first;
    assert.equal(connects, 1);

    const event = { type: 'PlaybackFinished', application: 'acd', timestamp: '2026-12-01T00:00:00.000+0000', playback: { id: 'pb1', media_uri: 'sound:beep', target_uri: 'channel:c1', state: 'done' } };
    events.sockets[0].send(JSON.stringify(event));
    while (!finished.length) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(finished, [event]);

    const down = once(ari, 'disconnected');
    const again = once(ari, 'connected');
    events.sockets[0].close();
    await down;
    assert.equal(ari.connected, false);
    assert.equal(ari.outages, 1, 'a drop after a connect is an outage');
    await again;
    assert.equal(connects, 2, 'a reconnect is announced so the controller reconciles');
    assert.equal(ari.connected, true);
    assert.equal(connect.callCount, 1, 'the request client is kept across the events socket\'s reconnects');
    assert.equal(events.upgrades.length, 2);
  });

  it('given an event handler that throws, the socket stays up and later events still arrive', async () => {
    sandbox.stub(ariClient, 'connect').resolves({});
    ari = new Ari({ url: events.url, user: 'u', password: 'p', app: 'acd' }, log);
    const ids: string[] = [];
    ari.onEvent('PlaybackStarted', () => { throw new Error('a bug in a handler'); });
    ari.onEvent('PlaybackFinished', (e) => ids.push(e.playback.id));
    const connected = once(ari, 'connected');
    ari.start();
    await connected;
    const playback = (id: string) => ({ id, media_uri: 'sound:beep', target_uri: 'channel:c1', state: 'done' });
    events.sockets[0].send(JSON.stringify({ type: 'PlaybackStarted', application: 'acd', timestamp: '', playback: playback('pb1') }));
    events.sockets[0].send('not json');
    events.sockets[0].send(JSON.stringify({ type: 'PlaybackFinished', application: 'acd', timestamp: '', playback: playback('pb2') }));
    while (!ids.length) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(ids, ['pb2']);
    assert.equal(ari.connected, true);
    assert.equal(events.upgrades.length, 1);
  });
});
