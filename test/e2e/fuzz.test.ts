import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { seededRandom as prng } from '../../src/routing/strategies';
import { TEST_ENV, uniqueSchema } from '../support/env';
import { ADMIN_TOKEN, eventually, sleep } from './harness/controller';
import { TestRun } from './harness/suite';

/**
 * A seeded fuzz test over every route of the OpenAPI document: generated requests with wrong types,
 * missing and extra fields, huge and broken values, bad escapes, for each role. The same seed makes
 * the same requests (ACD_FUZZ_SEED to try another). Never a 5xx, always the error shape for a
 * refusal, and no change in Redis after a refused request (nor after any GET).
 */
const SEED = Number(process.env.ACD_FUZZ_SEED ?? 20261101);
const PER_ROUTE = 6;

const TOKENS: Record<string, string | null> = {
  nobody: null,
  admin: ADMIN_TOKEN,
  supervisor: 'fuzz-supervisor-token-0001',
  agent: 'fuzz-agent-token-a1-000001',
};
const ROLES = Object.keys(TOKENS);
/**
 * The suite's own logical database on the run's Redis, for its controller and its own client: the
 * snapshot walks the key space (SCAN) twice per request, and in the shared database 0 that walk
 * would cross every earlier suite's keys (hundreds of thousands by the end of a full run). Nothing
 * else uses this database; it is emptied at the start, so it holds this suite's keys only.
 */
const FUZZ_DB = 7;
const FUZZ_REDIS_URL = `${TEST_ENV.redisUrl}/${FUZZ_DB}`;

type Schema = Record<string, any>;

