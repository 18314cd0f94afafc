import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
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

const ariAuth = () => `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}`;

async function ariWrite(method: 'PUT' | 'DELETE', route: string, body?: unknown): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari${route}`, {
    method, headers: { authorization: ariAuth(), 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  return res.status;
}

/**
 * A PJSIP endpoint standing for the outside world: `PJSIP/<number>@<name>` reaches a SIPp phone
 * on `port` (what a carrier trunk is in production).
 */
export async function customerTrunk(name: string, port: number): Promise<void> {
  return staticEndpoint(name, port, 'customer');
}

/** A PJSIP endpoint whose phone is a SIPp process on `port` (a supervisor's desk phone, a trunk). */
export async function staticEndpoint(name: string, port: number, user = name): Promise<void> {
  const f = (o: Record<string, string>) => ({ fields: Object.entries(o).map(([attribute, value]) => ({ attribute, value })) });
  await ariWrite('DELETE', `/asterisk/config/dynamic/res_pjsip/endpoint/${name}`);
  await ariWrite('DELETE', `/asterisk/config/dynamic/res_pjsip/aor/${name}`);
  await ariWrite('PUT', `/asterisk/config/dynamic/res_pjsip/aor/${name}`, f({ contact: `sip:${user}@127.0.0.1:${port}` }));
  await ariWrite('PUT', `/asterisk/config/dynamic/res_pjsip/endpoint/${name}`, f({
    aors: name, context: 'acd-agents', disallow: 'all', allow: 'ulaw', direct_media: 'no', '100rel': 'no', timers: 'no',
  }));
}

/**
 * An endpoint trusted to send routing data (X-ACD-Priority / X-ACD-Skills): an SBC or IVR server,
 * marked by its context acd-inbound-trusted; a SIPp caller calls as it with viaEndpoint: name.
 */
export async function trustedEndpoint(name: string): Promise<void> {
  const f = (o: Record<string, string>) => ({ fields: Object.entries(o).map(([attribute, value]) => ({ attribute, value })) });
  await ariWrite('DELETE', `/asterisk/config/dynamic/res_pjsip/endpoint/${name}`);
  await ariWrite('PUT', `/asterisk/config/dynamic/res_pjsip/endpoint/${name}`, f({
    context: 'acd-inbound-trusted', trust_id_inbound: 'yes', disallow: 'all', allow: 'ulaw', direct_media: 'no', '100rel': 'no', timers: 'no',
    rtp_symmetric: 'yes', dtmf_mode: 'rfc4733',
  }));
}

/**
 * A second ARI application subscribed to everything: lets a test observe what Asterisk does
 * (playbacks, recordings) without touching the controller's own application.
 */
export class AriObserver {
  readonly events: any[] = [];
  private waiters: { pred: (e: any) => boolean; resolve: (e: any) => void }[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const e = JSON.parse(String(d));
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => { if (w.pred(e)) { w.resolve(e); return false; } return true; });
    });
  }

  /** The first ARI event (already seen or still to come) matching, within the time limit. */
  waitFor(pred: (e: any) => boolean, timeoutMs = 15_000, what = 'ARI event'): Promise<any> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }
  static open(): Promise<AriObserver> {
    const url = `ws://127.0.0.1:${TEST_ENV.ariPort}/ari/events?app=e2e-observer&subscribeAll=true&api_key=acd:${encodeURIComponent(TEST_ENV.ariPassword)}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new AriObserver(ws)));
      ws.once('error', reject);
    });
  }
  close(): void { this.ws.close(); }
}

/** Whether Asterisk's ARI application registry answers (GET /applications within 3 s). */
export async function ariApplicationsAnswer(): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${TEST_ENV.ariPort}/ari/applications`, {
      headers: { authorization: `Basic ${Buffer.from(`acd:${TEST_ENV.ariPassword}`).toString('base64')}` },
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Restarts the run's Asterisk (same instance, ports and password as scripts/test.sh gave it). Used
 * only when its ARI application registry has wedged: seen a few times in full runs, Asterisk 22 then
 * answers /asterisk/info but never /applications nor a new application's WebSocket, and every later
 * controller would fail to start.
 */
export function restartAsterisk(): void {
  const rtpStart = Number(process.env.ACD_TEST_RTP_START ?? 30000);
  execFileSync('bash', [path.resolve(__dirname, '../../../../scripts/asterisk.sh'), 'restart'], {
    env: {
      ...process.env, ACD_ASTERISK_INSTANCE: TEST_ENV.instance, ACD_SIP_PORT: String(TEST_ENV.sipPort),
      ACD_ARI_PORT: String(TEST_ENV.ariPort), ACD_AMI_PORT: String(TEST_ENV.amiPort), ACD_RTP_START: String(rtpStart),
      ACD_RTP_END: String(rtpStart + 1000), ARI_PASSWORD: TEST_ENV.ariPassword,
    },
    stdio: 'ignore', timeout: 120_000,
  });
}
