import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TEST_ENV, uniqueSchema } from '../support/env';
import { ADMIN_TOKEN, Controller } from './harness/controller';
import { allocatePort } from './harness/ports';

type Who = 'nobody' | 'admin' | 'supervisor' | 'supervisorPlus' | 'agent';
const WHO: Who[] = ['nobody', 'admin', 'supervisor', 'supervisorPlus', 'agent'];
const TOKENS: Record<Who, string | null> = {
  nobody: null,
  admin: ADMIN_TOKEN,
  supervisor: 'matrix-supervisor-token-01',       // supervises sales, default permissions
  supervisorPlus: 'matrix-supervisor-token-02',   // supervises sales; configAccess, accessRecordings, manageQueues
  agent: 'matrix-agent-token-a1-00001',           // agent a1 (sales)
};

/** A supervisor with configAccess but not manageQueues: agents and settings yes, queues no. */
const CONFIG_ONLY_TOKEN = 'matrix-supervisor-token-03';

const fresh = (p: string) => `${p}${randomUUID().slice(0, 8)}`;
const staticPhone = (id: string) => ({ mode: 'static', contact: `sip:${id}@127.0.0.1:5990` });

interface Row {
  method: string;
  /** The route as the OpenAPI document names it. */
  route: string;
  /** Roles the route lets through; the others get 403 (and no token 401), except public routes. */
  allowed: Who[] | 'public';
  /** Statuses that count as "let through" for this cell: 2xx unless the fixture cannot make it so. */
  ok?: number[];
  /**
   * The code a "let through" 404 must carry (the fixture's unknown call, monitor, ...): a 404 alone
   * would also pass for a deleted route (ROUTE_NOT_FOUND).
   */
  notFound?: string;
  /** Builds the request for one cell (fixtures created per cell as admin). */
  make: (ctl: Controller, who: Who) => Promise<{ url: string; body?: unknown }>;
}

const STAFF: Who[] = ['admin', 'supervisor', 'supervisorPlus'];
const EVERYONE: Who[] = ['admin', 'supervisor', 'supervisorPlus', 'agent'];
const CONFIG: Who[] = ['admin', 'supervisorPlus'];
const STATE_CHANGE = [200, 409];   // the permission passed; the agent's state decides the rest

