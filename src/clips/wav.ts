import { AcdError } from '../errors';

/** What Asterisk's format_wav plays: 16-bit PCM, mono, 8 kHz (".wav") or 16 kHz (".wav16"). */
export const ACCEPTED = { encoding: 'pcm', bitsPerSample: 16, channels: 1, sampleRates: [8000, 16000] } as const;

export interface WavAudio { sampleRate: 8000 | 16000; samples: Buffer; durationMs: number }

const invalid = (message: string) => new AcdError(422, 'INVALID_AUDIO', message);

/** Names of the common WAVE format tags, for an error a person can act on. */
const ENCODINGS: Record<number, string> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw', 0x11: 'ima-adpcm', 0x55: 'mp3', 0xfffe: 'extensible' };

/**
 * Validates an uploaded WAV and returns its samples. Anything that is not RIFF/WAVE with a fmt
 * and a data chunk is INVALID_AUDIO; a WAV in another format is UNSUPPORTED_AUDIO_FORMAT with
 * what was found, so the uploader knows what to convert.
 */
export function parseWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw invalid('the file is not a WAV (RIFF/WAVE) audio file');
  }
  let fmt: { tag: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw invalid('the WAV fmt chunk is truncated');
      fmt = { tag: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bitsPerSample: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw invalid('the WAV has no fmt chunk before its data');
      checkFormat(fmt);
      // a streaming writer may leave the size unset (0 or 0xFFFFFFFF): take what is there, whole samples only
      const end = Math.min(body + size, buf.length);
      const samples = buf.subarray(body, body + ((end - body) & ~1));
      if (samples.length === 0) throw invalid('the WAV holds no audio samples');
      return { sampleRate: fmt.sampleRate as 8000 | 16000, samples, durationMs: Math.round((samples.length / 2 / fmt.sampleRate) * 1000) };
    }
    at = body + size + (size & 1);   // chunks are word-aligned
  }
  throw invalid(fmt ? 'the WAV has no data chunk' : 'the WAV has no fmt chunk');
}

function checkFormat(f: { tag: number; channels: number; sampleRate: number; bitsPerSample: number }): void {
  const ok = f.tag === 1 && f.bitsPerSample === 16 && f.channels === 1 && (ACCEPTED.sampleRates as readonly number[]).includes(f.sampleRate);
  if (ok) return;
  const found = { encoding: ENCODINGS[f.tag] ?? `format tag ${f.tag}`, bitsPerSample: f.bitsPerSample, channels: f.channels, sampleRate: f.sampleRate };
  throw new AcdError(422, 'UNSUPPORTED_AUDIO_FORMAT',
    `unsupported WAV format (${found.encoding}, ${found.bitsPerSample}-bit, ${found.channels} channel(s), ${found.sampleRate} Hz): `
    + 'upload 16-bit PCM, mono, 8000 or 16000 Hz', { found, accepted: ACCEPTED });
}

/**
 * The WAV as stored for Asterisk: a plain 44-byte header and the samples, nothing else. Extra
 * chunks (LIST, fact, ...) and odd sizes that some writers leave are dropped here, once.
 */
export function canonicalWav(a: WavAudio): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + a.samples.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);                   // PCM
  h.writeUInt16LE(1, 22);                   // mono
  h.writeUInt32LE(a.sampleRate, 24);
  h.writeUInt32LE(a.sampleRate * 2, 28);    // bytes per second
  h.writeUInt16LE(2, 32);                   // block align
  h.writeUInt16LE(16, 34);                  // bits per sample
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(a.samples.length, 40);
  return Buffer.concat([h, a.samples]);
}
