import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadFileConfig } from '../../src/config';

function writeTemp(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acd-config-')), name);
  fs.writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try { fn(); } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return [err.message, ...err.problems.map((p) => `${p.path}: ${p.message}`)];
  }
  assert.fail('expected the config to be refused');
}

describe('config', () => {
  const repoRoot = path.resolve(__dirname, '../../..');

  it('given the sample file, loads queues, agents and users with defaults filled in', () => {
    const c = loadConfig({ ACD_CONFIG: path.join(repoRoot, 'config/sample.yaml') }, repoRoot);
    assert.deepEqual(c.file.queues.map((q) => q.extension), ['8001', '8002']);
    assert.equal(c.file.queues[1].strategy, 'longest-idle');
    assert.equal(c.http.port, 8080);
    assert.equal(c.ari, undefined, 'no ARI_URL means the embedded default');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.file.queues[0]), 'config is frozen');
  });

  it('given an agent assigned to a queue that does not exist, names the problem and its path', () => {
    const file = writeTemp('bad.yaml', `
queues: [{ id: sales, name: Sales, extension: "8001" }]
agents: [{ id: a1, name: A, queues: [sales, nope], phone: { mode: static, contact: "sip:a1@127.0.0.1:5090" } }]
`);
    const problems = problemsOf(() => loadFileConfig(file));
    assert.ok(problems.some((p) => p.includes('agents.0.queues') && p.includes('unknown queue nope')), problems.join('\n'));
  });

  it('given a ring timeout under 5 s, refuses it with the path', () => {
    const file = writeTemp('ring.yaml', `
queues:
  - { id: a, name: A, extension: "8001", ringTimeoutSec: 1 }
`);
    const problems = problemsOf(() => loadFileConfig(file));
    assert.ok(problems.some((p) => p.includes('queues.0.ringTimeoutSec')), problems.join('\n'));
  });

  it('given two queues sharing an extension, refuses them', () => {
    const file = writeTemp('dup2.yaml', `
queues:
  - { id: a, name: A, extension: "8001" }
  - { id: b, name: B, extension: "8001" }
`);
    assert.ok(problemsOf(() => loadFileConfig(file)).some((p) => p.includes('extension 8001 is used by two queues')));
  });

  it('given YAML that does not parse, says so with the file name', () => {
    const file = writeTemp('broken.yaml', 'queues: [ {');
    assert.match(problemsOf(() => loadFileConfig(file))[0], /broken\.yaml is not valid YAML/);
  });

  it('given ARI_URL without ARI_PASSWORD, or a port out of range, refuses the environment', () => {
    const cfg = path.join(repoRoot, 'config/sample.yaml');
    assert.match(problemsOf(() => loadConfig({ ACD_CONFIG: cfg, ARI_URL: 'http://127.0.0.1:8088' }, repoRoot))[0], /ARI_PASSWORD/);
    assert.ok(problemsOf(() => loadConfig({ ACD_CONFIG: cfg, ACD_HTTP_PORT: '70000' }, repoRoot)).some((p) => p.startsWith('ACD_HTTP_PORT')));
  });
});