const newAgent = async (ctl: Controller, queue = 'sales') => {
  const id = fresh('m');
  await ctl.ok('POST', '/agents', { id, name: 'Matrix', queues: [queue], phone: staticPhone(id) });
  return id;
};
const newUser = async (ctl: Controller) => {
  const id = fresh('u');
  await ctl.ok('POST', '/users', { id, role: 'supervisor' });
  return id;
};
/** Queue extensions are unique: each fixture or body gets its own. */
let nextExtension = 8600;
const newQueue = async (ctl: Controller) => {
  const id = fresh('q');
  await ctl.ok('POST', '/queues', { id, name: 'Matrix', extension: String(nextExtension++) });
  return id;
};
const newCallback = async (ctl: Controller) => (await ctl.ok('POST', '/callbacks', { queueId: 'sales', number: '15550999' })).id as string;
/** A public clip uploaded by the admin: a 0.1 s WAV (16-bit PCM, mono, 8 kHz) as the raw body. */
const newClip = async (ctl: Controller) => {
  const wav = Buffer.alloc(44 + 1600);
  wav.write('RIFF', 0); wav.writeUInt32LE(36 + 1600, 4); wav.write('WAVEfmt ', 8); wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22); wav.writeUInt32LE(8000, 24); wav.writeUInt32LE(16000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34);
  wav.write('data', 36); wav.writeUInt32LE(1600, 40);
  const res = await fetch(`${ctl.api}/clips?name=matrix&scope=public`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'audio/wav' }, body: wav });
  if (res.status !== 201) throw new Error(`clip upload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
};

/** A campaign with agent a1 assigned (campaigns: docs/campaigns-api.md). */
const newCampaign = async (ctl: Controller) => (await ctl.ok('POST', '/campaigns', { id: fresh('c'), name: 'Matrix', agents: ['a1'] })).id as string;
const newCampaignEntry = async (ctl: Controller, campaignId: string) => (await ctl.ok('POST', `/campaigns/${campaignId}/entries`, { entries: [{ number: '15550997' }] })).added[0].id as string;

const ROWS: Row[] = [
  // campaigns: staff manage them; an agent reads those it is assigned to and logs itself in and out of them
  { method: 'GET', route: '/campaigns', allowed: EVERYONE, make: async () => ({ url: '/campaigns' }) },
  { method: 'POST', route: '/campaigns', allowed: STAFF, ok: [201], make: async () => ({ url: '/campaigns', body: { id: fresh('c'), name: 'New' } }) },
  { method: 'GET', route: '/campaigns/do-not-call', allowed: STAFF, make: async () => ({ url: '/campaigns/do-not-call' }) },
  { method: 'PUT', route: '/campaigns/do-not-call', allowed: STAFF, make: async () => ({ url: '/campaigns/do-not-call', body: { numbers: ['15550996'] } }) },
  { method: 'GET', route: '/campaigns/{id}', allowed: EVERYONE, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}` }) },
  { method: 'PATCH', route: '/campaigns/{id}', allowed: STAFF, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}`, body: { name: 'Renamed' } }) },
  { method: 'DELETE', route: '/campaigns/{id}', allowed: STAFF, ok: [204], make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}` }) },
  ...(['pause', 'resume'] as const).map((a): Row => ({ method: 'POST', route: `/campaigns/{id}/${a}`, allowed: STAFF, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/${a}` }) })),
  { method: 'GET', route: '/campaigns/{id}/agents', allowed: EVERYONE, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/agents` }) },
  { method: 'PUT', route: '/campaigns/{id}/agents/{agentId}', allowed: STAFF, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/agents/a2` }) },
  { method: 'DELETE', route: '/campaigns/{id}/agents/{agentId}', allowed: STAFF, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/agents/a1` }) },
  // a fresh campaign each cell: a1 is not logged in to it, so ready and pause show as 409 AGENT_NOT_LOGGED_IN
  ...(['login', 'logout', 'ready', 'pause'] as const).map((a): Row => ({
    method: 'POST', route: `/campaigns/{id}/agents/{agentId}/${a}`, allowed: EVERYONE, ok: STATE_CHANGE,
    make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/agents/a1/${a}`, body: a === 'pause' ? { reason: 'lunch' } : undefined }),
  })),
  { method: 'GET', route: '/campaigns/{id}/entries', allowed: EVERYONE, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/entries` }) },
  { method: 'POST', route: '/campaigns/{id}/entries', allowed: STAFF, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/entries`, body: { entries: [{ number: '15550995' }] } }) },
  // the matrix sends JSON: a role let through is answered 415 (the import takes text/csv)
  { method: 'POST', route: '/campaigns/{id}/entries/import', allowed: STAFF, ok: [415], make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/entries/import`, body: { csv: 'phone' } }) },
  { method: 'POST', route: '/campaigns/{id}/entries/move', allowed: STAFF, make: async (ctl) => { const c = await newCampaign(ctl); return { url: `/campaigns/${c}/entries/move`, body: { entryIds: [await newCampaignEntry(ctl, c)], toCampaignId: await newCampaign(ctl) } }; } },
  { method: 'POST', route: '/campaigns/{id}/entries/delete', allowed: STAFF, make: async (ctl) => { const c = await newCampaign(ctl); return { url: `/campaigns/${c}/entries/delete`, body: { entryIds: [await newCampaignEntry(ctl, c)] } }; } },
  { method: 'DELETE', route: '/campaigns/{id}/entries/{entryId}', allowed: STAFF, ok: [204], make: async (ctl) => { const c = await newCampaign(ctl); return { url: `/campaigns/${c}/entries/${await newCampaignEntry(ctl, c)}` }; } },
  { method: 'GET', route: '/campaigns/{id}/stats', allowed: EVERYONE, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/stats` }) },
  { method: 'GET', route: '/campaigns/{id}/calls', allowed: EVERYONE, make: async (ctl) => ({ url: `/campaigns/${await newCampaign(ctl)}/calls` }) },
  { method: 'GET', route: '/reports/campaigns', allowed: STAFF, make: async () => ({ url: '/reports/campaigns' }) },
  { method: 'GET', route: '/health', allowed: 'public', make: async () => ({ url: '/health' }) },
  { method: 'GET', route: '/openapi.json', allowed: 'public', make: async () => ({ url: '/openapi.json' }) },
  { method: 'GET', route: '/queues', allowed: EVERYONE, make: async () => ({ url: '/queues' }) },
  { method: 'GET', route: '/queues/{id}', allowed: EVERYONE, make: async () => ({ url: '/queues/sales' }) },
  // queue configuration: admins and supervisors with manageQueues (supervisorPlus has it)
  { method: 'POST', route: '/queues', allowed: CONFIG, ok: [201], make: async () => ({ url: '/queues', body: { id: fresh('q'), name: 'New', extension: String(nextExtension++) } }) },
  { method: 'PUT', route: '/queues/{id}', allowed: CONFIG, make: async (ctl) => ({ url: `/queues/${await newQueue(ctl)}`, body: { name: 'Renamed', extension: String(nextExtension++), ringTimeoutSec: 10 } }) },
  { method: 'DELETE', route: '/queues/{id}', allowed: CONFIG, ok: [204], make: async (ctl) => ({ url: `/queues/${await newQueue(ctl)}` }) },
  // organisation settings: staff read, configAccess changes
  { method: 'GET', route: '/settings', allowed: STAFF, make: async () => ({ url: '/settings' }) },
  { method: 'PUT', route: '/settings', allowed: CONFIG, make: async () => ({ url: '/settings', body: { allowUnassignedQueueLogin: false } }) },
  { method: 'GET', route: '/queues/{id}/calls', allowed: STAFF, make: async () => ({ url: '/queues/sales/calls' }) },
  // real-time metrics: an agent reads its queues' and its own; the waiting callers list is for staff
  { method: 'GET', route: '/queues/{id}/stats', allowed: EVERYONE, make: async () => ({ url: '/queues/sales/stats' }) },
  { method: 'GET', route: '/agents/{id}/stats', allowed: EVERYONE, make: async () => ({ url: '/agents/a1/stats' }) },
  { method: 'GET', route: '/stats/queues', allowed: EVERYONE, make: async () => ({ url: '/stats/queues' }) },
  { method: 'GET', route: '/stats/waiting', allowed: STAFF, make: async () => ({ url: '/stats/waiting' }) },
  { method: 'GET', route: '/agents', allowed: STAFF, make: async () => ({ url: '/agents' }) },
  { method: 'POST', route: '/agents', allowed: CONFIG, make: async () => { const id = fresh('n'); return { url: '/agents', body: { id, name: 'N', queues: ['sales'], phone: staticPhone(id) } }; } },
  { method: 'GET', route: '/agents/{id}', allowed: EVERYONE, make: async () => ({ url: '/agents/a1' }) },
  { method: 'PUT', route: '/agents/{id}', allowed: CONFIG, make: async (ctl) => { const id = await newAgent(ctl); return { url: `/agents/${id}`, body: { name: 'Renamed', queues: ['sales'], phone: staticPhone(id) } }; } },
  { method: 'DELETE', route: '/agents/{id}', allowed: CONFIG, make: async (ctl) => ({ url: `/agents/${await newAgent(ctl)}` }) },
  ...(['login', 'logout', 'ready', 'pause'] as const).map((a): Row => ({
    method: 'POST', route: `/agents/{id}/${a}`, allowed: EVERYONE, ok: STATE_CHANGE,
    make: async () => ({ url: `/agents/a1/${a}`, body: a === 'pause' ? { reason: 'lunch' } : undefined }),
  })),
  { method: 'GET', route: '/calls', allowed: STAFF, make: async () => ({ url: '/calls' }) },
  // a1 is not in wrap-up and no call exists here: "let through" shows as 409 / 404
  ...(['extend', 'end'] as const).map((a): Row => ({ method: 'POST', route: `/agents/{id}/wrapup/${a}`, allowed: EVERYONE, ok: [409], make: async () => ({ url: `/agents/a1/wrapup/${a}` }) })),
  { method: 'GET', route: '/calls/{id}', allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call' }) },
  // in-call control needs a live call; with none, every role is answered 404 before any role check
  // would matter, so these cells show the route exists for all and leaks nothing about calls
  { method: 'GET', route: '/pause-reasons', allowed: EVERYONE, make: async () => ({ url: '/pause-reasons' }) },
  { method: 'POST', route: '/pause-reasons', allowed: ['admin'], make: async () => ({ url: '/pause-reasons', body: { code: fresh('r'), name: 'R' } }) },
  { method: 'DELETE', route: '/pause-reasons/{code}', allowed: ['admin'], make: async (ctl) => { const code = fresh('r'); await ctl.ok('POST', '/pause-reasons', { code, name: 'R' }); return { url: `/pause-reasons/${code}` }; } },
  { method: 'GET', route: '/parked', allowed: EVERYONE, make: async () => ({ url: '/parked' }) },
  { method: 'POST', route: '/parked/{slot}/retrieve', allowed: EVERYONE, ok: [404], notFound: 'PARKED_CALL_NOT_FOUND', make: async () => ({ url: '/parked/99/retrieve', body: {} }) },
  { method: 'DELETE', route: '/calls/{id}/conference/{partyId}', allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call/conference/p1' }) },
  ...([['hold', undefined], ['unhold', undefined], ['dtmf', { digits: '1' }], ['transfer', { queueId: 'sales' }], ['conference', { extension: '7002' }],
    ['consult', { extension: '7002' }], ['consult/complete', undefined], ['consult/cancel', undefined], ['park', undefined], ['hangup', undefined]] as const).map(([a, body]): Row => ({
    method: 'POST', route: `/calls/{id}/${a}`, allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: `/calls/no-such-call/${a}`, body }),
  })),
  { method: 'POST', route: '/calls/{id}/disposition', allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call/disposition', body: { notes: 'x' } }) },
  { method: 'POST', route: '/calls/{id}/routing', allowed: STAFF, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call/routing', body: { priority: 1 } }) },
  { method: 'POST', route: '/callbacks', allowed: STAFF, ok: [201], make: async () => ({ url: '/callbacks', body: { queueId: 'sales', number: '15550998' } }) },
  { method: 'GET', route: '/callbacks', allowed: EVERYONE, make: async () => ({ url: '/callbacks' }) },
  { method: 'GET', route: '/callbacks/{id}', allowed: EVERYONE, make: async (ctl) => ({ url: `/callbacks/${await newCallback(ctl)}` }) },
  { method: 'GET', route: '/callbacks/{id}/message', allowed: EVERYONE, ok: [404], notFound: 'CALLBACK_MESSAGE_NOT_FOUND', make: async (ctl) => ({ url: `/callbacks/${await newCallback(ctl)}/message` }) },
  { method: 'POST', route: '/callbacks/{id}/complete', allowed: STAFF, make: async (ctl) => ({ url: `/callbacks/${await newCallback(ctl)}/complete` }) },
  { method: 'POST', route: '/callbacks/{id}/reschedule', allowed: STAFF, make: async (ctl) => ({ url: `/callbacks/${await newCallback(ctl)}/reschedule`, body: { at: new Date(Date.now() + 3_600_000).toISOString() } }) },
  { method: 'POST', route: '/callbacks/{id}/cancel', allowed: STAFF, make: async (ctl) => ({ url: `/callbacks/${await newCallback(ctl)}/cancel` }) },
  { method: 'GET', route: '/users', allowed: ['admin'], make: async () => ({ url: '/users' }) },
  { method: 'POST', route: '/users', allowed: ['admin'], make: async () => ({ url: '/users', body: { id: fresh('u'), role: 'agent', agentId: 'a2' } }) },
  { method: 'GET', route: '/users/{id}', allowed: ['admin'], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}` }) },
  { method: 'PUT', route: '/users/{id}', allowed: ['admin'], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}`, body: { role: 'supervisor', supervisedQueues: ['sales'] } }) },
  { method: 'DELETE', route: '/users/{id}', allowed: ['admin'], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}` }) },
  { method: 'GET', route: '/users/{id}/tokens', allowed: ['admin'], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}/tokens` }) },
  { method: 'POST', route: '/users/{id}/tokens', allowed: ['admin'], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}/tokens`, body: { label: 'x' } }) },
  {
    method: 'DELETE', route: '/users/{id}/tokens/{tokenId}', allowed: ['admin'],
    make: async (ctl) => { const u = await newUser(ctl); const t = await ctl.ok('POST', `/users/${u}/tokens`, {}); return { url: `/users/${u}/tokens/${t.tokenId}` }; },
  },
  // no live call in this test: "let through" shows as 404 (unknown call) or 409 (agent not on a call)
  { method: 'POST', route: '/calls/{id}/monitor', allowed: STAFF, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call/monitor', body: { mode: 'listen' } }) },
  { method: 'POST', route: '/agents/{id}/monitor', allowed: STAFF, ok: [409], make: async () => ({ url: '/agents/a1/monitor', body: { mode: 'listen' } }) },
  { method: 'GET', route: '/monitors', allowed: STAFF, make: async () => ({ url: '/monitors' }) },
  { method: 'GET', route: '/monitors/{id}', allowed: STAFF, ok: [404], notFound: 'MONITOR_NOT_FOUND', make: async () => ({ url: '/monitors/none' }) },
  { method: 'PATCH', route: '/monitors/{id}', allowed: STAFF, ok: [404], notFound: 'MONITOR_NOT_FOUND', make: async () => ({ url: '/monitors/none', body: { mode: 'barge' } }) },
  { method: 'DELETE', route: '/monitors/{id}', allowed: STAFF, ok: [404], notFound: 'MONITOR_NOT_FOUND', make: async () => ({ url: '/monitors/none' }) },
  ...(['start', 'stop', 'pause', 'resume'] as const).map((a): Row => ({
    method: 'POST', route: `/calls/{id}/recording/${a}`, allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: `/calls/no-such-call/recording/${a}` }),
  })),
  { method: 'GET', route: '/recordings', allowed: ['admin', 'supervisorPlus'], make: async () => ({ url: '/recordings' }) },
  { method: 'GET', route: '/recordings/{id}', allowed: ['admin', 'supervisorPlus'], ok: [404], notFound: 'RECORDING_NOT_FOUND', make: async () => ({ url: '/recordings/none' }) },
  { method: 'GET', route: '/recordings/{id}/audio', allowed: ['admin', 'supervisorPlus'], ok: [404], notFound: 'RECORDING_NOT_FOUND', make: async () => ({ url: '/recordings/none/audio' }) },
  // clips: everyone reads public ones; an agent manages only their own (an empty upload shows the role passed: 422)
  { method: 'GET', route: '/clips', allowed: EVERYONE, make: async () => ({ url: '/clips' }) },
  { method: 'POST', route: '/clips', allowed: EVERYONE, ok: [422], make: async () => ({ url: '/clips?name=empty' }) },
  { method: 'GET', route: '/clips/{id}', allowed: EVERYONE, make: async (ctl) => ({ url: `/clips/${await newClip(ctl)}` }) },
  { method: 'GET', route: '/clips/{id}/audio', allowed: EVERYONE, ok: [404], notFound: 'CLIP_NOT_FOUND', make: async () => ({ url: '/clips/none/audio' }) },
  { method: 'PATCH', route: '/clips/{id}', allowed: STAFF, make: async (ctl) => ({ url: `/clips/${await newClip(ctl)}`, body: { name: 'Renamed' } }) },
  { method: 'DELETE', route: '/clips/{id}', allowed: STAFF, make: async (ctl) => ({ url: `/clips/${await newClip(ctl)}` }) },
  { method: 'POST', route: '/calls/{id}/play', allowed: EVERYONE, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/calls/no-such-call/play', body: { clipId: 'none' } }) },
  // history reports: "view reports" (supervisors by default, within their queues); an agent its own productivity
  ...(['/reports/queues', '/reports/agents', '/reports/dispositions', '/history/calls', '/history/missed'] as const).map((route): Row => ({
    method: 'GET', route, allowed: STAFF, make: async () => ({ url: `${route}?from=2026-01-01&to=2026-01-31` }),
  })),
  { method: 'GET', route: '/history/calls/{id}', allowed: STAFF, ok: [404], notFound: 'CALL_NOT_FOUND', make: async () => ({ url: '/history/calls/no-such-call' }) },
  { method: 'GET', route: '/agents/{id}/productivity', allowed: EVERYONE, make: async () => ({ url: '/agents/a1/productivity' }) },
  // sign-in needs no token; sign-out with an API token (these cells) is let through and answered 409 NOT_A_SESSION
  { method: 'POST', route: '/sessions', allowed: 'public', ok: [201], make: async () => ({ url: '/sessions', body: { username: 'pw', password: 'matrix-password-1' } }) },
  { method: 'GET', route: '/sessions/current', allowed: EVERYONE, make: async () => ({ url: '/sessions/current' }) },
  { method: 'DELETE', route: '/sessions/current', allowed: EVERYONE, ok: [409], make: async () => ({ url: '/sessions/current' }) },
  // an admin sets anyone's password (others may change only their own, with the current one)
  { method: 'PUT', route: '/users/{id}/password', allowed: ['admin'], ok: [204], make: async (ctl) => ({ url: `/users/${await newUser(ctl)}/password`, body: { password: 'a-new-password-1' } }) },
  { method: 'GET', route: '/wallboards', allowed: STAFF, make: async () => ({ url: '/wallboards' }) },
  { method: 'POST', route: '/wallboards', allowed: STAFF, ok: [201], make: async () => ({ url: '/wallboards', body: { name: 'New', widgets: [{ kind: 'callersWaiting', queues: ['sales'] }] } }) },
  { method: 'GET', route: '/wallboards/{id}', allowed: STAFF, make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}` }) },
  { method: 'PUT', route: '/wallboards/{id}', allowed: STAFF, make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}`, body: { name: 'Renamed', widgets: [] } }) },
  { method: 'DELETE', route: '/wallboards/{id}', allowed: STAFF, ok: [204], make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}` }) },
  { method: 'POST', route: '/wallboards/{id}/archive', allowed: STAFF, make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}/archive` }) },
  {
    method: 'POST', route: '/wallboards/{id}/unarchive', allowed: STAFF,
    make: async (ctl) => { const id = await newWallboard(ctl); await ctl.ok('POST', `/wallboards/${id}/archive`); return { url: `/wallboards/${id}/unarchive` }; },
  },
  { method: 'GET', route: '/wallboards/{id}/displays', allowed: STAFF, make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}/displays` }) },
  { method: 'POST', route: '/wallboards/{id}/displays', allowed: STAFF, ok: [201], make: async (ctl) => ({ url: `/wallboards/${await newWallboard(ctl)}/displays`, body: { label: 'TV' } }) },
  {
    method: 'DELETE', route: '/wallboards/{id}/displays/{tokenId}', allowed: STAFF, ok: [204],
    make: async (ctl) => { const id = await newWallboard(ctl); const d = await ctl.ok('POST', `/wallboards/${id}/displays`, {}); return { url: `/wallboards/${id}/displays/${d.tokenId}` }; },
  },
  // skills: viewSkills reads (supervisors have it by default), manageSkills sets (admins only here)
  { method: 'GET', route: '/skills', allowed: STAFF, make: async () => ({ url: '/skills' }) },
  { method: 'PUT', route: '/agents/{id}/skills', allowed: ['admin'], make: async () => ({ url: '/agents/a2/skills', body: { skills: { french: 2 } } }) },
  // a TV reads with its display token (in the URL), whoever else it is: no user token needed or used
  {
    method: 'GET', route: '/display', allowed: 'public',
    make: async (ctl) => { const id = await newWallboard(ctl); const d = await ctl.ok('POST', `/wallboards/${id}/displays`, {}); return { url: `/display?token=${d.token}` }; },
  },
];

/** A wallboard on sales, which every supervisor here supervises. */
const newWallboard = async (ctl: Controller) =>
  (await ctl.ok('POST', '/wallboards', { name: fresh('wb'), widgets: [{ kind: 'callersWaiting', queues: ['sales'] }] })).id as string;

/** Scope, beyond the role: the same route on something outside the caller's reach is 403. */
const SCOPE_ROWS: { what: string; who: Who; method: string; url: string; body?: unknown }[] = [
  { what: 'an agent reading another agent', who: 'agent', method: 'GET', url: '/agents/a2' },
  { what: 'an agent reading a campaign it is not assigned to', who: 'agent', method: 'GET', url: '/campaigns/matrix-other' },
  { what: 'an agent logging another agent in to a campaign', who: 'agent', method: 'POST', url: '/campaigns/matrix-other/agents/a2/login' },
  { what: 'an agent logging in another agent', who: 'agent', method: 'POST', url: '/agents/a2/login' },
  { what: 'a supervisor acting on an agent outside their queues', who: 'supervisor', method: 'POST', url: '/agents/a3/pause', body: { reason: 'lunch' } },
  { what: 'a supervisor reading the calls of a queue they do not supervise', who: 'supervisor', method: 'GET', url: '/queues/support/calls' },
  { what: 'a supervisor reading the metrics of a queue they do not supervise', who: 'supervisor', method: 'GET', url: '/queues/support/stats' },
  { what: 'an agent reading the metrics of a queue it is not in', who: 'agent', method: 'GET', url: '/queues/support/stats' },
  { what: 'an agent reading another agent\'s metrics', who: 'agent', method: 'GET', url: '/agents/a2/stats' },
  { what: 'a supervisor reading the metrics of an agent outside their queues', who: 'supervisor', method: 'GET', url: '/agents/a3/stats' },
  { what: 'an agent reading another agent\'s productivity', who: 'agent', method: 'GET', url: '/agents/a2/productivity' },
  { what: 'a supervisor reading the productivity of an agent outside their queues', who: 'supervisor', method: 'GET', url: '/agents/a3/productivity' },
  { what: 'a supervisor reporting on a queue they do not supervise', who: 'supervisor', method: 'GET', url: '/reports/queues?from=2026-01-01&to=2026-01-31&queue=support' },
  { what: 'a supervisor asking a callback in a queue they do not supervise', who: 'supervisor', method: 'POST', url: '/callbacks', body: { queueId: 'support', number: '15550997' } },
  { what: 'a supervisor reading a wallboard of a queue they do not supervise', who: 'supervisor', method: 'GET', url: '/wallboards/wb-support' },
  { what: 'a supervisor setting another user\'s password', who: 'supervisor', method: 'PUT', url: '/users/al/password', body: { password: 'not-allowed-1' } },
];

describe('every route × every role', function () {
  this.timeout(60_000);
  let ctl: Controller;

  before(async () => {
    ctl = await Controller.start({
      name: 'matrix',
      httpPort: allocatePort(),
      config: {
        queues: [
          { id: 'sales', name: 'Sales', extension: '8501', callbacks: { enabled: true } },
          { id: 'support', name: 'Support', extension: '8502', callbacks: { enabled: true } },
        ],
        agents: [
          { id: 'a1', name: 'A1', queues: ['sales'], phone: staticPhone('a1') },
          { id: 'a2', name: 'A2', queues: ['sales'], phone: staticPhone('a2') },
          { id: 'a3', name: 'A3', queues: ['support'], phone: staticPhone('a3') },
        ],
        users: [
          { id: 'sup', role: 'supervisor', token: TOKENS.supervisor, supervisedQueues: ['sales'] },
          { id: 'sup2', role: 'supervisor', token: TOKENS.supervisorPlus, supervisedQueues: ['sales'], permissions: { configAccess: true, accessRecordings: true, manageQueues: true } },
          { id: 'sup3', role: 'supervisor', token: CONFIG_ONLY_TOKEN, supervisedQueues: ['sales'], permissions: { configAccess: true } },
          { id: 'al', role: 'agent', agentId: 'a1', token: TOKENS.agent },
          { id: 'pw', role: 'agent', agentId: 'a2', password: 'matrix-password-1' },
        ],
      },
      env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: uniqueSchema('matrix') },
    });
    // the scope rows' campaign, a2's only
    await ctl.ok('POST', '/campaigns', { id: 'matrix-other', name: 'Other', agents: ['a2'] });
    // the scope row's wallboard, on support only (its id is made by the API: the row's URL is patched to it)
    const wb = await ctl.ok('POST', '/wallboards', { name: 'Support only', widgets: [{ kind: 'callersWaiting', queues: ['support'] }] });
    SCOPE_ROWS.find((r) => r.url === '/wallboards/wb-support')!.url = `/wallboards/${wb.id}`;
  });
  after(async () => {
    // clip files go to a folder every test run shares: leave none behind
    if (ctl) for (const c of (await ctl.ok('GET', '/clips')).clips) await ctl.request('DELETE', `/clips/${c.id}`);
    await ctl?.kill();
  });

  it('covers every route of the OpenAPI document', async () => {
    const doc = (await ctl.request('GET', '/openapi.json', undefined, null)).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${p}`));
    const tested = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
    assert.deepEqual(documented.filter((d) => !tested.has(d)), [], 'routes without a row');
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.route}`, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const who of WHO) {
        const { url, body } = await row.make(ctl, who);
        const r = await ctl.request(row.method, url, body, TOKENS[who]);
        const pass = row.allowed === 'public' || row.allowed.includes(who);
        const expected = pass ? (row.ok ?? [200, 201, 204]) : [who === 'nobody' ? 401 : 403];
        const codeOk = !(pass && r.status === 404) || r.body?.error?.code === (row.notFound ?? 'a row letting 404 through names its code');
        got.push(`${who}:${expected.includes(r.status) && codeOk ? 'as expected' : `${r.status} ${JSON.stringify(r.body?.error ?? '')}`}`);
        want.push(`${who}:as expected`);
      }
      assert.deepEqual(got, want);
    });
  }

  for (const s of SCOPE_ROWS) {
    it(`scope: ${s.what} → 403`, async () => {
      const r = await ctl.request(s.method, s.url, s.body, TOKENS[s.who]);
      assert.equal(r.status, 403, JSON.stringify(r.body));
    });
  }

  it('queues need manageQueues, not configAccess: a supervisor with only configAccess changes agents and settings but no queue', async () => {
    const q = await newQueue(ctl);
    const tries = [
      ['POST', '/queues', { id: fresh('q'), name: 'X', extension: String(nextExtension++) }],
      ['PUT', `/queues/${q}`, { name: 'X', extension: String(nextExtension++) }],
      ['DELETE', `/queues/${q}`, undefined],
    ] as const;
    for (const [method, url, body] of tries) {
      const r = await ctl.request(method, url, body, CONFIG_ONLY_TOKEN);
      assert.deepEqual([r.status, r.body.error.code], [403, 'FORBIDDEN'], `${method} ${url}`);
      assert.match(r.body.error.message, /manageQueues/);
    }
    assert.equal((await ctl.ok('GET', `/queues/${q}`)).name, 'Matrix', 'unchanged');
    assert.equal((await ctl.request('PUT', '/settings', { allowUnassignedQueueLogin: false }, CONFIG_ONLY_TOKEN)).status, 200);
    const id = fresh('n');
    assert.equal((await ctl.request('POST', '/agents', { id, name: 'N', queues: ['sales'], phone: staticPhone(id) }, CONFIG_ONLY_TOKEN)).status, 201);
  });

  it('a revoked token stops working at once; a deleted user\'s tokens die with it', async () => {
    const u = await newUser(ctl);
    const { token, tokenId } = await ctl.ok('POST', `/users/${u}/tokens`, { label: 'laptop' });
    assert.equal((await ctl.request('GET', '/queues', undefined, token)).status, 200);
    const listed = await ctl.ok('GET', `/users/${u}/tokens`);
    assert.deepEqual(listed.tokens.map((t: any) => [t.tokenId, t.label, 'token' in t]), [[tokenId, 'laptop', false]], 'tokens are never shown again');
    await ctl.ok('DELETE', `/users/${u}/tokens/${tokenId}`);
    assert.equal((await ctl.request('GET', '/queues', undefined, token)).status, 401);
    const second = await ctl.ok('POST', `/users/${u}/tokens`, {});
    await ctl.ok('DELETE', `/users/${u}`);
    assert.equal((await ctl.request('GET', '/queues', undefined, second.token)).status, 401);
  });
});
