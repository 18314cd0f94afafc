// Asterisk's own queue (app_queue) as the peer: queue `bench` in asterisk-config/queues.conf, reached
// through dialplan context acd-bench-app-queue. The members are the ACD's own agent endpoints
// (PJSIP/<agent id>, pushed by the controller and kept in astdb), ringing the same sipp phones.
import { ari, asteriskPid, cli } from './environment';
import { rssBytes } from './procstat';
import { BenchSystem } from './system';

/**
 * PJSIP identifies callers by their From user (endpoint_identifier_order=username,...): callers
 * sending From user `bench-aq` get this endpoint and so the app_queue context; all other callers
 * keep landing in acd-inbound. Media settings as the anonymous endpoint ACD callers get.
 */
const CALLER_ENDPOINT = 'bench-aq';
const CALLER_ENDPOINT_FIELDS = {
  context: 'acd-bench-app-queue',
  disallow: 'all', allow: 'ulaw,alaw,gsm', direct_media: 'no', rtp_symmetric: 'yes', force_rport: 'yes',
  rewrite_contact: 'yes', '100rel': 'no', timers: 'no', dtmf_mode: 'rfc4733', send_pai: 'no',
  trust_id_outbound: 'yes', allow_transfer: 'no', rtp_timeout: '120',
};

export class AppQueueSystem implements BenchSystem {
  readonly name = 'app_queue' as const;
  private readonly members = new Set<string>();

  private constructor(private readonly asterisk: number) {}

  static async start(): Promise<AppQueueSystem> {
    await ari('PUT', `/asterisk/config/dynamic/res_pjsip/endpoint/${CALLER_ENDPOINT}`, {
      fields: Object.entries(CALLER_ENDPOINT_FIELDS).map(([attribute, value]) => ({ attribute, value })),
    });
    return new AppQueueSystem(asteriskPid());
  }

  callerUser(): string { return CALLER_ENDPOINT; }

  async useAgents(agentIds: string[]): Promise<void> {
    const wanted = new Set(agentIds);
    for (const id of [...this.members].filter((m) => !wanted.has(m))) {
      await member(`queue remove member PJSIP/${id} from bench`);
      this.members.delete(id);
    }
    // in order, like the ACD's logins: with no call yet, leastrecent picks in member order
    for (const id of agentIds.filter((a) => !this.members.has(a))) {
      await member(`queue add member PJSIP/${id} to bench`);
      this.members.add(id);
    }
  }

  cpuPids(): Record<string, number> { return { asterisk: this.asterisk }; }

  async memory(): Promise<Record<string, number>> { return { asterisk: rssBytes(this.asterisk) }; }

  async stop(): Promise<void> {
    await this.useAgents([]);
    await ari('DELETE', `/asterisk/config/dynamic/res_pjsip/endpoint/${CALLER_ENDPOINT}`).catch(() => undefined);
  }
}

async function member(command: string): Promise<void> {
  const out = await cli(command);
  if (!/^(Added|Removed)/m.test(out)) throw new Error(`${command}: ${out.trim()}`);
}
