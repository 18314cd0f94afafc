import dgram from 'node:dgram';

/** G.711 μ-law byte → linear sample. */
function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/**
 * Stands where a phone's media port would be and listens to the RTP Asterisk sends there. Lets a
 * test tell by audio what a party hears (music on hold is loud, silence is not), not by topology.
 */
export class RtpListener {
  private readonly socket = dgram.createSocket('udp4');
  private packets: { at: number; payload: Buffer }[] = [];

  private constructor(readonly port: number) {}

  static async open(port: number): Promise<RtpListener> {
    const l = new RtpListener(port);
    await new Promise<void>((resolve, reject) => {
      l.socket.once('error', reject);
      l.socket.bind(port, '127.0.0.1', () => resolve());
    });
    l.socket.on('message', (msg) => {
      if (msg.length > 12 && (msg[1] & 0x7f) === 0) l.packets.push({ at: Date.now(), payload: msg.subarray(12) });
    });
    return l;
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

  close(): void { this.socket.close(); }
}
