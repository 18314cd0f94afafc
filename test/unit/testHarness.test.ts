import assert from 'node:assert/strict';
import { peerPorts } from '../e2e/harness/ports';
import { toneShare, toneShareInFrames } from '../e2e/harness/rtpPeer';
import { parseDurations, planShards, sourcePath } from '../support/shardPlan';

describe('test run sharding (scripts/test.sh splits a full run by recorded durations)', () => {
  const table = parseDurations([
    '# seconds\tfile',
    '170\ttest/e2e/callbacks.test.js',
    '100\ttest/e2e/announcements.test.ts',
    '70\ttest/e2e/history.test.ts',
    '60\ttest/e2e/campaigns.test.ts',
    '40\ttest/e2e/routing.test.ts',
    '2\ttest/unit/a.test.ts',
    '4\ttest/unit/b.test.ts',
    '',
  ].join('\n'));
  const dist = (f: string) => `dist/${f.replace(/\.ts$/, '.js')}`;

  it('given a table naming sources or compiled files, either form finds the same entry', () => {
    assert.equal(sourcePath('dist/test/e2e/callbacks.test.js'), 'test/e2e/callbacks.test.ts');
    assert.equal(sourcePath('/tmp/ci-x/dist/test/e2e/callbacks.test.js'), 'test/e2e/callbacks.test.ts');
    assert.equal(table.get('test/e2e/callbacks.test.ts'), 170);
    assert.throws(() => parseDurations('abc\ttest/e2e/x.test.ts'), /bad line/);
  });

  it('given files with known durations, each lands in exactly one shard, longest first onto the lighter shard', () => {
    const files = [...table.keys()].map(dist);
    const shards = planShards(files, table, 2);
    assert.deepEqual(shards.flatMap((s) => s.files).sort(), [...files].sort(), 'every file once');
    // LPT: 170 | 100, 70 → 170 | 170, 60 → 230 | 170, 40 → 230 | 210, 4 → 230 | 214, 2 → 230 | 216
    assert.deepEqual(shards.map((s) => s.seconds), [230, 216]);
    assert.deepEqual(shards[0].files, [dist('test/e2e/callbacks.test.ts'), dist('test/e2e/campaigns.test.ts')]);
    assert.deepEqual(shards[1].files, ['test/unit/a.test.ts', 'test/unit/b.test.ts', 'test/e2e/announcements.test.ts',
      'test/e2e/history.test.ts', 'test/e2e/routing.test.ts'].map(dist), 'unit first, then e2e, each by path');
  });

  it('given a new suite missing from the table, it is estimated at its folder\'s median and goes to the lighter shard', () => {
    const files = [...table.keys(), 'test/e2e/brandNew.test.ts'].map(dist);
    const shards = planShards(files, table, 2);
    const withNew = shards.find((s) => s.files.includes(dist('test/e2e/brandNew.test.ts')))!;
    assert.equal(shards.flatMap((s) => s.files).length, files.length);
    // the median of the e2e folder (170, 100, 70, 60, 40) is 70
    assert.equal(withNew.seconds - withNew.files.filter((f) => f !== dist('test/e2e/brandNew.test.ts')).reduce((n, f) => n + table.get(sourcePath(f))!, 0), 70);
    // after the known 70 (history: 100+70 = 170, level with callbacks' 170) it goes to the first of the two
    assert.deepEqual(shards.map((s) => s.seconds), [246, 270]);
    assert.ok(withNew === shards[0]);
  });

  it('given one shard, it holds every file; given a bad count, it refuses', () => {
    assert.equal(planShards(['dist/test/unit/x.test.js'], table, 1)[0].files.length, 1);
    assert.throws(() => planShards([], table, 0), /positive integer/);
  });
});

describe('test ports: never inside an Asterisk RTP range of the run, disjoint between shards', () => {
  it('given the default environment, the RTP range 30000-31000 of scripts/test.sh and 31000-32000 of the second Asterisk are left out', () => {
    const ports = peerPorts({});
    assert.equal(ports[0], 21000);
    assert.ok(!ports.some((p) => p >= 30000 && p <= 32000));
    assert.ok(ports.includes(29999));
  });

  it('given another RTP start, that range is left out instead', () => {
    const ports = peerPorts({ ACD_TEST_RTP_START: '25000' });
    assert.ok(!ports.some((p) => p >= 25000 && p <= 27000));
    assert.ok(ports.includes(24999) && ports.includes(27001) && ports.includes(30000));
  });

  it('given two shards, every shard\'s RTP range is left out of both, and their slices do not overlap', () => {
    const env = { ACD_TEST_RTP_RANGES: '30000-31000,31000-32000' };
    const one = peerPorts({ ...env, ACD_TEST_PORT_SLICE: '1/2' });
    const two = peerPorts({ ...env, ACD_TEST_PORT_SLICE: '2/2' });
    for (const ports of [one, two]) assert.ok(!ports.some((p) => p >= 30000), 'no RTP port of either Asterisk');
    assert.ok(one.length > 4000 && two.length > 4000);
    assert.ok(one[one.length - 1] < two[0], 'disjoint slices');
    assert.throws(() => peerPorts({ ACD_TEST_PORT_SLICE: '3/2' }), /k\/n/);
  });
});

describe('tone shares of a recording: measured a frame at a time', () => {
  /** Tones (440 and 660 Hz), 2 s at 8 kHz, whose phases jump every 400 ms (a late packet, a mix changing). */
  const jumpy = (hzs: number[]) => Array.from({ length: 16000 }, (_, i) => {
    const jump = Math.floor(i / 3200);
    return hzs.reduce((sum, hz, n) => sum + 3000 * Math.sin((2 * Math.PI * hz * i) / 8000 + jump * (1.7 + n)), 0);
  });

  it('given both parties with phase jumps, each measures about half in frames, where one Goertzel over the whole span sees little of either', () => {
    const both = jumpy([440, 660]);
    for (const hz of [440, 660]) {
      const framed = toneShareInFrames(both, hz);
      assert.ok(framed > 0.45 && framed < 0.55, `${hz} Hz in frames: ${framed}`);
      assert.ok(toneShare(both, hz) < 0.1, `${hz} Hz over the whole span: ${toneShare(both, hz)}`);
    }
  });

  it('given one party missing, its tone measures near zero in frames', () => {
    assert.ok(toneShareInFrames(jumpy([440]), 660) < 0.02);
    assert.ok(toneShareInFrames(jumpy([440]), 440) > 0.9);
  });
});
