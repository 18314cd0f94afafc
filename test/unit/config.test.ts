import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadFileConfig } from '../../src/config';
import { DEFAULT_DESTINATION_POLICY } from '../../src/destinations/policy';
import { AgentSchema, FileConfigSchema, QueueSchema, SettingsSchema, describeIssues } from '../../src/config/schema';

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

  describe('routing fields', () => {
    const queue = (extra: object) => ({ id: 'q', name: 'Q', extension: '8001', ...extra });
    const pathsOf = (r: { success: boolean; error?: any }) => (r.success ? [] : describeIssues(r.error).map((i) => i.path));

    it('given a queue with only id, name and extension, fills the routing defaults', () => {
      const q = QueueSchema.parse(queue({}));
      assert.deepEqual([q.strategy, q.requiredSkills, q.skillRelaxation, q.tierWaitSec, q.priorityStepSec, q.weight, q.maxCallers, q.maxWaitSec,
        q.overflow, q.joinWhenEmpty, q.leaveWhenEmpty, q.waitingTone, q.announcements.positionOnEntry],
      ['longest-idle', {}, [], [], 60, 0, 0, 0, undefined, 'yes', 'no', 'music', false]);
    });

    it('accepts every strategy it names, ring-all and skills-based included, and refuses another', () => {
      for (const strategy of ['longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all', 'random', 'linear', 'skills-based']) {
        assert.ok(QueueSchema.safeParse(queue({ strategy })).success, strategy);
      }
      assert.deepEqual(pathsOf(QueueSchema.safeParse(queue({ strategy: 'loudest-first' }))), ['strategy']);
    });

    it('takes skill levels 1 to 5 only, for queues and agents alike', () => {
      assert.ok(QueueSchema.safeParse(queue({ requiredSkills: { french: 1, billing: 5 } })).success);
      for (const level of [0, 6, 2.5, '3']) {
        assert.deepEqual(pathsOf(QueueSchema.safeParse(queue({ requiredSkills: { french: level } }))), ['requiredSkills.french'], `queue level ${level}`);
        const agent = { id: 'a1', name: 'A', skills: { french: level }, phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5090' } };
        assert.deepEqual(pathsOf(AgentSchema.safeParse(agent)), ['skills.french'], `agent level ${level}`);
      }
      const r = QueueSchema.safeParse(queue({ requiredSkills: { french: 6 } }));
      assert.equal(r.success ? '' : r.error.issues[0].message, 'skill levels are 1 to 5');
      assert.deepEqual(pathsOf(QueueSchema.safeParse(queue({ requiredSkills: { 'bad name!': 3 } }))), ['requiredSkills.bad name!']);
    });

    it('wants relaxation steps in increasing afterSec', () => {
      assert.ok(QueueSchema.safeParse(queue({ skillRelaxation: [{ afterSec: 30, lowerBy: 1 }, { afterSec: 90, lowerBy: 2 }] })).success);
      for (const steps of [[{ afterSec: 90, lowerBy: 1 }, { afterSec: 30, lowerBy: 2 }], [{ afterSec: 30, lowerBy: 1 }, { afterSec: 30, lowerBy: 2 }]]) {
        const r = QueueSchema.safeParse(queue({ skillRelaxation: steps }));
        assert.deepEqual(pathsOf(r), ['skillRelaxation'], JSON.stringify(steps));
        assert.match(r.success ? '' : r.error.issues[0].message, /increasing afterSec/);
      }
      assert.deepEqual(pathsOf(QueueSchema.safeParse(queue({ skillRelaxation: [{ afterSec: 30, lowerBy: 6 }] }))), ['skillRelaxation.0.lowerBy']);
    });

    it('knows three overflow kinds, each with its own target', () => {
      for (const overflow of [{ kind: 'extension', extension: '*97' }, { kind: 'voicemail', mailbox: '100' }, { kind: 'queue', queueId: 'other' }]) {
        assert.ok(QueueSchema.safeParse(queue({ overflow })).success, JSON.stringify(overflow));
      }
      assert.equal(QueueSchema.safeParse(queue({ overflow: { kind: 'voicemail', extension: '100' } })).success, false, 'a voicemail overflow needs a mailbox');
      assert.equal(QueueSchema.safeParse(queue({ overflow: { kind: 'hangup' } })).success, false);
    });

    it('given a file whose queue overflows to an unknown queue or to itself, refuses it with the path', () => {
      const file = writeTemp('overflow.yaml', `
queues:
  - { id: a, name: A, extension: "8001", overflow: { kind: queue, queueId: nowhere } }
  - { id: b, name: B, extension: "8002", overflow: { kind: queue, queueId: b } }
  - { id: c, name: C, extension: "8003", overflow: { kind: queue, queueId: a } }
`);
      const problems = problemsOf(() => loadFileConfig(file));
      assert.ok(problems.some((p) => p.includes('queues.0.overflow.queueId') && p.includes('unknown queue nowhere')), problems.join('\n'));
      assert.ok(problems.some((p) => p.includes('queues.1.overflow.queueId') && p.includes('itself')), problems.join('\n'));
      assert.ok(!problems.some((p) => p.includes('queues.2')), 'an overflow to a queue of the file is fine');
    });

    it('takes agent penalties 0 to 9 per queue and the settings with defaults, refusing unknown settings', () => {
      const agent = (penalties: object) => ({ id: 'a1', name: 'A', queues: ['q'], penalties, phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5090' } });
      assert.ok(AgentSchema.safeParse(agent({ q: 9 })).success);
      assert.deepEqual(pathsOf(AgentSchema.safeParse(agent({ q: 10 }))), ['penalties.q']);
      assert.deepEqual(SettingsSchema.parse({}), { allowUnassignedQueueLogin: false, outboundPolicy: DEFAULT_DESTINATION_POLICY });
      assert.deepEqual(pathsOf(SettingsSchema.safeParse({ allowUnassignedQueueLogin: true, other: 1 })), ['(root)']);
      assert.deepEqual(FileConfigSchema.parse({}).settings, { allowUnassignedQueueLogin: false, outboundPolicy: DEFAULT_DESTINATION_POLICY });
      assert.equal(FileConfigSchema.parse({ settings: { allowUnassignedQueueLogin: true } }).settings.allowUnassignedQueueLogin, true);
    });
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
