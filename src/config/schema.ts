import { z } from 'zod';
import { PERMISSION_NAMES, Permission } from '../access/permissions';
import { DestinationPolicyOverride, DestinationPolicySchema } from '../destinations/policy';
import { ROLES } from '../domain/roles';

// Ids double as PJSIP object names, Redis key parts and URL segments: keep them plain.
export const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'letters, digits, "-" and "_", at most 64, starting with a letter or digit');

export const STRATEGIES = ['longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all', 'random', 'linear', 'skills-based'] as const;

/** A skill name (french, billing, ...) and proficiency levels: 1 (basic) to 5 (expert). */
export const SkillName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'a skill name: letters, digits, "-", "_", at most 40');
export const SkillLevel = z.number().int().min(1, 'skill levels are 1 to 5').max(5, 'skill levels are 1 to 5');
/** Skills an agent has, or a queue or caller requires (as minimum levels). */
export const Skills = z.record(SkillName, SkillLevel).refine((m) => Object.keys(m).length <= 100, 'at most 100 skills');
export type SkillMap = z.infer<typeof Skills>;

/**
 * Where a caller goes when the queue is full, refuses them (empty) or they waited too long:
 * another queue (keeping their original time), a dialplan extension (context acd-overflow) or a
 * voicemail box (context acd-voicemail). No overflow: the caller is hung up.
 */
