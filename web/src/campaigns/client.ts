/**
 * The campaign API (issue #15), typed after its contract: campaigns of people to call back, their
 * entries, agents, live figures and calls, and the missed calls they are drawn from.
 */
import { api, enc } from '../api';
import { duration } from '../format';

export type CampaignState = 'active' | 'paused';
export interface RetryRule { attempts: number; afterSec: number }
export interface CampaignOptions {
  retry?: { busy?: RetryRule; noAnswer?: RetryRule; failed?: RetryRule };
  callingHours?: { from: string; to: string; defaultTimeZone: string };
  doNotCall?: boolean;
  skipIfAnsweredInbound?: boolean;
  onePerNumberPerDay?: boolean;
}
export interface Campaign {
  id: string; name: string; state: CampaignState; agents: string[]; inboundFirst: boolean;
  outboundPolicy?: Record<string, unknown>; options: CampaignOptions; createdAt: string;
}
export type EntryStatus = 'waiting' | 'dialing' | 'handled' | 'not_completed';
export const ENTRY_STATUSES: EntryStatus[] = ['waiting', 'dialing', 'handled', 'not_completed'];
export const STATUS_LABEL: Record<EntryStatus, string> = { waiting: 'waiting', dialing: 'dialing', handled: 'handled', not_completed: 'not completed' };
export type Outcome = 'answered' | 'no_answer' | 'busy' | 'failed' | 'refused';
export interface Entry {
  id: string; campaignId: string; number: string; name?: string; details: Record<string, string>;
  status: EntryStatus; source: 'missed' | 'csv' | 'api'; missedCallId?: string; addedAt: string; attempts: number;
  lastOutcome?: Outcome; agentId?: string; dialedAt?: string; resolvedAt?: string;
}
export interface CampaignAgent { agentId: string; name: string; loggedIn: boolean; paused: boolean; pauseReason?: string; agentState: string }
export interface CampaignStats {
  campaignId: string; total: number; notDialed: number; percentDialed: number; agentsLoggedIn: number;
  avgHandleSec: number | null; callsToday: number; byStatus: Record<EntryStatus, number>;
}
export type CallState = 'agent_ringing' | 'customer_ringing' | 'connected';
export const CALL_STATE_LABEL: Record<CallState, string> = { agent_ringing: 'agent ringing', customer_ringing: 'customer ringing', connected: 'connected' };
export interface CampaignCall {
  entryId: string; campaignId: string; agentId: string; number: string; name?: string; state: CallState; since: string;
  /** not in the contract's shape: shown when the back end gives the contact's details with the call */
  details?: Record<string, string>;
}
export interface MissedCall {
  callId: string; queueId: string; number: string; name?: string; at: string; waitedSec: number;
  outcome: 'abandoned' | 'timeout'; campaignIds: string[];
}
export interface RefusedEntry { index: number; value: string; code: string; reason: string }
export interface RefusedLine { line: number; value: string; code: string; reason: string }
export interface NewEntry { number: string; name?: string; details?: Record<string, string> }
export interface CampaignInput { id?: string; name: string; inboundFirst?: boolean; agents?: string[]; options?: CampaignOptions }

const base = (id: string) => `/campaigns/${enc(id)}`;
const query = (q: Record<string, string | number | boolean | undefined>) => {
  const s = Object.entries(q).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
  return s ? `?${s}` : '';
};

