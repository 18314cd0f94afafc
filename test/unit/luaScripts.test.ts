import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CAMPAIGN_TRANSITION_CODES, ResultCode, TRANSITION_CODES } from '../../src/state/results';

/** Every transition: StateStore's and the campaign store's. */
const ALL_TRANSITIONS: Record<string, readonly string[]> = { ...TRANSITION_CODES, ...CAMPAIGN_TRANSITION_CODES };

// The compiled test runs from dist/test/unit; the scripts stay in src/.
const LUA_DIR = path.resolve(__dirname, '../../../src/state/lua');

/** The codes a script refuses with: every quoted UPPER_SNAKE inside a {0, ...} reply, in its header or its body. */
function codesInScript(file: string): string[] {
  const text = fs.readFileSync(path.join(LUA_DIR, file), 'utf8');
  const codes = new Set<string>();
  for (const m of text.matchAll(/\{0,([^}]*)\}/g)) for (const c of m[1].matchAll(/'([A-Z][A-Z0-9_]+)'/g)) codes.add(c[1]);
  return [...codes].sort();
}

describe('Lua transition scripts: result codes mirrored in src/state/results.ts, declared KEYS', () => {
  const scripts = fs.readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua') && !f.startsWith('_'));

  it('given every transition script, each is listed with exactly the refusal codes it returns', () => {
    const listed = ALL_TRANSITIONS;
    for (const file of scripts) {
      const name = file.replace(/\.lua$/, '');
      assert.ok(listed[name], `${name}.lua is not listed in TRANSITION_CODES`);
      assert.deepEqual([...listed[name]].sort(), codesInScript(file), `${name}: TRANSITION_CODES and the script disagree`);
    }
    assert.deepEqual(Object.keys(listed).sort(), scripts.map((f) => f.replace(/\.lua$/, '')).sort(), 'a listed transition has no script');
  });

  it('given the codes of all transitions, each is in the one ResultCode list, and the list holds no code no script returns', () => {
    const used = new Set(Object.values(ALL_TRANSITIONS).flat());
    for (const c of used) assert.equal((ResultCode as Record<string, string>)[c], c, `${c} is missing from ResultCode`);
    assert.deepEqual(Object.keys(ResultCode).sort(), [...used].sort());
  });

  it('given a script that declares KEYS in its header, its body reads exactly KEYS[1] to KEYS[n] of that header', () => {
    let keyed = 0;
    for (const file of scripts) {
      const text = fs.readFileSync(path.join(LUA_DIR, file), 'utf8');
      const header = /^-- KEYS: (.*)$/m.exec(text);
      const used = [...new Set([...text.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
      if (!header) { assert.deepEqual(used, [], `${file} reads KEYS without declaring them`); continue; }
      keyed++;
      const declared = [...header[1].matchAll(/(?:^|, )(\d+) /g)].map((m) => Number(m[1]));
      assert.deepEqual(declared, declared.map((_, i) => i + 1), `${file}: KEYS numbered 1..n`);
      assert.deepEqual(used, declared, `${file}: the KEYS it reads are the ones it declares`);
    }
    assert.ok(keyed >= 17, 'the call, offer, consult, park, monitor and wrap-up scripts declare their keys');
  });
});
