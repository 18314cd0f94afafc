/**
 * mocha's spec output, plus each test file's wall time (its hooks included) written at the end as
 * `seconds<TAB>file` lines: the format of test/durations.tsv, which balances the shards of a full
 * run (test/support/shardPlan.ts). scripts/test.sh uses it for every shard of a full run and merges
 * the files into test-output/durations.tsv; copy that over test/durations.tsv when suites have
 * grown or been added. ACD_TEST_DURATIONS_OUT names the output file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import { sourcePath } from './shardPlan';

class DurationsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const files = new Map<string, { start: number; end: number }>();
    runner.on('suite', (s) => { if (s.file && !files.has(s.file)) files.set(s.file, { start: Date.now(), end: Date.now() }); });
    runner.on('suite end', (s) => { const t = s.file ? files.get(s.file) : undefined; if (t) t.end = Date.now(); });
    runner.once('end', () => {
      const out = process.env.ACD_TEST_DURATIONS_OUT;
      if (!out) return;
      const rows = [...files].map(([file, t]) => `${((t.end - t.start) / 1000).toFixed(1)}\t${sourcePath(path.relative(process.cwd(), file))}`);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${rows.join('\n')}\n`);
    });
  }
}

export = DurationsReporter;