export const campaigns = {
  list: async () => (await api<{ campaigns: Campaign[] }>('GET', '/campaigns')).campaigns,
  get: (id: string) => api<Campaign>('GET', base(id)),
  create: (c: CampaignInput) => api<Campaign>('POST', '/campaigns', c),
  update: (id: string, c: Partial<Omit<CampaignInput, 'id' | 'agents'>>) => api<Campaign>('PATCH', base(id), c),
  remove: (id: string) => api<void>('DELETE', base(id)),
  pause: (id: string) => api<Campaign>('POST', `${base(id)}/pause`),
  resume: (id: string) => api<Campaign>('POST', `${base(id)}/resume`),

  agents: async (id: string) => (await api<{ agents: CampaignAgent[] }>('GET', `${base(id)}/agents`)).agents,
  assign: async (id: string, agentId: string) => (await api<{ agents: CampaignAgent[] }>('PUT', `${base(id)}/agents/${enc(agentId)}`)).agents,
  unassign: async (id: string, agentId: string) => (await api<{ agents: CampaignAgent[] }>('DELETE', `${base(id)}/agents/${enc(agentId)}`)).agents,
  /** log in / log out / ready (unpause) / pause, for oneself or (supervisor) for an agent */
  agentAction: (id: string, agentId: string, action: 'login' | 'logout' | 'ready' | 'pause', reason?: string) =>
    api<CampaignAgent>('POST', `${base(id)}/agents/${enc(agentId)}/${action}`, action === 'pause' ? { reason } : {}),

  entries: (id: string, q: { status?: EntryStatus | ''; limit?: number; offset?: number } = {}) =>
    api<{ entries: Entry[]; total: number }>('GET', `${base(id)}/entries${query(q)}`),
  addEntries: (id: string, entries: NewEntry[]) => api<{ added: Entry[]; refused: RefusedEntry[] }>('POST', `${base(id)}/entries`, { entries }),
  addMissed: (id: string, missedCallIds: string[]) => api<{ added: Entry[]; refused: RefusedEntry[] }>('POST', `${base(id)}/entries`, { missedCallIds }),
  /** the file goes as it is (text/csv): the server streams it, so a CRM export of 100,000 rows is fine */
  importCsv: (id: string, file: Blob, phoneColumn: string, header: boolean) =>
    api<{ added: number; refused: RefusedLine[] }>('POST', `${base(id)}/entries/import${query({ phoneColumn, header })}`, undefined, { raw: file, contentType: 'text/csv' }),
  moveEntries: (id: string, entryIds: string[], toCampaignId: string) => api<{ moved: number }>('POST', `${base(id)}/entries/move`, { entryIds, toCampaignId }),
  deleteEntries: (id: string, entryIds: string[]) => api<{ deleted: number }>('POST', `${base(id)}/entries/delete`, { entryIds }),
  deleteEntry: (id: string, entryId: string) => api<void>('DELETE', `${base(id)}/entries/${enc(entryId)}`),

  stats: (id: string) => api<CampaignStats>('GET', `${base(id)}/stats`),
  calls: async (id: string) => (await api<{ calls: CampaignCall[] }>('GET', `${base(id)}/calls`)).calls,

  /** the do-not-call list, checked at dial time by campaigns with the doNotCall option */
  doNotCall: async () => (await api<{ numbers: string[] }>('GET', '/campaigns/do-not-call')).numbers,
  setDoNotCall: async (numbers: string[]) => (await api<{ numbers: string[] }>('PUT', '/campaigns/do-not-call', { numbers })).numbers,

  missed: async (q: { from?: string; to?: string; queueId?: string; limit?: number } = {}) =>
    (await api<{ missed: MissedCall[] }>('GET', `/history/missed${query(q)}`)).missed,
};

/** The WebSocket events of the contract. */
export interface CampaignUpdatedEvent { type: 'campaign.updated'; campaignId: string; campaign: Campaign | null }
/** status 'deleted' for a deleted entry; `movedFrom` on an entry moved in from another campaign (both beyond the contract's shape) */
export interface CampaignEntryEvent { type: 'campaign.entry'; campaignId: string; entryId: string; status: EntryStatus | 'deleted'; lastOutcome?: Outcome; agentId?: string; movedFrom?: string }
export interface CampaignEntriesAddedEvent { type: 'campaign.entries_added'; campaignId: string; count: number }
export interface CampaignAgentEvent { type: 'campaign.agent'; campaignId: string; agentId: string; loggedIn: boolean; paused: boolean; pauseReason?: string }
/** the contact's number and name come with agent_ringing (beyond the contract's shape) */
export interface CampaignCallEvent { type: 'campaign.call'; campaignId: string; entryId: string; agentId: string; state: CallState | 'ended'; number?: string; name?: string }
export interface CampaignStatsEvent { type: 'campaign.stats'; campaignId: string; stats: CampaignStats }
export type CampaignEvent = CampaignUpdatedEvent | CampaignEntryEvent | CampaignEntriesAddedEvent | CampaignAgentEvent | CampaignCallEvent | CampaignStatsEvent;
export const isCampaignEvent = (e: { type: string }): e is CampaignEvent => e.type.startsWith('campaign.');

/** Seconds as m:ss (h:mm:ss from an hour), '–' while there is no figure. */
export const seconds = (s: number | null | undefined) => (s === null || s === undefined ? '–' : duration(s * 1000));
