import assert from 'node:assert/strict';
import { canonicalWav, parseWav } from '../../src/clips/wav';
import { AcdError } from '../../src/errors';

/** A WAV with the given format, optionally with an extra chunk before the data. */
function wav(o: { tag?: number; channels?: number; rate?: number; bits?: number; samples?: number; extra?: boolean } = {}): Buffer {
  const { tag = 1, channels = 1, rate = 8000, bits = 16, samples = 800, extra = false } = o;
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1'); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(tag, 8); fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12); fmt.writeUInt32LE(rate * channels * bits / 8, 16); fmt.writeUInt16LE(channels * bits / 8, 20); fmt.writeUInt16LE(bits, 22);
  const list = extra ? Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0', 'latin1')]) : Buffer.alloc(0);
  const data = Buffer.alloc(8 + samples * 2);
  data.write('data', 0, 'latin1'); data.writeUInt32LE(samples * 2, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, list, data]);
  const riff = Buffer.alloc(8); riff.write('RIFF', 0, 'latin1'); riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

const code = (fn: () => unknown) => { try { fn(); } catch (e) { assert.ok(e instanceof AcdError); return e.code; } return 'accepted'; };

describe('clip audio (WAV) validation', () => {
  it('accepts 16-bit PCM mono at 8 and 16 kHz, with its duration', () => {
    assert.deepEqual([parseWav(wav()).sampleRate, parseWav(wav()).durationMs], [8000, 100]);
    assert.equal(parseWav(wav({ rate: 16000, samples: 1600 })).durationMs, 100);
  });

  it('skips chunks it does not need (a word-aligned LIST before the data)', () => {
    assert.equal(parseWav(wav({ extra: true })).samples.length, 1600);
  });

  it('refuses what is not a WAV, and a WAV in another format, each with its own code', () => {
    assert.equal(code(() => parseWav(Buffer.from('hello, not audio at all'))), 'INVALID_AUDIO');
    assert.equal(code(() => parseWav(wav({ samples: 0 }))), 'INVALID_AUDIO');
    assert.equal(code(() => parseWav(wav({ channels: 2 }))), 'UNSUPPORTED_AUDIO_FORMAT');
    assert.equal(code(() => parseWav(wav({ rate: 44100 }))), 'UNSUPPORTED_AUDIO_FORMAT');
    assert.equal(code(() => parseWav(wav({ tag: 7, bits: 8 }))), 'UNSUPPORTED_AUDIO_FORMAT');
  });

  it('stores a plain 44-byte header and the samples, whatever the upload carried', () => {
    const stored = canonicalWav(parseWav(wav({ extra: true })));
    assert.equal(stored.length, 44 + 1600);
    assert.equal(parseWav(stored).samples.length, 1600);
  });
});
