import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { dayOf, dayStart, dayTable } from '../../src/metrics/day';
import { MetricsService } from '../../src/metrics/metricsService';
import type { Registry } from '../../src/registry/registry';
import type { StateStore } from '../../src/state/store';

const at = (iso: string) => Date.parse(iso);

describe('metrics: "today" in the configured time zone', () => {
  it('given Paris in winter (UTC+1), the day turns at 23:00 UTC, not at UTC midnight', () => {
    assert.equal(dayOf(at('2026-01-15T22:59:59.999Z'), 'Europe/Paris'), '2026-01-15');
    assert.equal(dayOf(at('2026-01-15T23:00:00.000Z'), 'Europe/Paris'), '2026-01-16');
    assert.equal(dayStart('2026-01-16', 'Europe/Paris'), at('2026-01-15T23:00:00Z'));
    assert.equal(dayOf(at('2026-01-15T23:00:00.000Z'), 'UTC'), '2026-01-15', 'the same instant is still the 15th in UTC');
  });

  it('given a zone east of UTC by a half hour, today began the evening before in UTC', () => {
    assert.equal(dayStart('2026-06-01', 'Asia/Kolkata'), at('2026-05-31T18:30:00Z'));
  });

  it('given the spring DST change in New York, that day lasts 23 hours', () => {
    const start = dayStart('2026-03-08', 'America/New_York');
    const next = dayStart('2026-03-09', 'America/New_York');
    assert.deepEqual([start, next], [at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z')]);
    assert.equal(next - start, 23 * 3600_000);
  });

  it('given a DST change that skips midnight (Santiago), the day starts at 01:00 local', () => {
    assert.equal(dayStart('2026-09-06', 'America/Santiago'), at('2026-09-06T04:00:00Z'));
    assert.equal(dayOf(at('2026-09-06T03:59:59.999Z'), 'America/Santiago'), '2026-09-05');
  });

  it('the table handed to metrics_apply holds each day\'s start and ends with the end of the last day', () => {
    const t = dayTable(at('2026-01-16T10:00:00Z'), 'Europe/Paris', 2, 1);
    assert.deepEqual(t, [
      [at('2026-01-13T23:00:00Z'), '2026-01-14'], [at('2026-01-14T23:00:00Z'), '2026-01-15'],
      [at('2026-01-15T23:00:00Z'), '2026-01-16'], [at('2026-01-16T23:00:00Z'), '2026-01-17'],
      [at('2026-01-17T23:00:00Z'), ''],
    ]);
  });

  it('given the metrics run in Tokyo, their today changes at 15:00 UTC', () => {
    let now = at('2026-04-01T14:59:59.000Z');
    const m = new MetricsService({} as StateStore, {} as Registry, 'Asia/Tokyo', createLogger('error', 'json'), () => now);
    const before = m.dayTable();
    assert.equal(before[before.length - 3][1], '2026-04-01', 'today is the last day before tomorrow and the end mark');
    now += 1000;
    const after = m.dayTable();
    assert.equal(after[after.length - 3][1], '2026-04-02');
    assert.equal(after[after.length - 3][0], now, 'and it began this very second');
  });

  it('ACD_TIMEZONE takes an IANA name, defaults to UTC, and an unknown one stops the start with its name', () => {
    const repoRoot = path.resolve(__dirname, '../../..');
    const base = { ACD_CONFIG: path.join(repoRoot, 'config/sample.yaml') };
    assert.equal(loadConfig(base, repoRoot).timeZone, 'UTC');
    assert.equal(loadConfig({ ...base, ACD_TIMEZONE: 'America/New_York' }, repoRoot).timeZone, 'America/New_York');
    assert.throws(() => loadConfig({ ...base, ACD_TIMEZONE: 'Mars/Olympus' }, repoRoot),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.path === 'ACD_TIMEZONE' && /IANA/.test(p.message)));
  });
});
