import { randomUUID } from 'node:crypto';
import type { Ari } from '../ari/client';
import { callerIdOf } from '../ari/callerId';
import type { Queue } from '../config/schema';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { Candidate } from '../routing';
import type { StateStore } from '../state/store';
import { type AgentFirstDialer, type AgentFirstOutcome, dialable } from '../calls/agentFirst';
import type { CallCore, OfferResult, OfferSource } from '../calls/core';
import type { MediaWaiter } from '../calls/core/media';
import { wrapUpFor } from '../calls/wrapUp/policy';
import { isCallback } from './ids';

/** The outcome names the callback history has always used (callback attempts, reports). */
const ATTEMPT_OUTCOME: Record<AgentFirstOutcome, string> = {
  answered: 'answered', no_answer: 'no-answer', busy: 'busy', rejected: 'rejected', failed: 'failed',
  refused: 'not-allowed', agent_hung_up: 'agent-hung-up',
};

/**
 * Serving callback requests: the dispatcher offers a waiting request like a caller (this is its
 * offer source); the agent's phone rings first (shown as a callback for the queue), on answer the
 * agent hears the caller's message, then the customer is dialed (calls/agentFirst). Attempts are
 * recorded in Redis; a failed offer puts the request back in line at its place.
 */
export class CallbackServing implements OfferSource {
  /** The queue of each request being offered or served here (the offer's expiry needs it). */
  private readonly queueOf = new Map<string, string>();

  constructor(
    private readonly core: CallCore,
    private readonly ari: Ari,
    private readonly media: MediaWaiter,
    private readonly dialer: AgentFirstDialer,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly nodeId: string,
    private readonly offerGraceMs: number,
    private readonly log: Logger,
  ) {}

  isMine(entryId: string): boolean { return isCallback(entryId); }

  /** Only agents with callbacks enabled in this queue; only the preferred one while its window lasts. */
  async candidates(queueId: string, entryId: string, pool: Candidate[], now: number): Promise<Candidate[]> {
    const cb = await this.state.call(entryId);
    if (!cb) return [];
    const able = pool.filter((c) => this.takes(c.agentId, queueId));
    if (cb.preferredAgentId && (cb.preferredUntil ?? 0) > now) return able.filter((c) => c.agentId === cb.preferredAgentId);
    return able;
  }

  takes(agentId: string, queueId: string): boolean {
    return Boolean(this.registry.findAgent(agentId)?.callbackQueues.includes(queueId));
  }

  /** Ring the agent's phone for a waiting callback. Same contract as CallService.offer. */
  async offer(queue: Queue, id: string, agentId: string): Promise<OfferResult> {
    const token = randomUUID();
    const expiresAt = Date.now() + queue.ringTimeoutSec * 1000 + this.offerGraceMs;
    const r = await this.state.reserve(id, agentId, token, expiresAt, this.dialer.agentChannelOf(token), this.nodeId);
    if (!r.ok) return r.code === 'AGENT_NOT_READY' ? 'agent' : 'call';
    const rec = await this.state.call(id);
    const number = rec?.callerNumber ?? '';
    const log = this.log.child({ callbackId: id, queueId: queue.id, agentId });
    this.queueOf.set(id, queue.id);
    log.info('offering callback');
    await this.dialer.start({
      id, token, agentId, ringTimeoutSec: queue.ringTimeoutSec, log,
      // the phone shows that this is a callback, for which queue, and the number to be called
      agentCallerId: callerIdOf(`Callback ${queue.name}`, dialable(number)),
      number, policyScope: queue.id, customerCallerId: callerIdOf(queue.name, queue.extension), dialTimeoutSec: queue.callbacks.dialTimeoutSec,
    }, {
      agentAnswered: async (bridgeId) => (await this.state.accept(id, token, bridgeId)).ok,
      beforeDial: async (agentChannelId) => {
        const message = (await this.state.call(id))?.message;
        if (!message) return;
        log.info('playing the callback message to the agent');
        await this.media.playAndWait(agentChannelId, ['sound:beep', `recording:${message}`], `cbmsg-${token}`);
      },
      agentNotReached: async (outcome, pauseReason) => {
        this.queueOf.delete(id);
        const f = await this.state.failOffer(id, token, outcome, pauseReason);
        if (f.ok) {
          log.info('callback offer not answered', { outcome });
          this.core.events.emit('waiting', queue.id);
        }
      },
      finished: async (outcome, talkMs) => {
        this.queueOf.delete(id);
        const e = await this.state.callbackAttemptEnd(id, ATTEMPT_OUTCOME[outcome], talkMs, wrapUpFor(this.registry, queue.id, agentId));
        log.info('callback attempt over', { outcome: ATTEMPT_OUTCOME[outcome], talkMs, state: e.ok ? e.value : e.code });
      },
    });
    return 'offered';
  }

  /** The offer's Redis deadline passed (its controller may have died). */
  async offerExpired(id: string, token: string): Promise<void> {
    const r = await this.state.failOffer(id, token, 'expired', null, true);
    const queueId = this.dialer.isPlacing(id) ? this.queueOf.get(id) : undefined;
    if (await this.dialer.cancel(id, token)) this.queueOf.delete(id);
    if (r.ok && queueId) this.core.events.emit('waiting', queueId);
  }

  /**
   * After a (re)connect: callbacks this controller was serving whose legs are gone (or whose
   * in-memory progress was lost in a restart) end their attempt; unanswered offers go back to waiting.
   * `node`: another controller's, dead with its Asterisk (src/cluster: its takeover), none of whose
   * legs is alive. The value: how many were settled.
   */
  async reconcile(node = this.nodeId): Promise<number> {
    const mine = node === this.nodeId;
    const live = new Set(mine ? (await this.ari.listChannels()).map((c) => c.id) : []);
    let settled = 0;
    for (const id of await this.state.callbackIds()) {
      const rec = await this.state.call(id);
      if (!rec || rec.servedBy !== node || (mine && this.dialer.isPlacing(id))) continue;
      if (rec.state === 'offered' || rec.state === 'connected') settled++;
      if (rec.state === 'offered') {
        await this.state.failOffer(id, rec.offerToken!, 'lost', null);
        await this.ari.hangupQuietly(live.has(rec.agentChannelId!) ? rec.agentChannelId : undefined);
      } else if (rec.state === 'connected') {
        await this.state.callbackAttemptEnd(id, 'failed', 0);
        const customer = this.dialer.customerChannelOf(rec.offerToken!);
        await this.ari.hangupQuietly(live.has(rec.agentChannelId!) ? rec.agentChannelId : undefined);
        await this.ari.hangupQuietly(live.has(customer) ? customer : undefined);
      }
    }
    return settled;
  }
}
