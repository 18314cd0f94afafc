import type { AccessPolicy } from '../access/policy';
import type { Principal } from '../access/users';
import { Ari, AriGone, AriUnavailable } from '../ari/client';
import { type CallCore, type CallSession, SerialExecutor } from '../calls/core';
import type { CallService } from '../calls/queueing/callService';
import { AcdError, Conflict, Forbidden, NotFound } from '../errors';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { RecordingRecord, StateStore } from '../state/store';

const DAY_MS = 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 3600 * 1000;
/** Retention of recordings whose queue no longer exists: the schema's default. */
const DEFAULT_RETENTION_DAYS = 90;
const NAME_PREFIX = 'calls/';

const CONFLICTS: Record<string, string> = {
  CALL_NOT_CONNECTED: 'only a connected call can be recorded',
  ALREADY_ACTIVE: 'the call is already being recorded',
  NOT_ACTIVE: 'the call is not being recorded',
  ALREADY_PAUSED: 'the recording is already paused',
  NOT_PAUSED: 'the recording is not paused',
};
const conflict = (code: string) => new Conflict(code === 'CALL_NOT_CONNECTED' ? code : `RECORDING_${code}`, CONFLICTS[code] ?? code);

export interface RecordingView {
  id: string; callId: string; queueId: string; agentId: string; state: RecordingRecord['state'];
  file: string; startedAt: string; endedAt: string | null; durationMs: number | null; startedBy: string;
  /** Offsets from the start, i.e. positions in the file; an open pause has toMs null. */
  pausedIntervals: { fromMs: number; toMs: number | null }[];
  audio: { url: string } | null;
}

/**
 * Call recording. The call's bridge is recorded (both parties mixed, one WAV per recording) from the
 * moment it is connected when the queue's policy is 'all', or when started through the API
 * ('on-demand'). A pause mutes the recording: Asterisk writes silence, so the file keeps the call's
 * timeline and the paused intervals in the metadata are positions in the file. A recording ends
 * when it is stopped or the call ends. Finished recordings older than their queue's retentionDays
 * are deleted (file and metadata) by an hourly sweep.
 * Operations on one call run one at a time, so Asterisk's mute state and Redis never disagree.
 */
