// Generated media for sipp's pcap player: a caller's DTMF and "voice".

// RFC 4733 events in a pcap for sipp's play_pcap_audio. PCMU silence runs from the ACK until the
// last digit ends (a phone sends audio around its DTMF, and it lets Asterisk latch our source);
// it pauses while an event is being sent. sipp only uses the UDP part and rewrites both ports.
/** G.711 μ-law encoding of one linear sample. */
function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let mag = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (mag & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (mag >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 20 ms of a 440 Hz tone starting at `ms`: a stand-in for a caller's voice. */
function voiceFrame(ms: number): Buffer {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) b[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (ms * 8 + i)) / 8000)));
  return b;
}

export function dtmfPcap(events: { afterMs: number; digits: string }[], speech: { afterMs: number; ms: number }[] = []): Buffer {
  const TONE_MS = 100;
  const GAP_MS = 100;
  const codes = '0123456789*#ABCD';
  type Pkt = { t: number; pt: number; marker: boolean; ts: number; payload: Buffer };
  const pkts: Pkt[] = [];
  let busyUntil = 0;
  for (const e of [...events].sort((a, b) => a.afterMs - b.afterMs)) {
    let t = Math.max(e.afterMs, busyUntil);
    for (const digit of e.digits.toUpperCase()) {
      const code = codes.indexOf(digit);
      if (code < 0) throw new Error(`DTMF digit ${JSON.stringify(digit)} is not one of ${codes}`);
      const ts = t * 8;
      const ev = (duration: number, end: boolean) => Buffer.from([code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
      for (let d = 20; d <= TONE_MS; d += 20) pkts.push({ t: t + d - 20, pt: 101, marker: d === 20, ts, payload: ev(d * 8, false) });
      for (let i = 0; i < 3; i++) pkts.push({ t: t + TONE_MS, pt: 101, marker: false, ts, payload: ev(TONE_MS * 8, true) });
      t += TONE_MS + GAP_MS;
    }
    busyUntil = t;
  }
  // after speaking, a phone keeps sending (silent) frames: silence detection needs frames to count
  for (const sp of speech) busyUntil = Math.max(busyUntil, sp.afterMs + sp.ms + 3000);
  const eventTimes = pkts.map((p) => p.t);
  const inEvent = (t: number) => eventTimes.some((et) => t >= et && t <= et + 20);
  const speaking = (t: number) => speech.some((sp) => t >= sp.afterMs && t < sp.afterMs + sp.ms);
  for (let t = 0; t < busyUntil; t += 20) {
    if (!inEvent(t)) pkts.push({ t, pt: 0, marker: t === 0, ts: t * 8, payload: speaking(t) ? voiceFrame(t) : Buffer.alloc(160, 0xff) });
  }
  pkts.sort((a, b) => a.t - b.t || a.pt - b.pt);

  const ssrc = (Math.random() * 0xffffffff) >>> 0;
  const globalHeader = Buffer.alloc(24);
  globalHeader.writeUInt32LE(0xa1b2c3d4, 0);
  globalHeader.writeUInt16LE(2, 4);
  globalHeader.writeUInt16LE(4, 6);
  globalHeader.writeUInt32LE(65535, 16);
  globalHeader.writeUInt32LE(1, 20); // Ethernet
  const records = pkts.map((p, i) => {
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = (p.marker ? 0x80 : 0) | p.pt;
    rtp.writeUInt16BE((1000 + i) & 0xffff, 2);
    rtp.writeUInt32BE((1600 + p.ts) >>> 0, 4);
    rtp.writeUInt32BE(ssrc, 8);
    const udpLen = 8 + 12 + p.payload.length;
    const frame = Buffer.alloc(14 + 20 + udpLen);
    frame.writeUInt16BE(0x0800, 12); // IPv4
    frame[14] = 0x45; // version 4, 5-word header
    frame.writeUInt16BE(20 + udpLen, 16);
    frame[22] = 64; // TTL
    frame[23] = 17; // UDP
    frame.writeUInt32BE(0x7f000001, 26);
    frame.writeUInt32BE(0x7f000001, 30);
    frame.writeUInt16BE(6000, 34);
    frame.writeUInt16BE(6000, 36);
    frame.writeUInt16BE(udpLen, 38);
    rtp.copy(frame, 42);
    p.payload.copy(frame, 54);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.t / 1000), 0);
    rec.writeUInt32LE((p.t % 1000) * 1000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  return Buffer.concat([globalHeader, ...records]);
}
