import { z } from 'zod';

// Ids double as PJSIP object names, Redis key parts and URL segments: keep them plain.
export const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'letters, digits, "-" and "_", at most 64, starting with a letter or digit');

export const STRATEGIES = ['longest-idle'] as const;

export const QueueSchema = z.object({
  id: Id,
  name: z.string().min(1).max(80),
  extension: z.string().regex(/^[0-9]{2,15}$/, 'digits only, 2 to 15'),
  strategy: z.enum(STRATEGIES).default('longest-idle'),
  ringTimeoutSec: z.number().int().min(5).max(300).default(20),
  mohClass: z.string().regex(/^[a-z0-9_-]+$/i).default('default'),
}).strict();
export type Queue = z.infer<typeof QueueSchema>;

const SipUri = z.string().regex(/^sips?:[^\s@]+@[^\s]+$/, 'a SIP URI such as sip:agent1@192.0.2.10:5060');

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
  phone: PhoneSchema,
}).strict();
export type Agent = z.infer<typeof AgentSchema>;

export const ROLES = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const UserSchema = z.object({
  id: Id,
  role: z.enum(ROLES),
  // A token written in the file is hashed at load; tokenSha256 keeps even that out of the file.
  token: z.string().min(16).optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  agentId: Id.optional(),
}).strict()
  .refine((u) => Boolean(u.token) !== Boolean(u.tokenSha256), { message: 'give exactly one of token or tokenSha256' })
  .refine((u) => u.role !== 'agent' || Boolean(u.agentId), { message: 'an agent user needs agentId' });
export type User = z.infer<typeof UserSchema>;

export const FileConfigSchema = z.object({
  queues: z.array(QueueSchema).default([]),
  agents: z.array(AgentSchema).default([]),
  users: z.array(UserSchema).default([]),
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
});
export type FileConfig = z.infer<typeof FileConfigSchema>;

/** One line per problem, with its path: what a startup error or a 422 shows. */
export function describeIssues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}