export class RecordingService {
  /** The recording's own turn per call (not the call's: a recording step never waits for call handling). */
  private readonly executor: SerialExecutor;
  /** Calls this process started (or tried to start) a recording on: only these, and recovered calls, can have one to stop at their end. */
  private readonly mayBeRecording = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    core: CallCore,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly calls: CallService,
    private readonly policy: AccessPolicy,
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.executor = new SerialExecutor(log, 'recording step');
    core.events.on('connected', (s) => void this.callConnected(s));
    core.events.on('ended', (s) => void this.callEnded(s));
    // Asterisk ends a recording on its own too (the bridge went away, disk trouble): record that
    ari.onEvent('RecordingFinished', (e) => void this.finishedByAsterisk(e.recording.name, 'stopped'));
    ari.onEvent('RecordingFailed', (e) => void this.finishedByAsterisk(e.recording.name, 'failed'));
  }

  private serialize<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    return this.executor.runOrThrow(callId, fn);
  }

  // --- riding on the call lifecycle ----------------------------------------------------------
  private async callConnected(s: CallSession): Promise<void> {
    if (this.registry.findQueue(s.queueId)?.recording.policy !== 'all') return;
    try {
      // 'connected' comes again after a reconnect: a running recording goes on, a stopped one stays stopped
      await this.serialize(s.callId, () => this.begin(s, 'policy', true));
    } catch (err) {
      if (!(err instanceof Conflict)) s.log.error('recording could not start', { error: (err as Error).message });
    }
  }

  private async callEnded(s: CallSession): Promise<void> {
    // a call that was never recorded here has nothing to stop: no read at every call end
    if (!s.recovered && !this.mayBeRecording.has(s.callId)) return;
    try {
      await this.serialize(s.callId, async () => {
        this.mayBeRecording.delete(s.callId);
        const rec = await this.active(s.callId);
        if (rec) await this.end(rec, s.log);
      });
    } catch (err) {
      s.log.error('recording could not be stopped', { error: (err as Error).message });
    }
  }

  private async finishedByAsterisk(name: string, outcome: 'stopped' | 'failed'): Promise<void> {
    if (!name.startsWith(NAME_PREFIX)) return;
    const r = await this.state.recordingStop(name.slice(NAME_PREFIX.length), outcome).catch(() => undefined);
    if (r?.ok) this.log.info('recording ended by Asterisk', { name, outcome });
  }

  private async begin(s: CallSession, startedBy: string, onlyIfNeverRecorded = false): Promise<RecordingView> {
    this.mayBeRecording.add(s.callId);
    const r = await this.state.recordingStart(s.callId, startedBy, onlyIfNeverRecorded);
    if (!r.ok) throw conflict(r.code);
    const rec = (await this.state.recording(r.value))!;
    try {
      await this.ari.recordBridge(s.connected!.bridgeId, rec.name);
    } catch (err) {
      await this.state.recordingStop(rec.id, 'failed');
      throw new AcdError(502, 'RECORDING_FAILED', `Asterisk did not start the recording: ${(err as Error).message}`);
    }
    s.log.info('recording started', { recordingId: rec.id, startedBy });
    return this.view(rec.id);
  }

  /** Stop on Asterisk (which saves the file), then in Redis; either may have happened already. */
  private async end(rec: RecordingRecord, log: Logger): Promise<void> {
    await this.ari.stopRecording(rec.name).catch((err) => {
      if (!(err instanceof AriGone)) log.warn('stopping the recording on Asterisk failed', { recordingId: rec.id, error: (err as Error).message });
    });
    const r = await this.state.recordingStop(rec.id, 'stopped');
    if (r.ok) log.info('recording stopped', { recordingId: rec.id, durationMs: r.value });
  }

  private async active(callId: string): Promise<RecordingRecord | undefined> {
    const id = await this.state.activeRecordingId(callId);
    return id ? this.state.recording(id) : undefined;
  }

  // --- API: control of a live call's recording -----------------------------------------------
  /** The connected call on this controller, if the user may control its recording. */
  private async controllable(user: Principal, callId: string, action: 'start' | 'stop' | 'pause' | 'resume'): Promise<CallSession> {
    const s = this.calls.liveSession(callId);
    if (!s) {
      if (await this.state.call(callId)) throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected on this controller');
      throw new NotFound('call', callId);
    }
    if (s.state !== 'connected' || !s.connected) throw conflict('CALL_NOT_CONNECTED');
    if (user.role === 'agent') {
      if (user.agentId !== s.connected.agentId) throw new Forbidden('an agent may control the recording of their own call only');
      // what the queue's policy requires is not the agent's to switch off: pausing is how they leave things out
      if (action === 'stop' && this.registry.findQueue(s.queueId)?.recording.policy === 'all') {
        throw new Forbidden('this queue records every call: an agent may pause the recording, not stop it');
      }
    } else {
      this.policy.queue(user, s.queueId);
    }
    return s;
  }

  async start(user: Principal, callId: string): Promise<RecordingView> {
    const s = await this.controllable(user, callId, 'start');
    if ((this.registry.findQueue(s.queueId)?.recording.policy ?? 'none') === 'none') {
      throw new Conflict('RECORDING_DISABLED', `queue ${s.queueId} does not record calls (recording policy none)`);
    }
    return this.serialize(callId, () => this.begin(s, user.id));
  }

  async stop(user: Principal, callId: string): Promise<RecordingView> {
    const s = await this.controllable(user, callId, 'stop');
    return this.serialize(callId, async () => {
      const rec = await this.active(callId);
      if (!rec) throw conflict('NOT_ACTIVE');
      await this.end(rec, s.log);
      return this.view(rec.id);
    });
  }

  async pause(user: Principal, callId: string): Promise<RecordingView> {
    const s = await this.controllable(user, callId, 'pause');
    return this.serialize(callId, async () => {
      const rec = await this.active(callId);
      if (!rec) throw conflict('NOT_ACTIVE');
      if (rec.state === 'paused') throw conflict('ALREADY_PAUSED');
      await this.onAsterisk(() => this.ari.muteRecording(rec.name));
      const r = await this.state.recordingPause(rec.id);
      if (!r.ok) throw conflict(r.code);
      s.log.info('recording paused', { recordingId: rec.id, fromMs: r.value, by: user.id });
      return this.view(rec.id);
    });
  }

  async resume(user: Principal, callId: string): Promise<RecordingView> {
    const s = await this.controllable(user, callId, 'resume');
    return this.serialize(callId, async () => {
      const rec = await this.active(callId);
      if (!rec) throw conflict('NOT_ACTIVE');
      if (rec.state !== 'paused') throw conflict('NOT_PAUSED');
      await this.onAsterisk(() => this.ari.unmuteRecording(rec.name));
      const r = await this.state.recordingResume(rec.id);
      if (!r.ok) throw conflict(r.code);
      s.log.info('recording resumed', { recordingId: rec.id, toMs: r.value, by: user.id });
      return this.view(rec.id);
    });
  }

  /** A live recording Asterisk no longer has is ending (its RecordingFinished marks it stopped). */
  private async onAsterisk<T>(fn: () => Promise<T>, gone = () => conflict('NOT_ACTIVE')): Promise<T> {
    try { return await fn(); } catch (err) {
      if (err instanceof AriGone) throw gone();
      if (err instanceof AriUnavailable) throw new AcdError(503, 'ASTERISK_UNAVAILABLE', 'Asterisk cannot be reached right now: try again');
      throw err;
    }
  }

  // --- API: finished recordings ---------------------------------------------------------------
  /** Admins see all; supervisors the queues they may access; an agent (given the permission) their own calls. */
  private visible(user: Principal, rec: RecordingRecord): boolean {
    if (user.role === 'agent') return rec.agentId === user.agentId;
    return this.policy.canQueue(user, rec.queueId);
  }

  async list(user: Principal, filter: { callId?: string; queueId?: string; agentId?: string }): Promise<RecordingView[]> {
    const recs = await Promise.all((await this.state.recordingIds()).map((id) => this.state.recording(id)));
    const out: RecordingView[] = [];
    for (const r of recs) {
      if (!r || !this.visible(user, r)) continue;
      if ((filter.callId && r.callId !== filter.callId) || (filter.queueId && r.queueId !== filter.queueId)
        || (filter.agentId && r.agentId !== filter.agentId)) continue;
      out.push(RecordingService.toView(r));
    }
    return out;
  }

  async read(user: Principal, id: string): Promise<RecordingView> {
    return RecordingService.toView(await this.readable(user, id));
  }

  async audio(user: Principal, id: string): Promise<{ body: ReadableStream<Uint8Array>; length?: number }> {
    const rec = await this.readable(user, id);
    if (rec.state === 'recording' || rec.state === 'paused') throw new Conflict('RECORDING_IN_PROGRESS', 'the recording is still going on');
    return this.onAsterisk(() => this.ari.storedRecordingStream(rec.name), () => new NotFound('recording audio', id));
  }

  private async readable(user: Principal, id: string): Promise<RecordingRecord> {
    const rec = await this.state.recording(id);
    if (!rec) throw new NotFound('recording', id);
    if (!this.visible(user, rec)) throw new Forbidden(`no access to the recordings of queue ${rec.queueId}`);
    return rec;
  }

  private async view(id: string): Promise<RecordingView> {
    const rec = await this.state.recording(id);
    if (!rec) throw new NotFound('recording', id);
    return RecordingService.toView(rec);
  }

  static toView(r: RecordingRecord): RecordingView {
    const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
    const done = r.state === 'stopped' || r.state === 'failed';
    return {
      id: r.id, callId: r.callId, queueId: r.queueId, agentId: r.agentId, state: r.state, file: `${r.name}.wav`,
      startedAt: iso(r.startedAt)!, endedAt: iso(r.endedAt), durationMs: r.durationMs ?? null, startedBy: r.startedBy,
      pausedIntervals: [...r.pausedIntervals, ...(r.pausedFrom !== undefined ? [{ fromMs: r.pausedFrom, toMs: null }] : [])],
      audio: done ? { url: `/api/v1/recordings/${encodeURIComponent(r.id)}/audio` } : null,
    };
  }

  // --- retention -------------------------------------------------------------------------------
  /** Sweep now and then every hour; setTimeout is only the wake-up, the Lua transition decides. */
  startSweeping(): void {
    const tick = async () => {
      const swept = await this.sweep().catch((err) => { this.log.warn('recording retention sweep failed', { error: (err as Error).message }); return false; });
      // before ARI is up the files cannot be deleted: try again soon
      this.sweepTimer = setTimeout(() => void tick(), swept ? SWEEP_EVERY_MS : 60_000);
    };
    void tick();
  }

  stopSweeping(): void { if (this.sweepTimer) clearTimeout(this.sweepTimer); }

  /**
   * Delete finished recordings of this node's Asterisk (where their files are) older than their
   * queue's retentionDays: the file first, then the metadata, so a failed file deletion is retried
   * at the next sweep instead of leaving a file nobody knows about. False when ARI is not connected.
   */
  async sweep(): Promise<boolean> {
    if (!this.ari.connected) return false;
    const now = this.now();
    let deleted = 0;
    for (const id of await this.state.recordingIds(now - DAY_MS)) {   // 1 day is the shortest retention
      const rec = await this.state.recording(id);
      if (!rec || rec.node !== this.nodeId || rec.state === 'recording' || rec.state === 'paused') continue;
      const retentionMs = (this.registry.findQueue(rec.queueId)?.recording.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
      if (rec.startedAt + retentionMs > now) continue;
      try {
        await this.ari.deleteStoredRecording(rec.name);
      } catch (err) {
        if (!(err instanceof AriGone)) { this.log.warn('recording file not deleted', { recordingId: id, error: (err as Error).message }); continue; }
      }
      if ((await this.state.recordingDelete(id, retentionMs)).ok) deleted++;
    }
    if (deleted) this.log.info('expired recordings deleted', { count: deleted });
    return true;
  }
}
