import assert from 'node:assert/strict';
import sinon from 'sinon';
import { createLogger } from '../../src/logger';

describe('logger: levels that are off', () => {
  const sandbox = sinon.createSandbox();
  let written: string[];

  beforeEach(() => {
    written = [];
    // the Console transport writes every level to stderr (stderrLevels)
    sandbox.stub(process.stderr, 'write').callsFake(((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; }) as never);
  });
  afterEach(() => sandbox.restore());

  it('given LOG_LEVEL warn, info and debug lines (of the logger and of its children) are not written, warn and error are, with their fields', () => {
    const log = createLogger('warn', 'json');
    const child = log.child({ callId: 'c1' });
    log.info('caller queued', { position: 1 });
    child.debug('offering call', { agentId: 'a1' });
    child.info('call connected');
    assert.deepEqual(written, []);
    // an entry under the level is not even built: its fields are never read (no merge, no JSON)
    let reads = 0;
    child.info('offer not answered', { get outcome() { reads++; return 'no-answer'; } });
    assert.equal(reads, 0);
    child.warn('agent phone could not be rung', { agentId: 'a1' });
    log.error('reconcile failed', { error: 'boom' });
    const lines = written.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.level, l.message, l.callId ?? null, l.agentId ?? l.error]), [
      ['warn', 'agent phone could not be rung', 'c1', 'a1'],
      ['error', 'reconcile failed', null, 'boom'],
    ]);
  });

  it('given the level raised to debug later, its children write debug lines from then on', () => {
    const log = createLogger('info', 'pretty');
    const child = log.child({ queueId: 'q1' });
    child.debug('not yet');
    assert.equal(written.length, 0);
    log.level = 'debug';
    child.debug('now', { n: 1 });
    assert.equal(written.length, 1);
    assert.match(written[0], /debug now \{"queueId":"q1","n":1\}/);
  });
});
