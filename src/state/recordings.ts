import { StoreBase, outcome as toOutcome } from './base';
import type { TransitionOutcome } from './results';
import type { RecordingRecord } from '../domain/live';

/** Call recordings: started, paused, resumed, stopped, deleted after their retention. Part of StateStore (src/state/store.ts). */
export class RecordingStore extends StoreBase {
  async recordingStart(callId: string, startedBy: string, onlyIfNeverRecorded = false): Promise<TransitionOutcome<'recording_start', string>> {
    return toOutcome(await this.runKeyed('recording_start', [this.keys.callRecording(callId), this.keys.recordings(), this.keys.call(callId), this.keys.events()], callId, startedBy, onlyIfNeverRecorded ? '1' : '0'), String);
  }
  async recordingPause(id: string): Promise<TransitionOutcome<'recording_pause', number>> {
    return toOutcome(await this.runKeyed('recording_pause', [this.keys.recording(id), this.keys.events()], id), Number);
  }
  async recordingResume(id: string): Promise<TransitionOutcome<'recording_resume', number>> {
    return toOutcome(await this.runKeyed('recording_resume', [this.keys.recording(id), this.keys.events()], id), Number);
  }
  async recordingStop(id: string, outcome: 'stopped' | 'failed'): Promise<TransitionOutcome<'recording_stop', number>> {
    return toOutcome(await this.runKeyed('recording_stop', [this.keys.recording(id), this.keys.events()], id, outcome), Number);
  }
  async recordingDelete(id: string, retentionMs: number): Promise<TransitionOutcome<'recording_delete', string>> {
    return toOutcome(await this.runKeyed('recording_delete', [this.keys.recording(id), this.keys.recordings(), this.keys.events()], id, retentionMs), String);
  }
  async recording(id: string): Promise<RecordingRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.recording(id));
    if (!h.id) return undefined;
    const n = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
    const intervals = JSON.parse(h.pausedIntervals || '[]');
    return {
      ...(h as unknown as RecordingRecord),
      startedAt: Number(h.startedAt), endedAt: n(h.endedAt), durationMs: n(h.durationMs), pausedFrom: n(h.pausedFrom),
      pausedIntervals: Array.isArray(intervals) ? intervals : [],   // cjson writes an empty list as {}
    };
  }
  /** Recording ids, oldest first; `startedBefore` limits them to those started before that time. */
  async recordingIds(startedBefore = Infinity): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.recordings(), '-inf', startedBefore === Infinity ? '+inf' : `(${startedBefore}`);
  }
  async activeRecordingId(callId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.callRecording(callId), 'active')) ?? undefined;
  }
}