export const OverflowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('queue'), queueId: Id }).strict(),
  z.object({ kind: z.literal('extension'), extension: z.string().max(32).regex(/^[0-9*#+]{1,32}$/, 'digits, *, # or +') }).strict(),
  z.object({ kind: z.literal('voicemail'), mailbox: z.string().regex(/^[0-9]{1,20}$/, 'a mailbox number of voicemail.conf [default], such as 100') }).strict(),
]);
export type Overflow = z.infer<typeof OverflowSchema>;

// every string has a bound: a 50 kB sound name or class is refused, not stored and sent to Asterisk
const Sound = z.string().max(128).regex(/^[a-z0-9_/-]+$/i, 'an Asterisk sound name such as vm-intro');

/**
 * Callbacks: a waiting caller presses a key, leaves a message and hangs up, keeping their place.
 * Prompts are Asterisk sound names; record your own ("press 1 to be called back") in production.
 */
export const CallbackSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  key: z.string().regex(/^[0-9*#]$/).default('1'),
  offerEverySec: z.number().int().min(5).max(3600).default(30),
  offerPrompt: z.array(Sound).min(1).default(['vm-tocallback', 'vm-press']),
  recordPrompt: z.array(Sound).min(1).default(['vm-intro']),
  confirmPrompt: z.array(Sound).min(1).default(['vm-msgsaved', 'queue-thankyou', 'vm-goodbye']),
  maxMessageSec: z.number().int().min(3).max(300).default(60),
  maxSilenceSec: z.number().int().min(1).max(30).default(5),
  /** Let the caller key another number than their caller ID, confirmed before recording. */
  askNumber: z.boolean().default(false),
  maxAttempts: z.number().int().min(1).max(20).default(3),
  /** Offer a request first to the agent who last handled that number in this queue. */
  preferLastAgent: z.boolean().default(false),
  preferredAgentSec: z.number().int().min(0).max(86400).default(120),
  dialTimeoutSec: z.number().int().min(5).max(120).default(30),
}).strict();
export type CallbackSettings = z.infer<typeof CallbackSettingsSchema>;

export const QueueSchema = z.object({
  id: Id,
  name: z.string().min(1).max(80),
  extension: z.string().regex(/^[0-9]{2,15}$/, 'digits only, 2 to 15'),
  strategy: z.enum(STRATEGIES).default('longest-idle'),
  /** The fixed agent order linear and round-robin walk (agents not listed follow by id). */
  agentOrder: z.array(Id).max(500).default([]),
  ringTimeoutSec: z.number().int().min(5).max(300).default(20),
  mohClass: z.string().max(80).regex(/^[a-z0-9_-]+$/i).default('default'),
  callbacks: CallbackSettingsSchema.default(CallbackSettingsSchema.parse({})),
  /** After-call work: the agent is in wrap-up for all queues until it expires, is extended or ended. */
  wrapUp: z.object({
    sec: z.number().int().min(0).max(3600).default(0),
    extendStepSec: z.number().int().min(5).max(3600).default(30),
    /** The longest a wrap-up may last, extensions included. */
    maxSec: z.number().int().min(0).max(7200).default(300),
    agentsMayEnd: z.boolean().default(true),
    agentsMayExtend: z.boolean().default(true),
    /** Dispositions an agent records for a call (queues with wrap-up time only). */
    dispositions: z.array(z.string().min(1).max(60)).max(100).default([]),
    /** Tags offered for calls; agents with createTags may add their own. */
    tags: z.array(z.string().min(1).max(40)).max(200).default([]),
  }).strict().refine((w) => w.sec <= w.maxSec, { message: 'wrapUp.sec may not exceed wrapUp.maxSec (the longest a wrap-up may last)', path: ['sec'] })
    .default({ sec: 0, extendStepSec: 30, maxSec: 300, agentsMayEnd: true, agentsMayExtend: true, dispositions: [], tags: [] }),
  /** Service level: the share of calls answered within this many seconds of waiting (metrics). */
  serviceLevelSec: z.number().int().min(1).max(3600).default(20),
  /** A parked call nobody retrieves rings the agent who parked it after this long. */
  parkTimeoutSec: z.number().int().min(5).max(3600).default(60),
  /** Skills every caller of this queue needs (minimum levels); a caller's own requirement adds or overrides. */
  requiredSkills: Skills.default({}),
  /**
   * The requirement widens as the caller waits: from `afterSec` of waiting on, every required level
   * is `lowerBy` lower (the step with the largest afterSec reached applies; a level at 0 is no requirement).
   */
  skillRelaxation: z.array(z.object({ afterSec: z.number().int().min(1).max(86400), lowerBy: z.number().int().min(1).max(5) }).strict())
    .max(10).default([]).refine((st) => st.every((x, i) => i === 0 || x.afterSec > st[i - 1].afterSec), 'steps in increasing afterSec'),
  /**
   * Agent tiers: an agent with penalty p (agent.penalties) gets a caller only once the caller has
   * waited tierWaitSec[p-1] seconds (the last entry for higher penalties). Lower penalties go first.
   */
  tierWaitSec: z.array(z.number().int().min(0).max(86400)).max(9).default([]),
  /** Each level of caller priority counts as this many seconds of extra waiting (it lowers the virtual enqueue time). */
  priorityStepSec: z.number().int().min(1).max(86400).default(60),
  /** Fairness between queues sharing agents: this queue's callers count as having waited this much longer. */
  weight: z.number().int().min(0).max(86400).default(0),
  /** Most callers waiting at once (0: no limit); a caller beyond it overflows at once. */
  maxCallers: z.number().int().min(0).max(100000).default(0),
  /** Longest wait before overflowing (0: no limit). */
  maxWaitSec: z.number().int().min(0).max(86400).default(0),
  overflow: OverflowSchema.optional(),
  /**
   * Callers join a queue with no one to take them?  yes; no: not when no agent is logged in;
   * strict: not when no logged-in agent is available (paused or unreachable agents do not count,
   * agents busy on a call or in wrap-up do). Refused callers overflow.
   */
  joinWhenEmpty: z.enum(['yes', 'no', 'strict']).default('yes'),
  /** Waiting callers leave (overflow) when the queue becomes empty in the same sense; no: they stay. */
  leaveWhenEmpty: z.enum(['no', 'yes', 'strict']).default('no'),
  /** What waiting callers hear: music on hold (mohClass), or ringing (they are answered only by the agent). */
  waitingTone: z.enum(['music', 'ringing']).default('music'),
  /** Announcements while waiting (Asterisk sound names); not for queues that ring instead of music. */
  announcements: z.object({
    /** Position and estimated wait time when the caller joins, then every positionEverySec (0: never again). */
    positionOnEntry: z.boolean().default(false),
    positionEverySec: z.number().int().min(0).max(3600).default(0),
    /** Repeat the position only when it improved since the last time. */
    onlyWhenImproved: z.boolean().default(false),
    /** Say the estimated wait with the position. */
    estimatedWait: z.boolean().default(true),
    /** The handle time (s) the estimate assumes before the queue has handled a call today. */
    defaultHandleSec: z.number().int().min(1).max(7200).default(180),
    /** Prompts played in turn, one every periodicEverySec (0: none). */
    periodicEverySec: z.number().int().min(0).max(3600).default(0),
    periodicPrompts: z.array(Sound).max(50).default([]),
  }).strict().default({ positionOnEntry: false, positionEverySec: 0, onlyWhenImproved: false, estimatedWait: true,
    defaultHandleSec: 180, periodicEverySec: 0, periodicPrompts: [] }),
  recording: z.object({
    /** all: every call is recorded from the moment it is bridged; on-demand: when someone starts it. */
    policy: z.enum(['all', 'none', 'on-demand']).default('none'),
    retentionDays: z.number().int().min(1).max(3650).default(90),
  }).strict().default({ policy: 'none', retentionDays: 90 }),
  /** Overrides the organisation's outbound destination policy (settings.outboundPolicy), field by field. */
  outboundPolicy: DestinationPolicyOverride.optional(),
}).strict();
export type Queue = z.infer<typeof QueueSchema>;

const SipUri = z.string().max(256).regex(/^sips?:[^\s@]+@[^\s]+$/, 'a SIP URI such as sip:agent1@192.0.2.10:5060');

// A real phone registers with digest credentials; a test rig or fixed desk phone has a static contact.
export const PhoneSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('register'), password: z.string().min(8).max(128) }).strict(),
  z.object({ mode: z.literal('static'), contact: SipUri }).strict(),
]);
export type Phone = z.infer<typeof PhoneSchema>;

