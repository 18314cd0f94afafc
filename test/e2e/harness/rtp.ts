import dgram from 'node:dgram';
import { bindRtpPair, ulawToLinear } from './rtpPeer';

/** Mean absolute amplitude above which audio is heard (music, prompts), and below which it is silence. */
export const AUDIBLE = 60;
export const SILENT = 20;

/**
 * Stands where a phone's media port would be and listens to the RTP Asterisk sends there. Lets a
 * test tell by audio what a party hears (music on hold is loud, silence is not), not by topology.
 */
export class RtpListener {
  private packets: { at: number; payload: Buffer }[] = [];

  private constructor(readonly port: number, private readonly rtp: dgram.Socket, private readonly rtcp: dgram.Socket) {
    rtp.on('message', (msg) => {
      if (msg.length > 12 && (msg[1] & 0x7f) === 0) this.packets.push({ at: Date.now(), payload: msg.subarray(12) });
    });
  }

  /** Binds a free RTP/RTCP port pair (see bindRtpPair). */
  static async open(): Promise<RtpListener> {
    const { port, rtp, rtcp } = await bindRtpPair();
    return new RtpListener(port, rtp, rtcp);
  }

  /** Mean absolute amplitude (0..32124) of PCMU audio received in the last `ms` milliseconds. */
  level(ms: number): { packets: number; meanAbs: number } {
    const since = Date.now() - ms;
    const recent = this.packets.filter((p) => p.at >= since);
    let sum = 0;
    let n = 0;
    for (const p of recent) for (const b of p.payload) { sum += Math.abs(ulawToLinear(b)); n++; }
    return { packets: recent.length, meanAbs: n ? sum / n : 0 };
  }

  close(): void { this.rtp.close(); this.rtcp.close(); }
}
