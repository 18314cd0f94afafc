import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';

const repoRoot = path.resolve(__dirname, '../../..');
const OWN = { ARI_URL: 'http://asterisk:8088', ARI_PASSWORD: 'Kq7-operators-own-ari', ACD_ADMIN_TOKEN: 'rT4uYc0-operators-own-admin-token' };

function problemPaths(env: NodeJS.ProcessEnv): string[] {
  try { loadConfig(env, repoRoot); } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /production mode/);
    return err.problems.map((p) => p.path);
  }
  assert.fail('expected production mode to refuse the configuration');
}

function tempConfig(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acd-prod-')), 'acd.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('production mode: no sample secret reaches production', () => {
  it('given docker\'s example config and no secrets, refuses to start naming the ARI password, the admin token and each sample phone password', () => {
    const paths = problemPaths({ NODE_ENV: 'production', ACD_CONFIG: path.join(repoRoot, 'docker/acd.example.yaml'), ARI_URL: OWN.ARI_URL, ARI_PASSWORD: '' });
    assert.deepEqual(paths, ['ARI_PASSWORD', 'ACD_ADMIN_TOKEN', 'agents.0.phone.password', 'agents.1.phone.password']);
  });

  it('given the repository\'s sample secrets (local ARI password, sample tokens, phone and sign-in passwords), refuses each of them', () => {
    const paths = problemPaths({ NODE_ENV: 'production', ACD_CONFIG: path.join(repoRoot, 'config/sample.yaml'), ARI_URL: OWN.ARI_URL, ARI_PASSWORD: 'acd-local', ACD_ADMIN_TOKEN: 'supervisor-sample-token-0001' });
    assert.deepEqual(paths, ['ARI_PASSWORD', 'ACD_ADMIN_TOKEN', 'agents.0.phone.password', 'agents.1.phone.password',
      'users.0.password', 'users.1.token', 'users.1.password', 'users.2.token', 'users.2.password', 'users.3.password']);
  });

  it('given no ARI_URL, refuses the embedded default (which would generate and print an admin token)', () => {
    assert.ok(problemPaths({ NODE_ENV: 'production', ACD_CONFIG: path.join(repoRoot, 'docker/acd.example.yaml') }).includes('ARI_URL'));
  });

  it('given operator-given secrets everywhere, starts, and the problems never echo a secret', () => {
    const file = tempConfig(`
queues: [{ id: sales, name: Sales, extension: "8001" }]
agents: [{ id: agent1001, name: Alice, queues: [sales], phone: { mode: register, password: "v9Lm2-alice-desk" } }]
users: [{ id: sam, role: supervisor, tokenSha256: "${'a'.repeat(64)}" }]
`);
    const c = loadConfig({ NODE_ENV: 'production', ACD_CONFIG: file, ...OWN }, repoRoot);
    assert.equal(c.production, true);
    try {
      loadConfig({ NODE_ENV: 'production', ACD_CONFIG: path.join(repoRoot, 'config/sample.yaml'), ...OWN }, repoRoot);
      assert.fail('sample phone passwords must be refused');
    } catch (err) {
      const text = JSON.stringify((err as ConfigError).problems);
      assert.ok(!/alice-sample-secret|bruno-sample-secret|sample-token|sample-pass/.test(text), text);
    }
  });

  it('given development (no NODE_ENV), the sample config still starts: the embedded default is for trying it out', () => {
    const c = loadConfig({ ACD_CONFIG: path.join(repoRoot, 'config/sample.yaml') }, repoRoot);
    assert.equal(c.production, false);
    assert.equal(c.embedded.ariPassword, undefined, 'no constant ARI password: the local environment generates its own');
  });

  describe('docker/asterisk/entrypoint.sh --check', () => {
    const check = (env: Record<string, string>) => spawnSync('bash', [path.join(repoRoot, 'docker/asterisk/entrypoint.sh'), '--check'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

    it('given no ARI_PASSWORD, a sample one or a short one, refuses to start and says why', () => {
      for (const [env, why] of [[{}, /not set/], [{ ARI_PASSWORD: 'acd-local' }, /sample/], [{ ARI_PASSWORD: 'acd-test' }, /sample/],
        [{ ARI_PASSWORD: 'my-sample-password' }, /sample/], [{ ARI_PASSWORD: 'short1' }, /too short/], [{ ARI_PASSWORD: 'has;semicolon-x' }, /';'/]] as const) {
        const r = check(env as Record<string, string>);
        assert.equal(r.status, 1, JSON.stringify(env));
        assert.match(r.stderr, why, JSON.stringify(env));
      }
    });

    it('given an operator-given password, passes the check', () => {
      const r = check({ ARI_PASSWORD: OWN.ARI_PASSWORD });
      assert.equal(r.status, 0, r.stderr);
    });
  });

  describe('logs', () => {
    const capture = (redact: boolean) => {
      let out = '';
      const log = createLogger('debug', 'json', { redact });
      log.clear();
      log.add(new winston.transports.Stream({ stream: new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }) }));
      log.info('phone provisioned', { agentId: 'a1', password: 'p-4711-secret', request: { headers: { authorization: 'Bearer tok-0815' } }, token: 'tok-0816' });
      return () => out;
    };

    it('given production mode, secret-looking fields are redacted; the rest of the entry is kept', () => {
      const out = capture(true)();
      for (const secret of ['p-4711-secret', 'tok-0815', 'tok-0816']) assert.ok(!out.includes(secret), out);
      assert.match(out, /"agentId":"a1"/);
      assert.match(out, /\[redacted\]/);
    });

    it('given development, the fields are written as they are (for debugging)', () => {
      assert.match(capture(false)(), /p-4711-secret/);
    });
  });
});
