/**
 * Splits the test files of a full `npm test` run into shards of about equal wall time, each run by
 * its own mocha process against its own Asterisk, Redis and PostgreSQL (scripts/test.sh). The e2e
 * suites mostly wait on real timers (ring timeouts, wrap-up, announcements), so shards side by side
 * finish in about the time of the longest one.
 *
 * Durations come from a table committed in the repository (test/durations.tsv: seconds, tab, file);
 * a file not in it (a new suite) is estimated at the median of its folder and, like every file, goes
 * to the shard with the least time so far. Longest first (LPT): within 4/3 of the best split.
 *
 *   node dist/test/support/shardPlan.js <shards> <durations.tsv> <file>...
 * prints one line per shard: its number, its estimated seconds, its files (space separated).
 */
import fs from 'node:fs';

export interface Shard { files: string[]; seconds: number }

/** The repository path of a test file, whichever form it is named in (dist/…/x.test.js or test/…/x.test.ts). */
export function sourcePath(file: string): string {
  return file.replace(/^(.*\/)?dist\//, '').replace(/^\.\//, '').replace(/\.js$/, '.ts');
}

/** The durations table: `seconds<TAB>file` lines, `#` comments and blank lines ignored. */
export function parseDurations(text: string): Map<string, number> {
  const table = new Map<string, number>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [sec, file] = t.split(/\s+/);
    const seconds = Number(sec);
    if (!file || !Number.isFinite(seconds) || seconds < 0) throw new Error(`durations table: bad line "${line}" (seconds<TAB>file)`);
    table.set(sourcePath(file), seconds);
  }
  return table;
}

const folderOf = (file: string) => sourcePath(file).split('/').slice(0, 2).join('/');
/** Run order inside a shard: unit, then integration, then e2e, each by path (as a one-process run orders them). */
const KIND_ORDER = ['test/unit', 'test/integration', 'test/e2e'];
const kindRank = (file: string) => { const i = KIND_ORDER.indexOf(folderOf(file)); return i < 0 ? KIND_ORDER.length : i; };

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Every file in exactly one of `count` shards, balanced by the table's (or the estimated) seconds. */
export function planShards(files: string[], durations: Map<string, number>, count: number): Shard[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, not ${count}`);
  const unique = [...new Set(files)];
  const known = (f: string) => durations.get(sourcePath(f));
  const estimate = new Map<string, number>();
  for (const f of unique) {
    const k = known(f);
    if (k !== undefined) { estimate.set(f, k); continue; }
    const sameFolder = unique.map(known).filter((s, i): s is number => s !== undefined && folderOf(unique[i]) === folderOf(f));
    estimate.set(f, median(sameFolder) ?? 30);
  }
  // longest first; a file of unknown length after the known ones of its size (ties by path, stable)
  const order = [...unique].sort((a, b) => estimate.get(b)! - estimate.get(a)!
    || Number(known(a) === undefined) - Number(known(b) === undefined) || sourcePath(a).localeCompare(sourcePath(b)));
  const shards: Shard[] = Array.from({ length: count }, () => ({ files: [], seconds: 0 }));
  for (const f of order) {
    const lightest = shards.reduce((best, s) => (s.seconds < best.seconds ? s : best));
    lightest.files.push(f);
    lightest.seconds += estimate.get(f)!;
  }
  for (const s of shards) s.files.sort((a, b) => kindRank(a) - kindRank(b) || sourcePath(a).localeCompare(sourcePath(b)));
  return shards;
}

if (require.main === module) {
  const [count, table, ...files] = process.argv.slice(2);
  if (!count || !table) {
    process.stderr.write('usage: shardPlan.js <shards> <durations.tsv> <file>...\n');
    process.exit(2);
  }
  const shards = planShards(files, parseDurations(fs.readFileSync(table, 'utf8')), Number(count));
  shards.forEach((s, i) => process.stdout.write(`${i + 1}\t${Math.round(s.seconds)}\t${s.files.join(' ')}\n`));
}
