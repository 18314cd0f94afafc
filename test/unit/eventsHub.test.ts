import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { AccessPolicy } from '../../src/access/policy';
import { effectivePermissions } from '../../src/access/permissions';
import type { Principal, UserDirectory } from '../../src/access/users';
import { attachEventsHub } from '../../src/api/eventsHub';
import type { AcdEvent, EventBus } from '../../src/events/bus';
import { createLogger } from '../../src/logger';
import type { Registry } from '../../src/registry/registry';

/**
 * The hub on a real HTTP server and real WebSocket clients; the event stream is a stand-in (it
 * needs Redis), fed by the test.
 */
describe('events hub: a client that does not read', () => {
  it('given a client whose socket stops reading, when events pile up past the bound, then it is disconnected while a reading client keeps receiving', async () => {
    const handlers: ((e: AcdEvent) => void)[] = [];
    const bus = { subscribe: (h: (e: AcdEvent) => void) => { handlers.push(h); return () => undefined; } } as unknown as EventBus;
    const admin: Principal = { id: 'admin', role: 'admin', supervisedQueues: [], permissions: effectivePermissions('admin') };
    const users = { authenticate: async (t?: string) => (t === 'ok' ? admin : undefined), refresh: async (p: Principal) => p } as unknown as UserDirectory;
    const server = http.createServer();
    const wss = attachEventsHub(server, bus, users, createLogger('error', 'json'),
      { policy: new AccessPolicy({ findAgent: () => undefined } as unknown as Registry), limits: { maxBufferedBytes: 256 * 1024, pingIntervalMs: 60_000 } });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events?token=ok`;
    const open = () => new Promise<WebSocket>((resolve, reject) => { const ws = new WebSocket(url); ws.once('open', () => resolve(ws)); ws.once('error', reject); });
    try {
      const slow = await open();
      const reader = await open();
      let received = 0;
      reader.on('message', () => { received++; });
      const slowClosed = new Promise<number>((r) => slow.once('close', (code) => r(code)));
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();   // stops reading, as a stuck client does
      const big = 'x'.repeat(64 * 1024);
      let sent = 0;
      // events until the slow client is cut off (the kernel's buffers absorb the first megabytes)
      while (sent < 5000) {
        for (let i = 0; i < 20; i++) handlers.forEach((h) => h({ id: `${sent}-0`, type: 'registry.changed', at: Date.now(), padding: big }));
        sent += 20;
        await new Promise((r) => setTimeout(r, 5));
        if ([...wss.clients].length < 2) break;
      }
      assert.equal([...wss.clients].length, 1, `the slow client was disconnected (after ${sent} events of 64 kB)`);
      (slow as unknown as { _socket: { resume(): void } })._socket.resume();
      assert.equal(await slowClosed, 1006, 'cut off, not closed politely behind its backlog');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(received > 0 && reader.readyState === WebSocket.OPEN, 'the reading client stays and receives');
      reader.close();
    } finally {
      wss.close();
      server.close();
    }
  });
});
