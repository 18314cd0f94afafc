import dgram from 'node:dgram';
import { allocatePort } from './ports';

/** G.711 μ-law byte → linear sample. */
function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** Mean absolute amplitude above which audio is heard (music, prompts), and below which it is silence. */
export const AUDIBLE = 60;
export const SILENT = 20;

/**
 * Stands where a phone's media port would be and listens to the RTP Asterisk sends there. Lets a
 * test tell by audio what a party hears (music on hold is loud, silence is not), not by topology.
 */
export class RtpListener {
  private packets: { at: number; payload: Buffer }[] = [];

  // RTCP goes to port+1: a real phone listens there, and Asterisk hangs up a call whose RTCP
  // draws ICMP port-unreachable during a dialplan Answer()
  private constructor(readonly port: number, private readonly rtp: dgram.Socket, private readonly rtcp: dgram.Socket) {
    rtp.on('message', (msg) => {
      if (msg.length > 12 && (msg[1] & 0x7f) === 0) this.packets.push({ at: Date.now(), payload: msg.subarray(12) });
    });
  }

  /** Binds a free even port and the one above it. */
  static async open(): Promise<RtpListener> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = allocatePort() & ~1;
      const rtp = dgram.createSocket('udp4');
      const rtcp = dgram.createSocket('udp4');
      try {
        await bind(rtp, port);
        await bind(rtcp, port + 1);
        return new RtpListener(port, rtp, rtcp);
      } catch {
        rtp.close(); rtcp.close();
      }
    }
    throw new Error('no free RTP/RTCP port pair');
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

function bind(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
  });
}
