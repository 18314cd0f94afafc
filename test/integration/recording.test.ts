import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import winston from 'winston';
import { AriGone } from '../../src/ari/client';
import type { AccessPolicy } from '../../src/access/policy';
import type { CallService } from '../../src/calls/queueing/callService';
import type { CallCore } from '../../src/calls/core';
import { TypedEmitter } from '../../src/events/typedEmitter';
import { EventBus } from '../../src/events/bus';
import { RecordingService } from '../../src/recording/recordingService';
import type { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { TEST_ENV, uniquePrefix } from '../support/env';
import { FakeAri } from '../support/fakeAri';

const DAY = 24 * 3600 * 1000;

describe('recording transitions (Lua, real Redis)', () => {
  let redis: Redis;
  let state: StateStore;
  let now: number;

  const events = async (type: string) => (await redis.xrange(state.keys.events(), '-', '+'))
    .map(([id, f]) => EventBus.parse(id, f)).filter((e) => e.type === type);
  /** A caller connected to agent a1 in queue q, as the call service leaves it. */
  const connect = async (callId: string, queueId = 'q', node = 'n1') => {
    await state.agentLogin('a1', [queueId]);
    await state.enqueue({ callId, queueId, node, callerNumber: '5550100', callerName: '', channelId: callId });
    assert.equal((await state.reserve(callId, 'a1', `t-${callId}`, now + 20_000, `o-${callId}`)).ok, true);
    assert.equal((await state.accept(callId, `t-${callId}`, `call-${callId}`)).ok, true);
  };

  before(() => { redis = new Redis(TEST_ENV.redisUrl); });
  after(() => redis.quit());
  beforeEach(function () { now = 10 * DAY; state = new StateStore(redis, uniquePrefix(this.currentTest?.title.slice(0, 20) ?? 'rec'), () => now); });

  it('given a connected call, start names the file calls/<callId>-<n>, refuses a second start, and a call not connected is refused', async () => {
    assert.deepEqual(await state.recordingStart('c1', 'policy'), { ok: false, code: 'CALL_NOT_CONNECTED' });
    await connect('c1');
    assert.deepEqual(await state.recordingStart('c1', 'policy'), { ok: true, value: 'c1-1' });
    assert.deepEqual(await state.recordingStart('c1', 'sam'), { ok: false, code: 'ALREADY_ACTIVE' });
    const rec = await state.recording('c1-1');
    assert.deepEqual([rec?.name, rec?.state, rec?.queueId, rec?.agentId, rec?.node, rec?.startedAt, rec?.startedBy, rec?.pausedIntervals],
      ['calls/c1-1', 'recording', 'q', 'a1', 'n1', now, 'policy', []]);
    assert.equal(await state.activeRecordingId('c1'), 'c1-1');
    const [started] = await events('recording.started');
    assert.deepEqual([started.recordingId, started.callId, started.name], ['c1-1', 'c1', 'calls/c1-1']);

    now += 1000;
    await state.recordingStop('c1-1', 'stopped');
    assert.equal(await state.activeRecordingId('c1'), undefined);
    assert.deepEqual(await state.recordingStart('c1', 'policy', true), { ok: false, code: 'ALREADY_RECORDED' }, 'the policy does not restart what was stopped');
    assert.deepEqual(await state.recordingStart('c1', 'sam'), { ok: true, value: 'c1-2' }, 'a new recording of the same call is a new file');
  });

  it('given pauses and resumes, the intervals are offsets from the start; a pause still open at stop ends with the recording', async () => {
    await connect('c1');
    await state.recordingStart('c1', 'policy');
    assert.deepEqual(await state.recordingResume('c1-1'), { ok: false, code: 'NOT_PAUSED' });
    now += 2000;
    assert.deepEqual(await state.recordingPause('c1-1'), { ok: true, value: 2000 });
    assert.deepEqual(await state.recordingPause('c1-1'), { ok: false, code: 'ALREADY_PAUSED' });
    assert.equal((await state.recording('c1-1'))?.pausedFrom, 2000);
    now += 1500;
    assert.deepEqual(await state.recordingResume('c1-1'), { ok: true, value: 3500 });
    now += 1000;
    await state.recordingPause('c1-1');
    now += 500;
    assert.deepEqual(await state.recordingStop('c1-1', 'stopped'), { ok: true, value: 5000 });
    const rec = await state.recording('c1-1');
    assert.deepEqual([rec?.state, rec?.durationMs, rec?.endedAt, rec?.pausedFrom], ['stopped', 5000, now, undefined]);
    assert.deepEqual(rec?.pausedIntervals, [{ fromMs: 2000, toMs: 3500 }, { fromMs: 4500, toMs: 5000 }]);
    assert.deepEqual((await events('recording.paused')).map((e) => e.fromMs), [2000, 4500]);
    assert.deepEqual((await events('recording.resumed')).map((e) => [e.fromMs, e.toMs]), [[2000, 3500]]);
    const [stopped] = await events('recording.stopped');
    assert.deepEqual([stopped.state, stopped.durationMs, stopped.pausedMs], ['stopped', 5000, 2000]);

    assert.deepEqual(await state.recordingStop('c1-1', 'stopped'), { ok: false, code: 'NOT_ACTIVE' }, 'stopped once');
    assert.deepEqual(await state.recordingPause('c1-1'), { ok: false, code: 'NOT_ACTIVE' });
    assert.deepEqual(await state.recordingResume('c1-1'), { ok: false, code: 'NOT_ACTIVE' });
    assert.equal((await events('recording.stopped')).length, 1);
  });

  it('given a recording that failed, it is kept as failed', async () => {
    await connect('c1');
    await state.recordingStart('c1', 'policy');
    assert.deepEqual(await state.recordingStop('c1-1', 'failed'), { ok: true, value: 0 });
    assert.equal((await state.recording('c1-1'))?.state, 'failed');
  });

  it('deletes a finished recording only once its retention has passed, and only once', async () => {
    await connect('c1');
    await state.recordingStart('c1', 'policy');
    assert.deepEqual(await state.recordingDelete('c1-1', DAY), { ok: false, code: 'ACTIVE' });
    now += 1000;
    await state.recordingStop('c1-1', 'stopped');
    assert.deepEqual(await state.recordingDelete('c1-1', DAY), { ok: false, code: 'NOT_EXPIRED' });
    now += DAY;
    const both = await Promise.all([state.recordingDelete('c1-1', DAY), state.recordingDelete('c1-1', DAY)]);
    assert.deepEqual(both.map((r) => r.ok).sort(), [false, true]);
    assert.equal(await state.recording('c1-1'), undefined);
    assert.deepEqual(await state.recordingIds(), []);
    assert.deepEqual((await events('recording.deleted')).map((e) => [e.recordingId, e.name]), [['c1-1', 'calls/c1-1']]);
  });

  describe('retention sweep', () => {
    const deletedFiles: string[] = [];
    const queues: Record<string, number> = { short: 2, long: 30 };
    /** Asterisk's stored recordings: a file whose name says 'gone' is already deleted (404). */
    const storage = (connected: boolean) => {
      const ari = new FakeAri().respond('deleteStoredRecording', async (name) => {
        deletedFiles.push(name);
        if (name.includes('gone')) throw new AriGone('Recording not found');
      });
      ari.connected = connected;
      return ari.asAri();
    };
    const fakeAri = storage(true);
    const registry = { findQueue: (id: string) => (queues[id] ? { recording: { retentionDays: queues[id] } } : undefined) } as unknown as Registry;
    const calls = {} as CallService;
    const core = { events: new TypedEmitter() } as unknown as CallCore;
    const log = winston.createLogger({ silent: true });

    /** A finished recording of a call in `queue` on `node`, started `ageDays` before the test's now. */
    const finished = async (callId: string, queue: string, ageDays: number, node = 'n1') => {
      const at = now;
      now -= ageDays * DAY;
      await connect(callId, queue, node);
      await state.recordingStart(callId, 'policy');
      now += 60_000;
      await state.release(callId, 'caller');
      await state.recordingStop(`${callId}-1`, 'stopped');
      now = at;
    };

    beforeEach(() => { deletedFiles.length = 0; });

    it('deletes the files and records of recordings past their queue\'s retention on this node, and nothing else', async () => {
      const service = new RecordingService(core, fakeAri, state, registry, calls, {} as AccessPolicy, 'n1', log, () => now);
      await finished('old-short', 'short', 3);          // 3 days old, queue keeps 2: expired
      await finished('new-short', 'short', 1);          // 1 day old: kept
      await finished('old-long', 'long', 29);           // queue keeps 30: kept
      await finished('older-long', 'long', 31);         // expired
      await finished('old-gone', 'short', 5);           // expired; its file is already gone: record deleted anyway
      await finished('other-node', 'short', 9, 'n2');   // on another Asterisk: not ours to delete
      await finished('no-queue', 'deleted-queue', 89);  // the default 90 days apply
      await connect('live', 'short');                    // still recording, however old
      now -= 10 * DAY;
      await state.recordingStart('live', 'policy');
      now += 10 * DAY;

      assert.equal(await service.sweep(), true);
      assert.deepEqual(deletedFiles.sort(), ['calls/old-gone-1', 'calls/old-short-1', 'calls/older-long-1']);
      assert.deepEqual((await state.recordingIds()).sort(), ['live-1', 'new-short-1', 'no-queue-1', 'old-long-1', 'other-node-1']);
      assert.deepEqual((await events('recording.deleted')).map((e) => e.recordingId).sort(), ['old-gone-1', 'old-short-1', 'older-long-1']);

      deletedFiles.length = 0;
      now += DAY;   // a day later new-short (2 days), old-long (30) and no-queue (90) have expired too
      await service.sweep();
      assert.deepEqual(deletedFiles.sort(), ['calls/new-short-1', 'calls/no-queue-1', 'calls/old-long-1']);
      assert.deepEqual(await state.recordingIds(), ['live-1', 'other-node-1']);
    });

    it('given ARI not connected, the sweep waits (files cannot be deleted) and deletes nothing', async () => {
      const offline = storage(false);
      const service = new RecordingService(core, offline, state, registry, calls, {} as AccessPolicy, 'n1', log, () => now);
      await finished('old-short', 'short', 3);
      assert.equal(await service.sweep(), false);
      assert.deepEqual(await state.recordingIds(), ['old-short-1']);
    });
  });
});
