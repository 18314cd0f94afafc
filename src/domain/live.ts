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
/**
 * The fields every call hash has (src/calls/queueing and src/calls/core write them at arrival): a
 * caller's call, or (kind 'callback') a callback request. Each feature's own fields are a group below.
 */
export interface CallRecordBase {
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
  endedAt?: number;
  /** '1': ended because its controller died (src/cluster, call_lost.lua). */
  lost?: string;
}
/** Waiting in a queue (src/calls/queueing): the caller's place and what it needs of an agent. */
export interface QueueingFields {
  /** Caller priority and the caller's own required skills (JSON), set from the dialplan or the API. */
  priority?: number;
  skills?: string;
  /** When the caller joined its current queue (enqueuedAt stays the first arrival). */
  queuedAt?: number;
}
/** An offer to an agent and the connected call it becomes (src/calls/core/offers.ts, src/calls/core/call.ts). */
export interface OfferFields {
  agentId?: string;
  offerToken?: string;
  agentChannelId?: string;
  bridgeId?: string;
  answeredAt?: number;
  /** The controller node that placed the offer (a callback's dialer checks it is its own). */
  servedBy?: string;
  /** Ring-all: the agents ringing (JSON: agentId → channel id). */
  ringAll?: string;
}
/** A callback request (src/callbacks): its attempts, preferred agent and the call it came from. */
export interface CallbackFields {
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
}
/** A parked call (src/calls/park): its slot and the agent who parked it. */
export interface ParkFields {
  parkSlot?: string;
  parkedBy?: string;
}
/** The agent's after-call classification of the call (src/calls/dispositions.ts). */
export interface DispositionFields {
  disposition?: string;
  tags?: string;
  notes?: string;
}
/** A caller's call, or (kind 'callback') a callback request: both wait in the same queue order. */
export type CallRecord = CallRecordBase & QueueingFields & OfferFields & CallbackFields & ParkFields & DispositionFields;

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