export const AgentSchema = z.object({
  id: Id,
  name: z.string().min(1).max(80),
  queues: z.array(Id).max(200).default([]),
  /** Queues (among `queues`) in which this agent is offered callback requests. */
  callbackQueues: z.array(Id).max(200).default([]),
  /** Overrides the queue's wrap-up time for this agent. */
  wrapUpSec: z.number().int().min(0).max(3600).optional(),
  /** Protected agents may be monitored only by supervisors with monitorProtected. */
  protected: z.boolean().default(false),
  /** Proficiency per skill, 1 to 5 (skills-based routing). */
  skills: Skills.default({}),
  /** Tier per queue (0, the default, is the first tier): see the queue's tierWaitSec. */
  penalties: z.record(Id, z.number().int().min(0).max(9)).refine((m) => Object.keys(m).length <= 200, 'at most 200 queues').default({}),
  phone: PhoneSchema,
}).strict().refine((a) => a.callbackQueues.every((q) => a.queues.includes(q)), {
  message: 'callbackQueues must be among the agent\'s queues', path: ['callbackQueues'],
});
export type Agent = z.infer<typeof AgentSchema>;

// roles have their home in src/domain/roles.ts (access/ reads them without importing config/)
export { ROLES } from '../domain/roles';
export type { Role } from '../domain/roles';

/** A user of the API as stored (no secrets): role, the agent it is, the queues it supervises, permissions. */
export const UserSchema = z.object({
  id: Id,
  name: z.string().max(80).optional(),
  role: z.enum(ROLES),
  agentId: Id.optional(),
  supervisedQueues: z.array(Id).max(500).default([]),
  permissions: z.partialRecord(z.enum(PERMISSION_NAMES as [Permission, ...Permission[]]), z.boolean()).default({}),
  /** The supervisor's own phone for monitoring, e.g. PJSIP/sup1. */
  endpoint: z.string().max(128).regex(/^[A-Za-z]+\/[^\s,]+$/, 'a channel endpoint such as PJSIP/sup1').optional(),
}).strict().refine((u) => u.role !== 'agent' || Boolean(u.agentId), { message: 'an agent user needs agentId', path: ['agentId'] });
export type User = z.infer<typeof UserSchema>;

