import { z } from 'zod';
import type { AccessPolicy } from '../access/policy';
import type { Principal } from '../access/users';
import { parseOrThrow } from '../validation/parse';
import { Forbidden, Invalid, NotFound, AcdError } from '../errors';
import type { Registry } from '../registry/registry';
import type { CallRecord, StateStore } from '../state/store';

export const DispositionBody = z.object({
  disposition: z.string().min(1).max(60).optional(),
  tags: z.array(z.string().min(1).max(40)).max(20).default([]),
  notes: z.string().max(2000).default(''),
}).strict();

/** Dispositions, tags and notes: what the agent records about a call in its after-call work. */
export class Dispositions {
  constructor(private readonly state: StateStore, private readonly registry: Registry, private readonly policy: AccessPolicy) {}

  async record(user: Principal, callId: string): Promise<CallRecord> {
    const rec = await this.state.call(callId);
    if (!rec) throw new NotFound('call', callId);
    if (user.role === 'agent' ? rec.agentId !== user.agentId : !this.policy.canQueue(user, rec.queueId)) {
      throw new Forbidden('not a call you may see');
    }
    return rec;
  }

  async set(user: Principal, callId: string, body: unknown): Promise<CallRecord> {
    const rec = await this.record(user, callId);
    if (user.role === 'agent' && !user.permissions.useDispositions) throw new Forbidden('this needs the useDispositions permission');
    const p = { data: parseOrThrow(DispositionBody, body, 'disposition') };
    const queue = this.registry.queue(rec.queueId);
    if (queue.wrapUp.sec === 0) {
      throw new Invalid(`queue ${queue.id} has no wrap-up time: dispositions apply only to queues with wrap-up`, { queueId: queue.id });
    }
    const { disposition = '', tags, notes } = p.data;
    if (disposition && !queue.wrapUp.dispositions.includes(disposition)) {
      throw new Invalid(`unknown disposition ${disposition}`, { allowed: queue.wrapUp.dispositions });
    }
    const custom = tags.filter((t) => !queue.wrapUp.tags.includes(t));
    if (custom.length && !user.permissions.createTags) throw new Forbidden(`custom tags (${custom.join(', ')}) need the createTags permission`);
    const r = await this.state.callDisposition(callId, { disposition, tags, notes }, user.id);
    if (!r.ok) throw new AcdError(409, 'CALL_NOT_ANSWERED', 'only an answered call has a disposition');
    return this.record(user, callId);
  }
}

/** The call record as the API shows it. */
export function callView(rec: CallRecord) {
  const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
  return {
    id: rec.id, kind: rec.kind ?? 'call', queueId: rec.queueId, state: rec.state, callerNumber: rec.callerNumber, callerName: rec.callerName,
    agentId: rec.agentId ?? null, enqueuedAt: iso(rec.enqueuedAt), answeredAt: iso(rec.answeredAt), endedAt: iso(rec.endedAt),
    disposition: rec.disposition || null, tags: rec.tags ? (JSON.parse(rec.tags) as string[]) : [], notes: rec.notes ?? '',
  };
}