describe('fuzz: generated requests over every OpenAPI route never answer 5xx, always the error shape, and a refusal changes nothing', function () {
  this.timeout(240_000);
  const run = new TestRun();
  let redis: Redis;

  before(async () => {
    redis = new Redis(FUZZ_REDIS_URL);
    await redis.flushdb();
    await run.start('fuzz', {
      queues: [{ id: 'sales', name: 'Sales', extension: '8751', callbacks: { enabled: true } }, { id: 'support', name: 'Support', extension: '8752' }],
      agents: [
        { id: 'a1', name: 'A1', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5990' } },
        { id: 'a2', name: 'A2', queues: ['support'], phone: { mode: 'static', contact: 'sip:a2@127.0.0.1:5990' } },
      ],
      users: [
        { id: 'sup', role: 'supervisor', token: TOKENS.supervisor, supervisedQueues: ['sales'] },
        { id: 'al', role: 'agent', agentId: 'a1', token: TOKENS.agent },
      ],
    }, {
      // with a history, so the report routes are fuzzed for real rather than answering HISTORY_DISABLED
      env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: uniqueSchema('fuzz'), REDIS_URL: FUZZ_REDIS_URL },
    });
    // the phones' first device reports settle before anything is compared
    await eventually(async () => (await Promise.all(['a1', 'a2'].map(async (id) => (await run.ctl.ok('GET', `/agents/${id}`)).device.state))).every((s) => s === 'online'),
      10_000, 'both phones reported');
  });
  after(async function () { await redis?.quit(); await run.end(this); });

  /** Every key of this controller's prefix with its value: what "no state change" compares. */
  async function snapshot(): Promise<Map<string, string>> {
    const keys: string[] = [];
    let cursor = '0';
    do { const [n, ks] = await redis.scan(cursor, 'MATCH', `${run.ctl.prefix}*`, 'COUNT', 1000); cursor = n; keys.push(...ks); } while (cursor !== '0');
    // two pipelined rounds (types, then values) instead of two round trips per key: the snapshot runs
    // twice per request, over hundreds of keys
    const types = ((await redis.pipeline(keys.map((k) => ['type', k])).exec()) ?? []).map(([, t]) => String(t));
    const reads = keys.map((key, i): [string, ...string[]] => {
      switch (types[i]) {
        case 'string': return ['get', key];
        case 'hash': return ['hgetall', key];
        case 'set': return ['smembers', key];
        case 'zset': return ['zrange', key, '0', '-1', 'WITHSCORES'];
        case 'list': return ['lrange', key, '0', '-1'];
        case 'stream': return ['xrevrange', key, '+', '-', 'COUNT', '1'];
        default: return ['exists', key];
      }
    });
    const lens = await redis.pipeline(keys.map((k, i) => (types[i] === 'stream' ? ['xlen', k] : ['exists', k]))).exec() ?? [];
    const values = await redis.pipeline(reads).exec() ?? [];
    const out = new Map<string, string>();
    keys.forEach((key, i) => {
      const type = types[i];
      const v = values[i]?.[1] as unknown;
      const value = type === 'string' ? (v as string | null)
        : type === 'hash' ? JSON.stringify(Object.entries(v as Record<string, string>).sort())
          : type === 'set' ? JSON.stringify([...(v as string[])].sort())
            : type === 'zset' || type === 'list' ? JSON.stringify(v)
              : type === 'stream' ? JSON.stringify([lens[i]?.[1], (v as [string, string[]][])[0]?.[0]])
                : type;
      if (type !== 'none') out.set(key, `${type} ${value}`);
    });
    return out;
  }
  /**
   * metrics:* is left out: it is the fold of the event stream (compared itself), which a read of the
   * figures first catches up on — the fold of events earlier accepted requests wrote, not a change.
   * A refused sign-in (POST /sessions) must count the failure (signin:name:*, signin:addr:*): that
   * is how guessing is slowed, so those keys may change on that route and nowhere else.
   * `nodes` and `nodes:since` are left out too: the controllers' heartbeats (src/cluster), written every second.
   */
  const diff = (a: Map<string, string>, b: Map<string, string>, path = '') => [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => !k.startsWith(`${run.ctl.prefix}metrics:`) && k !== `${run.ctl.prefix}nodes` && k !== `${run.ctl.prefix}nodes:since` && a.get(k) !== b.get(k))
    .filter((k) => !(path === '/sessions' && k.startsWith(`${run.ctl.prefix}signin:`)));

  it(`seed ${SEED}: ${PER_ROUTE} requests per route and role mix`, async () => {
    const doc = (await run.ctl.request('GET', '/openapi.json', undefined, null)).body;
    const rnd = prng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const resolve = (s: Schema | undefined): Schema | undefined => {
      if (!s?.$ref) return s;
      return resolve(s.$ref.split('/').slice(1).reduce((o: any, p: string) => o?.[p], doc));
    };
    const sample = (s0: Schema | undefined, depth = 0): unknown => {
      const s = resolve(s0);
      if (!s || depth > 4) return 'x';
      if (s.enum) return pick(s.enum);
      if (s.oneOf || s.anyOf) return sample(pick(s.oneOf ?? s.anyOf), depth + 1);
      switch (s.type) {
        case 'object': {
          const props = s.properties ?? {};
          const keys = Object.keys(props).filter((k) => (s.required ?? []).includes(k) || rnd() < 0.5);
          return Object.fromEntries(keys.map((k) => [k, sample(props[k], depth + 1)]));
        }
        case 'array': return [sample(s.items, depth + 1)];
        case 'integer': case 'number': return s.minimum ?? 1;
        case 'boolean': return true;
        default: return pick(['sales', 'a1', 'x', '15550100', 'lunch']);
      }
    };
    const huge = () => pick(['x'.repeat(70_000), 'é'.repeat(20_000), 1e308, -1, 2 ** 53 + 1, '\u0000\uffff', '%00', '../../etc/passwd', '${jndi:x}', 'a,b(c)|d']);
    const wrongType = (v: unknown): unknown => pick<unknown>(typeof v === 'string' ? [1, true, null, ['x'], { x: 1 }] : [String(v), null, [v], { v }, '']);
    const mutateBody = (schema: Schema | undefined): { kind: string; body?: string; headers?: Record<string, string> } => {
      const base = sample(schema);
      const obj = (base && typeof base === 'object' && !Array.isArray(base)) ? { ...(base as Record<string, unknown>) } : {};
      const keys = Object.keys(obj);
      const json = (v: unknown) => ({ body: JSON.stringify(v), headers: { 'content-type': 'application/json' } });
      switch (pick(['valid', 'wrongType', 'missing', 'extra', 'huge', 'broken', 'notJson', 'deep', 'gzip', 'array'])) {
        case 'valid': return { kind: 'valid', ...json(base) };
        case 'wrongType': { if (keys.length) { const k = pick(keys); obj[k] = wrongType(obj[k]); } return { kind: 'wrongType', ...json(keys.length ? obj : 42) }; }
        case 'missing': { if (keys.length) delete obj[pick(keys)]; return { kind: 'missing', ...json(obj) }; }
        case 'extra': return { kind: 'extra', ...json({ ...obj, [pick(['zz', '__proto__', 'constructor', 'id', 'role'])]: pick([1, 'admin', { admin: true }]) }) };
        case 'huge': { const k = keys.length ? pick(keys) : 'name'; obj[k] = huge(); return { kind: 'huge', ...json(obj) }; }
        case 'broken': return { kind: 'broken', body: pick(['{"a": [', '{', '}', 'nul', '{"a":1,}', '\u0000', '{"a":"\ud800"}']), headers: { 'content-type': 'application/json' } };
        case 'notJson': return { kind: 'notJson', body: 'a=1&b=2', headers: { 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-42', 'application/xml']) } };
        case 'deep': { let v: unknown = 1; for (let i = 0; i < 2000; i++) v = [v]; return { kind: 'deep', ...json({ ...obj, [keys[0] ?? 'a']: v }) }; }
        case 'gzip': return { kind: 'gzip', body: pick([gzipSync(JSON.stringify(obj)).subarray(0, 10).toString('latin1'), 'not gzip']), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } };
        default: return { kind: 'array', ...json([obj]) };
      }
    };
    const param = (name: string) => pick([
      ...(name === 'id' ? ['sales', 'a1', 'a2', 'sup', 'support'] : []), '1', 'nope', '%E0%A4%A', '%ff', '%00', 'x'.repeat(3000), '..%2F..%2Fetc', '%F0%9F%98%80', '-1', 'a%20b',
    ]);

    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([p, o]) => Object.entries(o).filter(([m]) => m !== 'parameters').map(([m, op]) => ({ method: m.toUpperCase(), path: p, op })));
    const figures = { requests: 0, status5xx: 0, wrongShape: 0, refused: 0, compared: 0, changes: 0 };
    const problems: string[] = [];
    let before = await snapshot();
    // an empty snapshot would make every "no change" comparison pass: the controller must be on this database
    assert.ok(before.size > 0, `the controller's state is in the suite's Redis database ${FUZZ_DB} (${before.size} keys)`);
    for (const { method, path, op } of ops) {
      for (let n = 0; n < PER_ROUTE; n++) {
        const role = pick(ROLES);
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => param(name));
        const query = rnd() < 0.3 ? `?${pick(['state=%ff', 'queueId=sales', 'archived=maybe', 'scope=' + 'x'.repeat(500), 'name=%E0%A4%A', 'a[b][c]=1'])}` : '';
        const schema = op.requestBody?.content?.['application/json']?.schema;
        // (fetch sends no body with a GET)
        const b = method === 'GET' ? { kind: 'none' } as ReturnType<typeof mutateBody> : method === 'DELETE' && rnd() < 0.7 ? { kind: 'none' } : mutateBody(schema);
        const headers: Record<string, string> = { ...(b.headers ?? {}) };
        if (TOKENS[role]) headers.authorization = `Bearer ${TOKENS[role]}`;
        const res = await fetch(`${run.ctl.api}${url}${query}`, { method, headers, body: b.body === undefined ? undefined : Buffer.from(b.body, 'latin1') });
        const text = await res.text();
        figures.requests++;
        const what = `${role} ${method} ${path} (${url.slice(0, 60)}${query.slice(0, 30)}) ${b.kind} → ${res.status}`;
        if (res.status >= 500) { figures.status5xx++; problems.push(`5xx: ${what} ${text.slice(0, 200)}`); }
        if (res.status >= 400) {
          figures.refused++;
          let shape = false;
          try { const e = JSON.parse(text).error; shape = typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.code) && typeof e.message === 'string'; } catch { /* not JSON */ }
          if (!shape) { figures.wrongShape++; problems.push(`shape: ${what} ${text.slice(0, 200)}`); }
        }
        if (res.status >= 400 || method === 'GET') {
          const after = await snapshot();
          figures.compared++;
          const changed = diff(before, after, method === 'POST' ? path : '');
          if (changed.length) { figures.changes++; problems.push(`changed ${changed.map((k) => k.slice(run.ctl.prefix.length)).join(', ')}: ${what}`); }
          before = after;
        } else {
          // accepted: its effects (and what follows them, such as routing) may take a moment
          await sleep(300);
          before = await snapshot();
        }
      }
    }
    process.stdout.write(`      fuzz seed ${SEED}: ${figures.requests} requests over ${ops.length} routes, ${figures.refused} refused, ${figures.status5xx} 5xx, `
      + `${figures.wrongShape} wrong shapes, ${figures.changes} state changes in ${figures.compared} compared\n`);
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.ok(figures.refused > figures.requests / 2, 'most generated requests are refused (the generator produces bad input)');
  });
});
