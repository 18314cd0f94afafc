import fs from 'node:fs';
import { TEST_ENV } from '../../support/env';

/** Read-only look at the run's Asterisk through ARI, for facts a client of the ACD cannot see. */
export async function ari<T = any>(route: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari${route}`, {
    headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
  });
  if (!res.ok) throw new Error(`ARI ${route} → ${res.status}`);
  return (await res.json()) as T;
}

/** Test hygiene: SIPp stopped by a signal sends no BYE, so its channels would outlive the test. */
export async function hangupAllChannels(): Promise<void> {
  const channels = await ari<{ id: string }[]>('/channels');
  await Promise.all(channels.map((c) => fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari/channels/${c.id}`, {
    method: 'DELETE',
    headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
  })));
}

export async function bridgeOfCall(callId: string): Promise<{ id: string; channels: string[] } | undefined> {
  const bridges = await ari<{ id: string; channels: string[] }[]>('/bridges');
  return bridges.find((b) => b.id === `call-${callId}`);
}

/** Lines Asterisk logged since `offset` bytes into its messages log. */
export function asteriskLogSince(offset: number): string {
  const buf = fs.readFileSync(TEST_ENV.asteriskLog);
  return buf.subarray(offset).toString('utf8');
}
export function asteriskLogSize(): number {
  return fs.existsSync(TEST_ENV.asteriskLog) ? fs.statSync(TEST_ENV.asteriskLog).size : 0;
}
