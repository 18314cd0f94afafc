import dgram from 'node:dgram';
import { allocatePortPair } from './ports';

/** G.711 μ-law byte → linear sample. */
export function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

function linearToUlaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const mag = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (mag & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  return ~(sign | (exponent << 4) | ((mag >> (exponent + 3)) & 0x0f)) & 0xff;
}

/** Goertzel power of one frequency in 8 kHz samples, normalised by the block's energy (0..1). */
export function toneShare(samples: number[], hz: number): number {
  if (samples.length < 80) return 0;
  const k = (2 * Math.cos((2 * Math.PI * hz) / 8000));
  let s1 = 0, s2 = 0, energy = 0;
  for (const x of samples) { const s0 = x + k * s1 - s2; s2 = s1; s1 = s0; energy += x * x; }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return energy ? (2 * power) / (samples.length * energy) : 0;
}

/**
 * A tone's share of a long recording, measured 50 ms at a time (the tone's power over all frames
 * against all their energy). One Goertzel over seconds of audio is a filter a fraction of a hertz
 * wide: a tone whose phase jumps (a packet late or lost under load, the bridge's mixing changing)
 * loses most of its measured share though it is plainly there. Over 50 ms frames the filter is
 * 20 Hz wide, still far narrower than the 220 Hz between the tests' tones, and a phase jump costs
 * one frame; a party who is not in the audio still measures near zero.
 */
export function toneShareInFrames(samples: number[], hz: number, frame = 400): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / 8000));
  let tone = 0, energy = 0;
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let s1 = 0, s2 = 0;
    for (let i = at; i < at + frame; i++) {
      const x = samples[i];
      const s0 = x + k * s1 - s2; s2 = s1; s1 = s0; energy += x * x;
    }
    tone += (2 * (s1 * s1 + s2 * s2 - k * s1 * s2)) / frame;
  }
  return energy ? tone / energy : 0;
}

const OPEN = new Map<number, RtpPeer>();

/**
 * A phone's media side in the test: the SDP of a SIPp phone points here. Once the call is up it sends
 * a steady tone of its own to Asterisk (to the SDP's address, then to wherever Asterisk sends from:
 * symmetric RTP), and tells which tones it hears — so a test can prove who hears whom, by audio.
 */
export class RtpPeer {
  private received: { at: number; samples: number[] }[] = [];
  private remote?: { address: string; port: number };
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private sent = 0;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private lastEventTs = -1;
  /** DTMF digits received as RFC 4733 events, in order. */
  digits = '';

  private constructor(readonly port: number, private readonly rtp: dgram.Socket, private readonly rtcp: dgram.Socket, private readonly toneHz?: number) {
    rtp.on('message', (msg, rinfo) => {
      // RFC 4733 telephone-event: one digit per event timestamp (its end packets repeat)
      if (msg.length >= 16 && (msg[1] & 0x7f) === 101) {
        const ts = msg.readUInt32BE(4);
        if (ts !== this.lastEventTs) { this.lastEventTs = ts; this.digits += '0123456789*#ABCD'[msg[12]] ?? '?'; }
        return;
      }
      if (msg.length <= 12 || (msg[1] & 0x7f) !== 0) return;
      // follow whoever sends to us now (a second call on the same phone uses another Asterisk port)
      if (!this.remote || this.remote.port !== rinfo.port || this.remote.address !== rinfo.address) {
        this.remote = { address: rinfo.address, port: rinfo.port };
        this.startSending();
      }
      const samples = Array.from(msg.subarray(12), ulawToLinear);
      this.received.push({ at: Date.now(), samples });
    });
  }

  /**
   * Binds an even port and the RTCP port above it; sends `toneHz` (or nothing) once the call is up
   * (see talkWith) or Asterisk talks, whichever comes first.
   */
  static async open(toneHz?: number): Promise<RtpPeer> {
    const { port, rtp, rtcp } = await bindRtpPair();
    const peer = new RtpPeer(port, rtp, rtcp, toneHz);
    OPEN.set(port, peer);
    return peer;
  }

  /** The open peer on this port: the SIPp phone whose SDP advertises it links itself to it. */
  static on(port: number | undefined): RtpPeer | undefined {
    return port === undefined ? undefined : OPEN.get(port);
  }

