import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Ari, AriGone } from '../ari/client';
import type { Destinations } from '../destinations/destinations';
import { Conflict, Invalid, NotFound } from '../errors';
import type { Registry } from '../registry/registry';
import type { CallRecord, CallbackAttempt, StateStore } from '../state/store';
import { parseOrThrow } from '../validation/parse';
import { dialable } from '../calls/agentFirst';
import { CALLBACK_PREFIX, isCallback } from './ids';
import { CallbackNumber } from './numbers';

export const CreateCallbackBody = z.object({
  queueId: z.string().min(1),
  number: CallbackNumber,
  name: z.string().max(80).default(''),
  preferredAgentId: z.string().optional(),
  at: z.string().datetime({ offset: true }).optional(),
}).strict();
export const RescheduleBody = z.object({ at: z.string().datetime({ offset: true }) }).strict();

export interface CallbackView {
  id: string; queueId: string; number: string; name: string; state: string; position: number | null;
  createdAt: string | null; dueAt: string | null; attempts: CallbackAttempt[]; maxAttempts: number;
  preferredAgentId: string | null; message: { url: string } | null; fromCallId: string | null;
}

/** Callback requests through the API: a web form's request, listing, reading, completing, rescheduling, cancelling. */
export class CallbackRequests {
  constructor(
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly destinations: Destinations,
  ) {}

  async create(body: unknown): Promise<CallbackView> {
    const p = { data: parseOrThrow(CreateCallbackBody, body, 'callback request') };
    const queue = this.registry.findQueue(p.data.queueId);
    if (!queue) throw new Invalid(`unknown queue ${p.data.queueId}`, { queueId: p.data.queueId });
    if (!queue.callbacks.enabled) throw new Invalid(`queue ${queue.id} does not take callback requests`, { queueId: queue.id });
    if (p.data.preferredAgentId && !this.registry.findAgent(p.data.preferredAgentId)) {
      throw new Invalid(`unknown agent ${p.data.preferredAgentId}`, { preferredAgentId: p.data.preferredAgentId });
    }
    await this.destinations.check(dialable(p.data.number), queue.id, 'callback number');
    const dueAt = p.data.at ? Date.parse(p.data.at) : undefined;
    if (dueAt !== undefined && dueAt < Date.now() - 1000) throw new Invalid('the time is in the past', { at: p.data.at });
    const id = `${CALLBACK_PREFIX}${randomUUID()}`;
    const r = await this.state.callbackCreate({
      callbackId: id, queueId: queue.id, number: p.data.number, name: p.data.name, preferredAgentId: p.data.preferredAgentId,
      preferMs: queue.callbacks.preferredAgentSec * 1000, dueAt, maxAttempts: queue.callbacks.maxAttempts,
      preferLastAgent: queue.callbacks.preferLastAgent,
    });
    if (!r.ok) throw new Conflict(r.code, `callback not created: ${r.code}`);
    return this.view(id);
  }

  async list(filter: { queueId?: string; state?: string; number?: string; agentId?: string }): Promise<CallbackView[]> {
    // live requests, and finished ones still kept (their retention)
    const ids = [...await this.state.callbackIds(), ...await this.state.finishedCallbackIds()];
    const views = await Promise.all(ids.map((id) => this.view(id).catch(() => undefined)));
    return views.filter((v): v is CallbackView => !!v
      && (!filter.queueId || v.queueId === filter.queueId)
      && (!filter.state || v.state === filter.state)
      && (!filter.number || dialable(v.number) === dialable(filter.number)))
      .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }

  async record(id: string): Promise<CallRecord> {
    const rec = isCallback(id) ? await this.state.call(id) : undefined;
    if (!rec || rec.kind !== 'callback') throw new NotFound('callback', id);
    return rec;
  }

  async view(id: string): Promise<CallbackView> {
    const rec = await this.record(id);
    const [attempts, waiting] = await Promise.all([this.state.callbackAttempts(id), this.state.waiting(rec.queueId)]);
    const pos = waiting.findIndex((w) => w.callId === id);
    const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
    return {
      id, queueId: rec.queueId, number: rec.callerNumber, name: rec.callerName, state: rec.state,
      position: pos >= 0 ? pos + 1 : null, createdAt: iso(rec.createdAt), dueAt: iso(rec.dueAt), attempts,
      maxAttempts: rec.maxAttempts ?? 0, preferredAgentId: rec.preferredAgentId ?? null,
      message: rec.message ? { url: `/api/v1/callbacks/${id}/message` } : null, fromCallId: rec.fromCallId || null,
    };
  }

  async messageAudio(id: string): Promise<Buffer> {
    const rec = await this.record(id);
    if (!rec.message) throw new NotFound('callback message', id);
    try {
      return await this.ari.storedRecordingFile(rec.message);
    } catch (err) {
      if (err instanceof AriGone) throw new NotFound('callback message', id);
      throw err;
    }
  }

  async complete(id: string): Promise<CallbackView> {
    await this.record(id);
    const r = await this.state.callbackComplete(id);
    if (!r.ok) throw new Conflict(`CALLBACK_${r.code}`, r.code === 'RINGING' ? 'the callback is ringing an agent' : 'the callback is already finished');
    return this.view(id);
  }

  async reschedule(id: string, body: unknown): Promise<CallbackView> {
    await this.record(id);
    const p = { data: parseOrThrow(RescheduleBody, body, 'reschedule request') };
    const at = Date.parse(p.data.at);
    if (at < Date.now() - 1000) throw new Invalid('the time is in the past', { at: p.data.at });
    const r = await this.state.callbackReschedule(id, at);
    if (!r.ok) {
      const msg: Record<string, string> = { FINISHED: 'the callback is already finished', IN_PROGRESS: 'the callback is on a call now', MAX_ATTEMPTS: 'no attempts left' };
      throw new Conflict(`CALLBACK_${r.code}`, msg[r.code] ?? r.code);
    }
    return this.view(id);
  }

  async cancel(id: string): Promise<CallbackView> {
    await this.record(id);
    const r = await this.state.callbackCancel(id);
    if (!r.ok) throw new Conflict(`CALLBACK_${r.code}`, r.code === 'IN_PROGRESS' ? 'the callback is on a call now' : 'the callback is already finished');
    return this.view(id);
  }
}