/** In the config file a user may carry its first token (hashed at load); tokenSha256 keeps even that out of the file. */
export const FileUserSchema = z.object({
  token: z.string().min(16).max(256).optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** A first sign-in password (hashed at load; set only while the user has none, so a change survives restarts). */
  password: z.string().min(8).max(200).optional(),
}).passthrough().refine((u) => !(u.token && u.tokenSha256), { message: 'give at most one of token or tokenSha256' })
  .transform((u, ctx) => {
    const { token, tokenSha256, password, ...rest } = u;
    const user = UserSchema.safeParse(rest);
    if (!user.success) { user.error.issues.forEach((i) => ctx.addIssue({ ...i, code: 'custom', message: i.message })); return z.NEVER; }
    return { user: user.data, token: token as string | undefined, tokenSha256: tokenSha256 as string | undefined, password: password as string | undefined };
  });

/** A reason an agent may pause with (break, lunch, ...). The system's own (no-answer, busy, ...) are not listed. */
export const PauseReasonSchema = z.object({
  code: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'a code: letters, digits, "-", "_", at most 40'),
  name: z.string().min(1).max(80),
}).strict();
export type PauseReason = z.infer<typeof PauseReasonSchema>;
export const DEFAULT_PAUSE_REASONS: PauseReason[] = [
  { code: 'break', name: 'Break' }, { code: 'lunch', name: 'Lunch' }, { code: 'meeting', name: 'Meeting' },
  { code: 'training', name: 'Training' }, { code: 'admin', name: 'Administrative work' },
];

/** Organisation-wide settings, changed through /settings. */
export const SettingsSchema = z.object({
  /** Agents may log in to queues they are not assigned to (until they or a supervisor log them out). */
  allowUnassignedQueueLogin: z.boolean().default(false),
  /** What the system may dial on its own: callbacks, transfers, consultations, three-way calls (src/destinations/). */
  outboundPolicy: DestinationPolicySchema.prefault({}),
}).strict();
export type Settings = z.infer<typeof SettingsSchema>;

export const FileConfigSchema = z.object({
  settings: SettingsSchema.prefault({}),
  pauseReasons: z.array(PauseReasonSchema).default(DEFAULT_PAUSE_REASONS),
  /**
   * How a customer is dialed for a callback: {number} is replaced by the number's digits
   * (and a leading +). Point it at your trunk, e.g. PJSIP/{number}@my-trunk.
   */
  outboundDial: z.string().max(256).regex(/^[A-Za-z]+\/[^\s]*\{number\}[^\s]*$/, 'a dial string containing {number}, such as PJSIP/{number}@trunk').default('PJSIP/{number}@trunk'),
  queues: z.array(QueueSchema).default([]),
  agents: z.array(AgentSchema).default([]),
  users: z.array(FileUserSchema).default([]),
}).strict().superRefine((c, ctx) => {
  const dup = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const q = dup(c.queues.map((x) => x.id));
  if (q) ctx.addIssue({ code: 'custom', path: ['queues'], message: `queue id ${q} appears twice` });
  const e = dup(c.queues.map((x) => x.extension));
  if (e) ctx.addIssue({ code: 'custom', path: ['queues'], message: `extension ${e} is used by two queues` });
  const a = dup(c.agents.map((x) => x.id));
  if (a) ctx.addIssue({ code: 'custom', path: ['agents'], message: `agent id ${a} appears twice` });
  const queueIds = new Set(c.queues.map((x) => x.id));
  c.agents.forEach((ag, i) => ag.queues.forEach((qid) => {
    if (!queueIds.has(qid)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'queues'], message: `unknown queue ${qid}` });
  }));
  // (agentOrder is checked against the registry through the API: the file may name agents created there)
  c.queues.forEach((qu, i) => {
    const o = qu.overflow;
    if (o?.kind === 'queue' && (o.queueId === qu.id || !queueIds.has(o.queueId))) {
      ctx.addIssue({ code: 'custom', path: ['queues', i, 'overflow', 'queueId'], message: `overflow to ${o.queueId === qu.id ? 'itself' : `unknown queue ${o.queueId}`}` });
    }
  });
});
export type FileConfig = z.infer<typeof FileConfigSchema>;

/** One line per problem, with its path: what a startup error or a 422 shows. */
// one home for zod's issues as details (src/validation/parse.ts); re-exported for existing readers
export { describeIssues } from '../validation/parse';
