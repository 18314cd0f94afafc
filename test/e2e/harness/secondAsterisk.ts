import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TEST_ENV } from '../../support/env';

const SCRIPT = path.resolve(__dirname, '../../../../scripts/asterisk.sh');

/**
 * The ports of a second Asterisk for tests of several controllers, each with its own Asterisk.
 * Derived from the run's own (ACD_TEST_*: SIP, ARI and AMI + 10, the 1000 RTP ports after the run's,
 * which scripts/test.sh and test/e2e/harness/ports.ts keep for it),
 * so that parallel runs and CI shards, each with its own Asterisk and ports, get their own too.
 */
export function secondAsteriskPorts() {
  const rtpStart = Number(process.env.ACD_TEST_RTP_START ?? 30000) + 1000;
  return {
    instance: `${process.env.ACD_TEST_INSTANCE ?? 'test'}2`,
    sipPort: TEST_ENV.sipPort + 10,
    ariPort: TEST_ENV.ariPort + 10,
    amiPort: TEST_ENV.amiPort + 10,
    rtpStart,
    rtpEnd: rtpStart + 1000,
    ariPassword: `${TEST_ENV.ariPassword}-2`,
  };
}

/**
 * A second real Asterisk 22 (scripts/asterisk.sh, its own instance, ports, RTP range and password),
 * from the same root and the same config files as the run's: another site of one deployment.
 */
export class SecondAsterisk {
  readonly ports = secondAsteriskPorts();
  private constructor() {}

  static start(): SecondAsterisk {
    const a = new SecondAsterisk();
    a.script('start');
    return a;
  }

  get ariUrl(): string { return `http://127.0.0.1:${this.ports.ariPort}`; }
  get sipPort(): number { return this.ports.sipPort; }
  get ariPassword(): string { return this.ports.ariPassword; }

  /** The environment a controller needs to use this Asterisk (on top of the harness's). */
  controllerEnv(): Record<string, string> {
    return { ARI_URL: this.ariUrl, ARI_PASSWORD: this.ariPassword };
  }

  /** kill -9, as when its machine dies: no BYE, no cleanup. */
  kill(): void {
    const pidFile = path.join(this.script('instance-dir').trim(), 'run/asterisk.pid');
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && pid > 0) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    }
  }

  /** Stop it (and clean up its pid files after a kill). */
  stop(): void { this.script('stop'); }

  /** Start it again after a stop or a kill (same instance, ports, password). */
  restart(): void { this.script('start'); }

  /** Read-only ARI look at it. */
  async ari<T = any>(route: string): Promise<T> {
    const res = await fetch(`${this.ariUrl}/ari${route}`, { headers: { authorization: this.auth() } });
    if (!res.ok) throw new Error(`ARI ${route} → ${res.status}`);
    return (await res.json()) as T;
  }

  /** Test hygiene, as hangupAllChannels for the run's Asterisk. */
  async hangupAllChannels(): Promise<void> {
    const channels = await this.ari<{ id: string }[]>('/channels').catch(() => []);
    await Promise.all(channels.map((c) => fetch(`${this.ariUrl}/ari/channels/${c.id}`, { method: 'DELETE', headers: { authorization: this.auth() } })));
  }

  private auth(): string { return `Basic ${Buffer.from(`acd:${this.ariPassword}`).toString('base64')}`; }

  private script(cmd: 'start' | 'stop' | 'instance-dir'): string {
    const p = this.ports;
    return execFileSync('bash', [SCRIPT, cmd], {
      env: {
        ...process.env, ACD_ASTERISK_INSTANCE: p.instance, ACD_SIP_PORT: String(p.sipPort), ACD_ARI_PORT: String(p.ariPort),
        ACD_AMI_PORT: String(p.amiPort), ACD_RTP_START: String(p.rtpStart), ACD_RTP_END: String(p.rtpEnd), ARI_PASSWORD: p.ariPassword,
        // its channel ids (callers' call ids) must differ from the run's Asterisk's
        ACD_SYSTEM_NAME: p.instance,
      },
      stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 120_000,
    });
  }
}