  /**
   * Sends to where the phone's call wants media (the far end's SDP) as soon as the call is up, as a
   * real phone does. Waiting to hear Asterisk first is not enough: in a bridge Asterisk only relays
   * what the other party sends, so two peers that both wait (an agent answering before any music
   * reached the caller) would stay silent for good. RTP from Asterisk still moves the target
   * (symmetric RTP, a later call on the same phone).
   */
  talkWith(phone: { farMedia(): { address: string; port: number } | undefined }): void {
    let applied: { address: string; port: number } | undefined;
    this.sdpWatch = setInterval(() => {
      const media = phone.farMedia();
      if (!media || (applied && media.address === applied.address && media.port === applied.port)) return;
      applied = media;
      this.remote = media;
      this.startSending();
    }, 20);
    this.sdpWatch.unref(); // a forgotten peer must not keep the test runner alive
  }
  private sdpWatch?: NodeJS.Timeout;

  private startSending(): void {
    if (!this.toneHz || this.timer) return;
    this.timer = setInterval(() => {
      const frame = Buffer.alloc(172);
      frame[0] = 0x80; frame[1] = 0;
      frame.writeUInt16BE(this.seq++ & 0xffff, 2);
      frame.writeUInt32BE((this.sent * 160) >>> 0, 4);
      frame.writeUInt32BE(this.ssrc, 8);
      for (let i = 0; i < 160; i++) {
        const n = this.sent * 160 + i;
        frame[12 + i] = linearToUlaw(Math.round(6000 * Math.sin((2 * Math.PI * this.toneHz! * n) / 8000)));
      }
      this.sent++;
      this.rtp.send(frame, this.remote!.port, this.remote!.address);
    }, 20);
  }

  /** Share (0..1) of the audio heard in the last `ms` that is the given tone. */
  hears(hz: number, ms = 1000): number {
    const since = Date.now() - ms;
    const samples = this.received.filter((p) => p.at >= since).flatMap((p) => p.samples);
    return toneShare(samples, hz);
  }

  /**
   * Share (0..1) of the given tone in the next `ms` of audio to arrive: a window counted in received
   * media, not wall time, so a slow machine cannot shrink it. For "must not hear" checks, started once
   * an event or a positive check has shown the state to hold.
   */
  async hearsNext(hz: number, ms = 1000, timeoutMs = ms + 10_000): Promise<number> {
    const from = this.received.length;
    const deadline = Date.now() + timeoutMs;
    const samples = () => this.received.slice(from).reduce((n, p) => n + p.samples.length, 0);
    while (samples() < ms * 8) {
      if (Date.now() > deadline) throw new Error(`only ${Math.round(samples() / 8)} ms of audio arrived within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return toneShare(this.received.slice(from).flatMap((p) => p.samples), hz);
  }

  /** What a failed check should say about this peer's media: what arrived, from where, what it sent. */
  describe(): string {
    const last = this.received[this.received.length - 1];
    return `received ${this.received.length} packets${this.remote ? ` from ${this.remote.address}:${this.remote.port}` : ''}`
      + `${last ? `, the last ${Date.now() - last.at} ms ago` : ''}, sent ${this.sent}`;
  }

  /** Mean absolute amplitude heard in the last `ms` (0 = silence). */
  level(ms = 1000): number {
    const since = Date.now() - ms;
    const samples = this.received.filter((p) => p.at >= since).flatMap((p) => p.samples);
    return samples.length ? samples.reduce((a, x) => a + Math.abs(x), 0) / samples.length : 0;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.sdpWatch) clearInterval(this.sdpWatch);
    OPEN.delete(this.port);
    this.rtp.close();
    this.rtcp.close();
  }
}

/**
 * A free even port for RTP and the one above it for RTCP: a real phone listens on both, and Asterisk
 * hangs up a call whose RTCP draws ICMP port-unreachable during a dialplan Answer().
 */
export async function bindRtpPair(): Promise<{ port: number; rtp: dgram.Socket; rtcp: dgram.Socket }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // both handed out together: an odd port rounded down could be one just given to a sipp not yet bound
    const port = allocatePortPair();
    const rtp = dgram.createSocket('udp4');
    const rtcp = dgram.createSocket('udp4');
    try {
      await bind(rtp, port);
      await bind(rtcp, port + 1);
      return { port, rtp, rtcp };
    } catch { rtp.close(); rtcp.close(); }
  }
  throw new Error('no free RTP/RTCP port pair');
}

function bind(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
  });
}
