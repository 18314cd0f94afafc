import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ResultCode, TRANSITION_CODES } from '../../src/state/results';

// The compiled test runs from dist/test/unit; the scripts stay in src/.
const LUA_DIR = path.resolve(__dirname, '../../../src/state/lua');

/** The codes a script refuses with: every quoted UPPER_SNAKE inside a {0, ...} reply, in its header or its body. */
function codesInScript(file: string): string[] {
  const text = fs.readFileSync(path.join(LUA_DIR, file), 'utf8');
  const codes = new Set<string>();
  for (const m of text.matchAll(/\{0,([^}]*)\}/g)) for (const c of m[1].matchAll(/'([A-Z][A-Z0-9_]+)'/g)) codes.add(c[1]);
  return [...codes].sort();
}

describe('Lua result codes (src/state/results.ts mirrors the scripts)', () => {
  const scripts = fs.readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua') && !f.startsWith('_'));

  it('given every transition script, each is listed with exactly the refusal codes it returns', () => {
    const listed = TRANSITION_CODES as Record<string, readonly string[]>;
    for (const file of scripts) {
      const name = file.replace(/\.lua$/, '');
      assert.ok(listed[name], `${name}.lua is not listed in TRANSITION_CODES`);
      assert.deepEqual([...listed[name]].sort(), codesInScript(file), `${name}: TRANSITION_CODES and the script disagree`);
    }
    assert.deepEqual(Object.keys(listed).sort(), scripts.map((f) => f.replace(/\.lua$/, '')).sort(), 'a listed transition has no script');
  });

  it('given the codes of all transitions, each is in the one ResultCode list, and the list holds no code no script returns', () => {
    const used = new Set(Object.values(TRANSITION_CODES).flat() as string[]);
    for (const c of used) assert.equal((ResultCode as Record<string, string>)[c], c, `${c} is missing from ResultCode`);
    assert.deepEqual(Object.keys(ResultCode).sort(), [...used].sort());
  });
});
