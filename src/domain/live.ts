/**
 * The live state's domain types: what Redis holds for agents, calls, callbacks, recordings and clips
 * (read through src/state/store.ts, the only writer). Configuration types (queues, agents, users...)
 * are inferred from their schemas in src/config/schema.ts; src/domain/index.ts gathers both.
 */
export type RegistryKind = 'queues' | 'agents' | 'users' | 'pauseReasons' | 'settings';
export type AgentStateName = 'logged_out' | 'ready' | 'reserved' | 'on_call' | 'wrap_up' | 'paused';

/** After-call work for one call: 0 ms means the agent is ready at once. */
export interface WrapUp { ms: number; maxMs: number; stepMs: number }
export const NO_WRAPUP: WrapUp = { ms: 0, maxMs: 0, stepMs: 0 };
export interface AgentState {
  agentId: string;
  state: AgentStateName;
  reason: string | null;
  since: number | null;
  idleSince: number | null;
  callId: string | null;
  offerToken: string | null;
  callsToday: number;
  queues: string[];
  wrapUpUntil: number | null;
  wrapUpQueue: string | null;
  /** Queues where the agent is paused on its own (queue → reason) while taking calls from the others. */
  pausedQueues: Record<string, string>;
  /** The phone as the ACD last saw it: offline (unregistered) or busy (a call not ours) take no offers. */
  device: 'online' | 'offline' | 'busy';
}

export type CallStateName = 'waiting' | 'offered' | 'connected' | 'ended' | 'abandoned' | 'callback'
  | 'scheduled' | 'attempted' | 'completed' | 'cancelled' | 'parked';
/** A caller's call, or (kind 'callback') a callback request: both wait in the same queue order. */
export interface CallRecord {
  id: string;
  kind?: 'callback';
  queueId: string;
  node: string;
  state: CallStateName;
  callerNumber: string;
  callerName: string;
  channelId: string;
  enqueuedAt: number;
  vtime: number;
  agentId?: string;
  offerToken?: string;
  agentChannelId?: string;
  bridgeId?: string;
  answeredAt?: number;
  endedAt?: number;
  // callback requests
  message?: string;
  attempts?: number;
  maxAttempts?: number;
  preferredAgentId?: string;
  preferredUntil?: number;
  dueAt?: number;
  createdAt?: number;
  lastOutcome?: string;
  lastAgentId?: string;
  fromCallId?: string;
  servedBy?: string;
  disposition?: string;
  parkSlot?: string;
  parkedBy?: string;
  tags?: string;
  notes?: string;
  /** Caller priority and the caller's own required skills (JSON), set from the dialplan or the API. */
  priority?: number;
  skills?: string;
  /** When the caller joined its current queue (enqueuedAt stays the first arrival). */
  queuedAt?: number;
  /** Ring-all: the agents ringing (JSON: agentId → channel id). */
  ringAll?: string;
}

export interface CallbackAttempt { n: number; at: number; agentId: string; outcome: string; talkMs: number }

/** A call recording's metadata. Offsets (ms) are positions in the file: a pause is silence in it. */
export interface RecordingRecord {
  id: string; callId: string; queueId: string; agentId: string; node: string; name: string;
  state: 'recording' | 'paused' | 'stopped' | 'failed';
  startedAt: number; startedBy: string; endedAt?: number; durationMs?: number;
  pausedIntervals: { fromMs: number; toMs: number }[];
  pausedFrom?: number;
}

/** A prepared audio clip: personal (ownerAgentId set) or public. `file` is its name in the clips directory. */
export interface ClipRecord {
  id: string; name: string; scope: 'personal' | 'public'; ownerAgentId?: string; createdBy: string;
  createdAt: number; updatedAt: number; archived: boolean; file: string; sampleRate: number; durationMs: number; bytes: number;
}
