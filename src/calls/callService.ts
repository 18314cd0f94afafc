import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Ari, AriGone, AriUnavailable } from '../ari/client';
import type { AriChannel } from '../ari/types';
import type { Queue } from '../config/schema';
import { DestinationNotAllowed, Destinations, looksLikeNumber } from '../destinations/destinations';
import { Conflict } from '../errors';
import type { Logger } from '../logger';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { CallSession, ChannelRef, unansweredOutcome } from './session';
import { overflowTarget, parseSkills } from './overflow';

export const APP = 'acd';
/** What a blind transfer out of the ACD may name (POST /calls/{id}/transfer's extension, a REFER's user part). */
export const EXTERNAL_TARGET = /^[0-9*#+]{2,32}$/;

/**
 * The call lifecycle on this controller's Asterisk: inbound → queued (music on hold) → offered
 * (agent's phone rings) → connected (bridged) → ended, plus abandon and unanswered offers.
 * Every state change goes through a Lua transition first; Asterisk is then told what to do.
 * Handlers of one call run one at a time (ARI events of a call can arrive while a handler awaits).
 */
export class CallService {
  private readonly sessions = new Map<string, CallSession>();
  private readonly channels = new Map<string, ChannelRef>();
  private readonly chains = new Map<string, Promise<void>>();
  /**
   * A call of ours went back to waiting. The dispatcher also reacts to the stream event, but that
   * event can arrive before this controller has updated its session; this closes the gap.
   */
  onCallWaiting: (queueId: string) => void = () => {};
  /** Hooks for the callback feature: a caller was connected, or hung up in the callback IVR. */
  onConnected: (callId: string) => void = () => {};
  onIvrCallerGone: (s: CallSession) => void = () => {};
  /**
   * 'connected' (session): caller and agent are bridged (session.connected has the bridge);
   * 'ended' (session): the connected call is over and its bridge about to go.
   * 'queued' (session, queue): a caller of ours started (or went back to) waiting with music.
   * For features that ride on a live call: recording, monitoring, callback offers, announcements.
   */
  readonly lifecycle = new EventEmitter<{ connected: [CallSession]; ended: [CallSession]; queued: [CallSession, Queue] }>();

  constructor(
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly nodeId: string,
    private readonly offerGraceMs: number,
    private readonly log: Logger,
    private readonly destinations: Destinations,
  ) {
    ari.routeStasis('inbound', (channel, [extension, priority, skills]) => void this.inbound(channel, extension ?? '', priority, skills));
    ari.routeStasis('agent', (channel, [callId, token, agentId]) => void this.serialize(callId, () => this.agentAnswered(channel, callId, token, agentId)));
    ari.routeStasis('party', (channel, [callId, partyId]) => void this.serialize(callId, () => this.partyAnswered(channel, callId, partyId)));
    ari.routeStasis('consult', (channel, [callId, consultId]) => void this.serialize(callId, () => this.consultAnswered(channel, callId, consultId)));
    ari.onEvent('StasisEnd', (e) => this.onChannelGone(e.channel, 'left', 0));
    ari.onEvent('ChannelDestroyed', (e) => this.onChannelGone(e.channel, 'destroyed', e.cause));
    ari.onEvent('ChannelTransfer', (e) => void this.phoneTransfer(e.referred_by.source_channel.id, e.refer_to.requested_destination));
  }

  /** Ids of this controller's waiting calls in a queue (dispatch offers only calls it can bridge). */
  /** This controller holds this caller and it waits in this queue (one lookup: the dispatcher asks per entry). */
  isWaitingHere(queueId: string, callId: string): boolean {
    const s = this.sessions.get(callId);
    return s !== undefined && s.queueId === queueId && s.state === 'waiting';
  }

  localWaiting(queueId: string): Set<string> {
    const out = new Set<string>();
    for (const s of this.sessions.values()) if (s.queueId === queueId && s.state === 'waiting') out.add(s.callId);
    return out;
  }


  liveSessions(): CallSession[] { return [...this.sessions.values()]; }

  /** The live call, if it is on this controller. */
  liveSession(callId: string): CallSession | undefined { return this.sessions.get(callId); }

  /** The connected call an agent is on, on this controller. */
  connectedCallOf(agentId: string): CallSession | undefined {
    return [...this.sessions.values()].find((s) => s.state === 'connected' && s.connected?.agentId === agentId);
  }

  /** The waiting caller on this channel, if any. */
  waitingCallerOn(channelId: string): CallSession | undefined {
    const ref = this.channels.get(channelId);
    const s = ref?.role === 'caller' ? this.sessions.get(ref.callId) : undefined;
    return s?.state === 'waiting' ? s : undefined;
  }

  /** Take a waiting caller out of routing for the callback IVR (it keeps its place in Redis). */
  claimForIvr(callId: string): CallSession | undefined {
    const s = this.sessions.get(callId);
    if (s?.state !== 'waiting') return undefined;
    s.state = 'ivr';
    return s;
  }

  /**
   * The callback IVR gives the caller back to the line without a request (no number it may call):
   * they wait on at their place, which Redis kept for them all along.
   */
  backToWaiting(callId: string): boolean {
    const s = this.sessions.get(callId);
    if (s?.state !== 'ivr') return false;
    s.state = 'waiting';
    this.onCallWaiting(s.queueId);
    return true;
  }

  /** The callback IVR is done with this caller (request made, caller gone or hung up on). */
  forgetIvr(callId: string): void {
    const s = this.sessions.get(callId);
    if (s?.state === 'ivr') this.forget(s);
  }

  private serialize(callId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(callId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err) => {
      this.log.error('call handler failed', { callId, error: (err as Error).message, stack: (err as Error).stack });
    });
    this.chains.set(callId, next);
    void next.then(() => { if (this.chains.get(callId) === next) this.chains.delete(callId); });
    return next;
  }

  // --- inbound -------------------------------------------------------------------------------
  /**
   * A caller dialed a queue's extension. The dialplan may pass a priority and required skills
   * (Stasis(acd,inbound,${EXTEN},${ACD_PRIORITY},${ACD_SKILLS}), skills as french:3&billing:2).
   */
  private async inbound(channel: AriChannel, extension: string, priorityArg?: string, skillsArg?: string): Promise<void> {
    const queue = this.registry.queueByExtension(extension);
    if (!queue) {
      this.log.warn('call to an extension with no queue', { extension, channelId: channel.id });
      await this.ari.hangupQuietly(channel.id, 'unallocated');
      return;
    }
    // The caller's channel id is the call id: unique, known before any await, and in every event.
    const callId = channel.id;
    const log = this.log.child({ callId, queueId: queue.id });
    const session: CallSession = { callId, queueId: queue.id, callerChannelId: channel.id, callerNumber: channel.caller.number, state: 'waiting', log };
    this.sessions.set(callId, session);
    this.channels.set(channel.id, { callId, role: 'caller' });
    const priority = Math.max(0, Math.min(99, Number.parseInt(priorityArg ?? '', 10) || 0));
    const skills = parseSkills(skillsArg ?? '');
    await this.serialize(callId, async () => {
      const [queued] = await Promise.all([
        this.state.enqueue({
          callId, queueId: queue.id, node: this.nodeId, callerNumber: channel.caller.number, callerName: channel.caller.name, channelId: channel.id,
          priority, skills, priorityStepMs: queue.priorityStepSec * 1000, maxCallers: queue.maxCallers, joinWhenEmpty: queue.joinWhenEmpty,
        }),
        this.answerWithMusic(channel.id, queue),
      ]);
      if (!queued.ok && (queued.code === 'QUEUE_FULL' || queued.code === 'QUEUE_EMPTY')) {
        log.info('caller refused by the queue\'s policy', { reason: queued.code });
        await this.sendOnward(session, queue, queued.code === 'QUEUE_FULL' ? 'full' : 'empty', true);
        return;
      }
      log.info('caller queued', { callerNumber: channel.caller.number, position: queued.ok ? queued.value : null, priority });
      if (queued.ok) this.lifecycle.emit('queued', session, queue);
    });
  }

  /** Callers wait answered with music, or (waitingTone ringing) unanswered hearing ringback. */
  private async answerWithMusic(channelId: string, queue: Queue): Promise<void> {
    try {
      if (queue.waitingTone === 'ringing') {
        await this.ari.ring(channelId);
        return;
      }
      await this.ari.answer(channelId);
      await this.ari.startMoh(channelId, queue.mohClass);
    } catch (err) {
      if (!(err instanceof AriGone)) throw err;
    }
  }

  // --- queue policies: overflow --------------------------------------------------------------
  /**
   * A waiting caller of ours leaves its queue by policy (it waited maxWaitSec, or the queue became
   * empty): to the overflow queue keeping its time, to a dialplan extension, voicemail, or hung up.
   */
  async overflow(callId: string, reason: 'timeout' | 'empty'): Promise<boolean> {
    let moved = false;
    await this.serialize(callId, async () => {
      const s = this.sessions.get(callId);
      const queue = s && this.registry.findQueue(s.queueId);
      if (!s || !queue || s.state !== 'waiting') return;
      moved = await this.sendOnward(s, queue, reason, false);
    });
    return moved;
  }

  /**
   * Where a caller goes when the queue will not keep them. `refused`: they never joined (the queue
   * was full or empty), so there is no record to move: a queue target enqueues them afresh.
   */
  private async sendOnward(s: CallSession, queue: Queue, reason: 'full' | 'empty' | 'timeout', refused: boolean): Promise<boolean> {
    const t = overflowTarget(queue, this.registry);
    if (!refused) {
      const r = await this.state.overflow(s.callId, reason, t.kind, t.target, queue.leaveWhenEmpty);
      if (!r.ok) return false;
    }
    s.log.info('caller overflowed', { reason, to: `${t.kind}:${t.target}` });
    if (t.kind === 'queue') {
      const next = this.registry.queue(t.target);
      s.queueId = next.id;
      if (refused) {
        const q = await this.state.enqueue({ callId: s.callId, queueId: next.id, node: this.nodeId, callerNumber: s.callerNumber, callerName: '', channelId: s.callerChannelId });
        if (!q.ok) { this.forget(s); await this.ari.hangupQuietly(s.callerChannelId); return false; }
      }
      if (next.waitingTone !== 'ringing' && (queue.waitingTone === 'ringing' || next.mohClass !== queue.mohClass)) await this.answerWithMusic(s.callerChannelId, next);
      this.lifecycle.emit('queued', s, next);
      return true;
    }
    this.forget(s);
    if (t.kind === 'none') await this.ari.hangupQuietly(s.callerChannelId, reason === 'timeout' ? 'normal' : 'busy');
    else await this.ari.continueInDialplan(s.callerChannelId, t.kind === 'voicemail' ? 'acd-voicemail' : 'acd-overflow', t.target).catch(() => undefined);
    return true;
  }

  // --- offering ------------------------------------------------------------------------------
  /** Reserve the agent for the call and ring the agent's phone. 'agent': that agent was not ready; 'call': the call no longer waits. */
  async offer(queue: Queue, callId: string, agentId: string): Promise<'offered' | 'agent' | 'call'> {
    let result: 'offered' | 'agent' | 'call' = 'call';
    await this.serialize(callId, async () => { result = await this.offerNow(queue, callId, agentId); });
    return result;
  }

  private async offerNow(queue: Queue, callId: string, agentId: string): Promise<'offered' | 'agent' | 'call'> {
    const session = this.sessions.get(callId);
    if (!session || session.state !== 'waiting') return 'call';
    const token = randomUUID();
    const agentChannelId = `offer-${token}`;
    const expiresAt = Date.now() + queue.ringTimeoutSec * 1000 + this.offerGraceMs;
    const r = await this.state.reserve(callId, agentId, token, expiresAt, agentChannelId);
    if (!r.ok) return r.code === 'AGENT_NOT_READY' ? 'agent' : 'call';
    session.state = 'offered';
    session.offer = { token, agentId, agentChannelId };
    this.channels.set(agentChannelId, { callId, role: 'agent' });
    session.log.info('offering call', { agentId });
    await this.ringAgent(session, queue, agentId, token, agentChannelId);
    return 'offered';
  }

  /**
   * Ring-all: reserve every given agent and ring all their phones; the first to answer takes the
   * call, the others stop ringing (CANCEL). 'agent': none of them was ready; 'call': the call is gone.
   */
  async offerAll(queue: Queue, callId: string, agentIds: string[]): Promise<'offered' | 'agent' | 'call'> {
    let result: 'offered' | 'agent' | 'call' = 'call';
    await this.serialize(callId, async () => {
      const session = this.sessions.get(callId);
      if (!session || session.state !== 'waiting') return;
      const token = randomUUID();
      const legs = agentIds.map((agentId, i) => ({ agentId, channelId: `offer-${token}-${i}` }));
      const r = await this.state.reserveAll(callId, token, Date.now() + queue.ringTimeoutSec * 1000 + this.offerGraceMs, legs);
      if (!r.ok) { result = r.code === 'AGENT_NOT_READY' ? 'agent' : 'call'; return; }
      const ringing = legs.filter((l) => r.value.includes(l.agentId));
      session.state = 'offered';
      session.offer = { token, agentId: '', agentChannelId: '', legs: new Map(ringing.map((l) => [l.channelId, l.agentId])) };
      for (const l of ringing) this.channels.set(l.channelId, { callId, role: 'agent' });
      session.log.info('offering call to all', { agents: r.value });
      result = 'offered';
      await Promise.all(ringing.map((l) => this.ringAgent(session, queue, l.agentId, token, l.channelId)));
    });
    return result;
  }

  private async ringAgent(session: CallSession, queue: Queue, agentId: string, token: string, agentChannelId: string): Promise<void> {
    if (session.offer) session.offer.ariOutages = this.ari.outages;
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${agentId}`,
        channelId: agentChannelId,
        app: APP,
        appArgs: `agent,${session.callId},${token}${session.offer?.legs ? `,${agentId}` : ''}`,
        // the agent's phone shows the caller's number and, as the name, the queue
        callerId: `"${queue.name.replace(/"/g, '')}" <${session.callerNumber}>`,
        timeoutSec: queue.ringTimeoutSec,
        originator: session.callerChannelId,
      });
    } catch (err) {
      session.log.warn('agent phone could not be rung', { agentId, error: (err as Error).message });
      // Without an answer from Asterisk we cannot know whether the phone rings: the offer stays
      // pending, and the reconcile after reconnect (or the offer's Redis deadline) settles it from
      // what Asterisk really has. Requeuing now could ring the agent twice.
      if (!(err instanceof AriUnavailable)) await this.offerEnded(session, agentChannelId, 'unreachable', 'unreachable');
    }
  }

  private async agentAnswered(channel: AriChannel, callId: string, token: string, legAgentId?: string): Promise<void> {
    const s = this.sessions.get(callId);
    if (!s || s.state !== 'offered' || s.offer?.token !== token || (s.offer.legs && !s.offer.legs.has(channel.id))) {
      this.log.info('stale offer answered: hanging up the agent leg', { callId, channelId: channel.id });
      await this.ari.hangupQuietly(channel.id);
      return;
    }
    const bridgeId = `call-${callId}`;
    const [accepted] = await Promise.all([
      this.state.accept(callId, token, bridgeId, s.offer.legs ? legAgentId ?? '' : ''),
      this.ari.createBridge(bridgeId, 'mixing'),
    ]);
    if (!accepted.ok) {
      await Promise.all([this.ari.hangupQuietly(channel.id), this.ari.destroyBridge(bridgeId).catch(() => undefined)]);
      return;
    }
    const agentId = accepted.value.agentId;
    // ring-all: the others' phones stop ringing (CANCEL); they are ready again already
    for (const other of accepted.value.others) { this.channels.delete(other); void this.ari.hangupQuietly(other); }
    const queue = this.registry.findQueue(s.queueId);
    // a caller who heard ringing is answered only now
    if (queue?.waitingTone === 'ringing') await this.ari.answer(s.callerChannelId).catch(() => undefined);
    // a REFER from the agent's phone comes to us (ChannelTransfer) instead of being done by Asterisk
    // behind our back: it is tracked like an API transfer
    void this.ari.setVar(channel.id, 'PJSIP_TRANSFER_HANDLING()', 'ari-only').catch(() => undefined);
    s.state = 'connected';
    s.connected = { agentId, agentChannelId: channel.id, bridgeId };
    s.offer = undefined;
    try {
      await Promise.all([
        this.ari.stopMoh(s.callerChannelId).catch(() => undefined),
        this.ari.addChannels(bridgeId, [s.callerChannelId, channel.id]),
      ]);
      s.log.info('call connected', { agentId });
      this.onConnected(s.callId);
      this.lifecycle.emit('connected', s);
    } catch (err) {
      // the caller left between answer and bridge: its StasisEnd releases the call
      s.log.info('bridging failed', { agentId, error: (err as Error).message });
    }
  }

  // --- endings -------------------------------------------------------------------------------
  private onChannelGone(channel: AriChannel, how: 'left' | 'destroyed', cause: number): void {
    const ref = this.channels.get(channel.id);
    if (!ref) return;
    void this.serialize(ref.callId, async () => {
      const s = this.sessions.get(ref.callId);
      if (!s) { this.channels.delete(channel.id); return; }
      if (ref.role === 'party') {
        await this.partyGone(s, ref.partyId!);
      } else if (ref.role === 'consult') {
        if (s.consult?.channelId === channel.id) await this.consultOver(s, s.consult.answered ? 'target-hung-up' : 'not-answered');
      } else if (ref.role === 'caller') {
        await this.callerGone(s);
      } else if (s.state === 'offered' && (s.offer?.agentChannelId === channel.id || s.offer?.legs?.has(channel.id))) {
        if (how === 'destroyed') {
          // An agent leg that ended while our ARI connection dropped may have been answered with nobody
          // here to take it into Stasis (Asterisk then hangs it up): not the agent's fault, so the caller
          // is offered again and the agent is not paused.
          const { outcome, pauseReason } = s.offer?.ariOutages !== undefined && s.offer.ariOutages !== this.ari.outages
            ? { outcome: 'lost', pauseReason: null } : unansweredOutcome(cause);
          await this.offerEnded(s, channel.id, outcome, pauseReason);
        }
      } else if (s.state === 'connected' && s.connected?.agentChannelId === channel.id) {
        await this.finish(s, 'agent');
      } else {
        this.channels.delete(channel.id);
      }
    });
  }

  private async callerGone(s: CallSession): Promise<void> {
    if (s.state === 'connected') return this.finish(s, 'caller');
    // hanging up while leaving a callback message is how many callers end it: not an abandon
    if (s.state === 'ivr') return this.onIvrCallerGone(s);
    // a parked caller who hangs up is abandoned too: call_abandon frees the slot
    const r = await this.state.abandon(s.callId);
    const ringing = ringingChannels(s);
    this.forget(s);
    if (r.ok) s.log.info('caller abandoned');
    // the agents' phones stop ringing (CANCEL); they are ready again (done by call_abandon)
    await Promise.all(ringing.map((ch) => this.ari.hangupQuietly(ch)));
  }

  /** The agent leg of an offer ended unanswered: back to waiting, agent paused. */
  private async offerEnded(s: CallSession, agentChannelId: string, outcome: string, pauseReason: string | null): Promise<void> {
    const offer = s.offer;
    const legs = offer?.legs;
    if (s.state !== 'offered' || !offer || !(offer.agentChannelId === agentChannelId || legs?.has(agentChannelId))) return;
    const { token } = offer;
    const agentId = legs?.get(agentChannelId) ?? offer.agentId;
    const r = await this.state.failOffer(s.callId, token, outcome, pauseReason, false, legs ? agentId : '');
    this.channels.delete(agentChannelId);
    legs?.delete(agentChannelId);
    if (r.ok && r.value === 'ringing') {
      s.log.info('one phone of a ring-all stopped ringing', { agentId, outcome });
      return;
    }
    if (r.ok) {
      s.state = 'waiting';
      s.offer = undefined;
      s.log.info('offer not answered', { agentId, outcome, pausedWith: pauseReason });
      this.onCallWaiting(s.queueId);
    }
  }

  /** End a connected call from the API: both legs are hung up. */
  async hangup(callId: string): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      await this.finish(s, 'api');
    });
  }

  private async finish(s: CallSession, endedBy: 'caller' | 'agent' | 'api'): Promise<void> {
    const c = s.connected;
    for (const p of s.parties?.values() ?? []) void this.ari.hangupQuietly(p.channelId);
    if (s.consult) { void this.state.consultCancel(s.callId, s.consult.id, 'call-ended'); void this.ari.hangupQuietly(s.consult.channelId); }
    this.forget(s);
    this.lifecycle.emit('ended', s);
    await this.state.release(s.callId, endedBy, c ? this.registry.wrapUpFor(s.queueId, c.agentId) : undefined);
    s.log.info('call ended', { endedBy, agentId: c?.agentId });
    await Promise.all([
      endedBy === 'api' ? this.ari.hangupQuietly(c?.agentChannelId) : undefined,
      this.ari.hangupQuietly(endedBy === 'caller' ? c?.agentChannelId : s.callerChannelId),
      c ? this.ari.destroyBridge(c.bridgeId).catch(() => undefined) : undefined,
    ]);
  }

  private forget(s: CallSession): void {
    this.sessions.delete(s.callId);
    this.channels.delete(s.callerChannelId);
    if (s.offer) for (const ch of ringingChannels(s)) this.channels.delete(ch);
    if (s.connected) this.channels.delete(s.connected.agentChannelId);
  }

  // --- in-call control ------------------------------------------------------------------------
  private connectedSession(callId: string): CallSession & { connected: NonNullable<CallSession['connected']> } {
    const s = this.sessions.get(callId);
    if (!s || s.state !== 'connected' || !s.connected) throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected on this controller');
    return s as CallSession & { connected: NonNullable<CallSession['connected']> };
  }

  /** Hold: the caller leaves the bridge for music on hold, so nothing the agent says reaches them. */
  async hold(callId: string, on: boolean, userId: string): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      if (s.consult) throw new Conflict('CONSULT_IN_PROGRESS', 'the caller holds for a consultation: complete or cancel it');
      await this.holdNow(s, on, userId);
    });
  }

  private async holdNow(s: CallSession, on: boolean, userId: string): Promise<void> {
    const r = await this.state.callHold(s.callId, on, userId);
    if (!r.ok) { if (r.code === 'NO_CHANGE') return; throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected'); }
    const bridgeId = s.connected!.bridgeId;
    if (on) {
      await this.ari.removeChannel(bridgeId, s.callerChannelId);
      await this.ari.startMoh(s.callerChannelId, this.registry.findQueue(s.queueId)?.mohClass ?? 'default');
    } else {
      await this.ari.stopMoh(s.callerChannelId).catch(() => undefined);
      await this.ari.addChannels(bridgeId, [s.callerChannelId]);
    }
    s.log.info(on ? 'caller on hold' : 'caller off hold');
  }

  async sendDtmf(callId: string, to: 'caller' | 'agent', digits: string): Promise<void> {
    const s = this.connectedSession(callId);
    await this.ari.sendDtmf(to === 'caller' ? s.callerChannelId : s.connected.agentChannelId, digits);
  }

  /**
   * Blind transfer: to another agent (rung now; if they do not answer the caller waits in the queue
   * at their original place), to a queue (keeping their original time), or out of the ACD to a
   * dialplan extension (context acd-transfer). The agent who had the call goes to wrap-up.
   */
  async transfer(callId: string, t: { kind: 'agent' | 'queue' | 'external'; target: string }, userId: string): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      // as for hold and park: the consulted party would be left in a destroyed bridge
      if (s.consult) throw new Conflict('CONSULT_IN_PROGRESS', 'complete or cancel the consultation first');
      if (t.kind === 'external') {
        // the same rule for the API and a phone's REFER: a dialable number (never a dial string) the policy allows
        if (!EXTERNAL_TARGET.test(t.target)) throw new DestinationNotAllowed(`${JSON.stringify(t.target)} is not an extension or number`, { destination: t.target, reason: 'not-a-number', rule: null, queueId: s.queueId });
        await this.destinations.check(t.target, s.queueId, 'transfer');
      }
      const from = s.connected;
      const queue = this.registry.findQueue(s.queueId);
      const token = randomUUID();
      const agentChannelId = `offer-${token}`;
      const r = await this.state.callTransfer(callId, {
        ...t, token, agentChannelId, expiresAt: Date.now() + (queue?.ringTimeoutSec ?? 20) * 1000 + this.offerGraceMs,
      }, this.registry.wrapUpFor(s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'TARGET_NOT_READY' ? `agent ${t.target} is not ready` : 'the call cannot be transferred now');
      s.log.info('call transferred', { fromAgentId: from.agentId, ...t });
      this.channels.delete(from.agentChannelId);
      (s as CallSession).connected = undefined;
      this.lifecycle.emit('ended', s);
      await this.ari.removeChannel(from.bridgeId, s.callerChannelId).catch(() => undefined);
      await Promise.all([this.ari.hangupQuietly(from.agentChannelId), this.ari.destroyBridge(from.bridgeId).catch(() => undefined)]);
      if (t.kind === 'external') {
        this.forget(s);
        await this.ari.continueInDialplan(s.callerChannelId, 'acd-transfer', t.target);
        return;
      }
      const target = this.registry.findQueue(t.kind === 'queue' ? t.target : s.queueId) ?? queue!;
      await this.ari.startMoh(s.callerChannelId, target.mohClass).catch(() => undefined);
      if (t.kind === 'queue') {
        s.state = 'waiting';
        s.queueId = t.target;
        this.lifecycle.emit('queued', s, target);
        return;
      }
      s.state = 'offered';
      s.offer = { token, agentId: t.target, agentChannelId };
      this.channels.set(agentChannelId, { callId, role: 'agent' });
      await this.ringAgent(s, target, t.target, token, agentChannelId);
    });
  }

  /**
   * Three-way call: ring a third party (a PJSIP endpoint: an extension, an expert's desk, another
   * agent's phone) and, on answer, add them to the call's bridge, where all three hear each other.
   */
  async addParty(callId: string, target: string, userId: string, isAgent = false): Promise<string> {
    const s = this.connectedSession(callId);
    if (!isAgent && looksLikeNumber(target)) await this.destinations.check(target, s.queueId, 'three-way call');
    const partyId = randomUUID().slice(0, 8);
    const channelId = `party-${callId}-${partyId}`;
    s.parties ??= new Map();
    s.parties.set(partyId, { channelId, target, joined: false });
    this.channels.set(channelId, { callId, role: 'party', partyId });
    try {
      await this.ari.originate({
        endpoint: `PJSIP/${target}`, channelId, app: APP, appArgs: `party,${callId},${partyId}`,
        callerId: `"${(this.registry.findQueue(s.queueId)?.name ?? 'ACD').replace(/"/g, '')}" <${s.callerNumber}>`, timeoutSec: 30,
      });
    } catch (err) {
      s.parties.delete(partyId);
      this.channels.delete(channelId);
      throw new Conflict('PARTY_NOT_REACHED', `could not call ${target}: ${(err as Error).message}`);
    }
    s.log.info('calling a third party', { partyId, target, userId });
    return partyId;
  }

  private async partyAnswered(channel: AriChannel, callId: string, partyId: string): Promise<void> {
    const s = this.sessions.get(callId);
    const p = s?.parties?.get(partyId);
    if (!s || !p || s.state !== 'connected' || !s.connected) { await this.ari.hangupQuietly(channel.id); return; }
    const r = await this.state.callParty(callId, partyId, 'join', p.target, '');
    if (!r.ok) { await this.ari.hangupQuietly(channel.id); return; }
    p.joined = true;
    await this.ari.addChannels(s.connected.bridgeId, [channel.id]);
    s.log.info('third party joined', { partyId, target: p.target });
  }

  /** Drop a third party again; the call goes on between caller and agent. */
  async dropParty(callId: string, partyId: string): Promise<void> {
    const s = this.sessions.get(callId);
    const p = s?.parties?.get(partyId);
    if (!s || !p) throw new Conflict('NOT_A_PARTY', `no party ${partyId} in call ${callId}`);
    await this.ari.hangupQuietly(p.channelId);
  }

  private async partyGone(s: CallSession, partyId: string): Promise<void> {
    const p = s.parties?.get(partyId);
    if (!p) return;
    s.parties!.delete(partyId);
    this.channels.delete(p.channelId);
    if (p.joined) await this.state.callParty(s.callId, partyId, 'leave', p.target, '');
  }

  /**
   * Attended transfer: the caller holds (music) while the agent's target rings; on answer the agent
   * and the target talk in the call's bridge. Complete: the caller joins the target and the agent
   * leaves; cancel (or the target not answering): the caller is back with the agent.
   */
  async consult(callId: string, target: { kind: 'agent' | 'extension'; id: string }, userId: string): Promise<string> {
    let consultId = '';
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      if (target.kind === 'extension' && looksLikeNumber(target.id)) await this.destinations.check(target.id, s.queueId, 'consultation');
      consultId = randomUUID().slice(0, 8);
      const r = await this.state.consultStart(callId, consultId, target.kind, target.id, userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'TARGET_NOT_READY' ? `agent ${target.id} is not ready` : `cannot consult now: ${r.code}`);
      const channelId = `consult-${callId}-${consultId}`;
      s.consult = { id: consultId, channelId, kind: target.kind, target: target.id, answered: false };
      this.channels.set(channelId, { callId, role: 'consult' });
      await this.holdNow(s, true, userId);
      try {
        await this.ari.originate({
          endpoint: `PJSIP/${target.id}`, channelId, app: APP, appArgs: `consult,${callId},${consultId}`,
          callerId: `"Transfer ${(this.registry.findQueue(s.queueId)?.name ?? '').replace(/"/g, '')}" <${s.callerNumber}>`, timeoutSec: 30,
        });
      } catch (err) {
        await this.consultOver(s, 'failed');
        throw new Conflict('CONSULT_NOT_REACHED', `could not call ${target.id}: ${(err as Error).message}`);
      }
      s.log.info('consulting', { consultId, ...target });
    });
    return consultId;
  }

  private async consultAnswered(channel: AriChannel, callId: string, consultId: string): Promise<void> {
    const s = this.sessions.get(callId);
    if (!s?.consult || s.consult.id !== consultId || !s.connected) { await this.ari.hangupQuietly(channel.id); return; }
    const r = await this.state.consultAnswered(callId, consultId);
    if (!r.ok) { await this.ari.hangupQuietly(channel.id); return; }
    s.consult.answered = true;
    await this.ari.addChannels(s.connected.bridgeId, [channel.id]);
  }

  async completeConsult(callId: string, userId: string): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      const c = s.consult;
      if (!c) throw new Conflict('NO_CONSULT', 'no consultation in progress');
      const from = s.connected;
      const r = await this.state.consultComplete(callId, c.id, this.registry.wrapUpFor(s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code === 'NOT_ANSWERED' ? 'CONSULT_NOT_ANSWERED' : r.code, r.code === 'NOT_ANSWERED' ? 'the target has not answered yet' : 'no consultation in progress');
      s.consult = undefined;
      this.channels.delete(from.agentChannelId);
      // the target takes the agent's place in the session: its hang-up now ends the call
      this.channels.set(c.channelId, { callId, role: 'agent' });
      s.connected = { agentId: c.kind === 'agent' ? c.target : '', agentChannelId: c.channelId, bridgeId: from.bridgeId };
      await this.ari.hangupQuietly(from.agentChannelId);
      await this.ari.stopMoh(s.callerChannelId).catch(() => undefined);
      await this.ari.addChannels(from.bridgeId, [s.callerChannelId]);
      s.log.info('attended transfer completed', { fromAgentId: from.agentId, to: c.target });
    });
  }

  async cancelConsult(callId: string): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      if (!s.consult) throw new Conflict('NO_CONSULT', 'no consultation in progress');
      await this.consultOver(s, 'cancelled');
    });
  }

  /** The consultation ends without transfer: target hung up, caller back with the agent. */
  private async consultOver(s: CallSession, reason: string): Promise<void> {
    const c = s.consult;
    if (!c) return;
    s.consult = undefined;
    this.channels.delete(c.channelId);
    await this.state.consultCancel(s.callId, c.id, reason);
    await this.ari.hangupQuietly(c.channelId);
    if (s.state === 'connected') await this.holdNow(s, false, '');
  }

  /** Park: the caller waits in a slot with music; the agent is free. */
  async park(callId: string, userId: string): Promise<number> {
    let slot = 0;
    await this.serializeOrThrow(callId, async () => {
      const s = this.connectedSession(callId);
      if (s.consult) throw new Conflict('CONSULT_IN_PROGRESS', 'complete or cancel the consultation first');
      const queue = this.registry.findQueue(s.queueId);
      const from = s.connected;
      const r = await this.state.park(callId, Date.now() + (queue?.parkTimeoutSec ?? 60) * 1000, this.registry.wrapUpFor(s.queueId, from.agentId), userId);
      if (!r.ok) throw new Conflict(r.code, r.code === 'NO_FREE_SLOT' ? 'every parking slot is taken' : 'the call is not connected');
      slot = r.value;
      this.channels.delete(from.agentChannelId);
      (s as CallSession).connected = undefined;
      s.state = 'parked';
      this.lifecycle.emit('ended', s);
      await this.ari.removeChannel(from.bridgeId, s.callerChannelId).catch(() => undefined);
      await this.ari.startMoh(s.callerChannelId, queue?.mohClass ?? 'default').catch(() => undefined);
      await Promise.all([this.ari.hangupQuietly(from.agentChannelId), this.ari.destroyBridge(from.bridgeId).catch(() => undefined)]);
      s.log.info('call parked', { slot, by: from.agentId });
    });
    return slot;
  }

  /**
   * A parked call leaves its slot for an agent (retrieve), or, at the timeout (agentId ''), for the
   * agent who parked it; when that agent cannot take it, it waits in the queue at its place.
   */
  async unpark(callId: string, agentId: string, fromTimer: boolean): Promise<void> {
    await this.serializeOrThrow(callId, async () => {
      const s = this.sessions.get(callId);
      if (!s || s.state !== 'parked') {
        if (fromTimer) return;   // another controller's call: its controller (or reconcile) handles it
        throw new Conflict('NOT_PARKED', 'the call is not parked on this controller');
      }
      const queue = this.registry.findQueue(s.queueId);
      const token = randomUUID();
      const agentChannelId = `offer-${token}`;
      const r = await this.state.unpark(callId, agentId, token, Date.now() + (queue?.ringTimeoutSec ?? 20) * 1000 + this.offerGraceMs, agentChannelId, fromTimer);
      if (r[0] !== 1) {
        if (fromTimer) return;
        throw new Conflict(String(r[1]), r[1] === 'AGENT_NOT_READY' ? `agent ${agentId} is not ready` : 'the call is not parked');
      }
      if (r[1] === 'queued') {
        s.state = 'waiting';
        this.lifecycle.emit('queued', s, queue!);
        return;
      }
      s.state = 'offered';
      s.offer = { token, agentId: String(r[2]), agentChannelId };
      this.channels.set(agentChannelId, { callId, role: 'agent' });
      await this.ringAgent(s, queue!, String(r[2]), token, agentChannelId);
    });
  }

  /**
   * The agent's phone sent a REFER (blind transfer). Its target user part names a queue extension,
   * an agent, or else an extension or number, validated exactly like POST /calls/{id}/transfer's
   * (EXTERNAL_TARGET, then the destination policy). Anything else is refused: the phone gets a
   * failure NOTIFY and the call goes on. The user part is the phone's (or whoever controls it):
   * "1@trunk,5,U(evil)" must never reach a dial string.
   */
  private async phoneTransfer(channelId: string, dest: { destination?: string; protocol_id?: string }): Promise<void> {
    const ref = this.channels.get(channelId);
    const s = ref?.role === 'agent' ? this.sessions.get(ref.callId) : undefined;
    const target = dest.destination ?? '';
    if (!s?.connected || s.connected.agentChannelId !== channelId || !target) {
      // attended transfers from the phone (Replaces) are not taken over: refuse rather than guess
      await this.ari.transferProgress(channelId, 'channel_declined').catch(() => undefined);
      return;
    }
    const queue = this.registry.queueByExtension(target);
    const t = queue ? { kind: 'queue' as const, target: queue.id }
      : this.registry.findAgent(target) ? { kind: 'agent' as const, target } : { kind: 'external' as const, target };
    try {
      if (t.kind === 'external') {
        if (!EXTERNAL_TARGET.test(target)) throw new DestinationNotAllowed('not an extension or number', { destination: target, reason: 'not-a-number', rule: null, queueId: s.queueId });
        await this.destinations.check(target, s.queueId, 'transfer from the phone');
      }
      await this.ari.transferProgress(channelId, 'channel_answered').catch(() => undefined);
      await this.transfer(s.callId, t, `phone:${s.connected.agentId}`);
    } catch (err) {
      s.log.warn('transfer from the phone refused', { ...t, error: (err as Error).message });
      await this.ari.transferProgress(channelId, 'channel_declined').catch(() => undefined);
    }
  }

  /** Like serialize, but the caller (an API request) gets the handler's error. */
  private serializeOrThrow(callId: string, fn: () => Promise<void>): Promise<void> {
    let failure: unknown;
    return this.serialize(callId, () => fn().catch((err) => { failure = err; })).then(() => { if (failure) throw failure; });
  }

  // --- timers and reconcile ------------------------------------------------------------------
  /** An offer's Redis deadline passed (its controller may have died): free the agent, requeue the call. */
  async offerExpired(callId: string, token: string): Promise<void> {
    await this.serialize(callId, async () => {
      const r = await this.state.failOffer(callId, token, 'expired', null, true);
      const s = this.sessions.get(callId);
      if (!r.ok || !s || s.offer?.token !== token) return;
      const ringing = ringingChannels(s);
      for (const ch of ringing) this.channels.delete(ch);
      s.state = 'waiting';
      s.offer = undefined;
      this.onCallWaiting(s.queueId);
      await Promise.all(ringing.map((ch) => this.ari.hangupQuietly(ch)));
    });
  }

  /**
   * After every (re)connect: Asterisk is the truth about channels. Rebuild sessions for this node's
   * calls from Redis, and settle what happened while events were not reaching us.
   */
  async reconcile(): Promise<void> {
    const [ids, channels] = await Promise.all([this.state.nodeCalls(this.nodeId), this.ari.listChannels()]);
    const live = new Map(channels.map((c) => [c.id, c]));
    await Promise.all(ids.map((id) => this.serialize(id, () => this.reconcileCall(id, live))));
    this.log.info('reconciled with Asterisk', { calls: ids.length, channels: channels.length });
  }

  private async reconcileCall(callId: string, live: Map<string, AriChannel>): Promise<void> {
    const rec = await this.state.call(callId);
    if (!rec) return;
    const queue = this.registry.findQueue(rec.queueId);
    const caller = live.get(rec.channelId);
    const log = this.log.child({ callId, queueId: rec.queueId });
    const s: CallSession = this.sessions.get(callId)
      ?? { callId, queueId: rec.queueId, callerChannelId: rec.channelId, callerNumber: rec.callerNumber, state: 'waiting', log };
    this.sessions.set(callId, s);
    this.channels.set(rec.channelId, { callId, role: 'caller' });

    if (rec.state === 'connected') {
      s.state = 'connected';
      s.connected = { agentId: rec.agentId!, agentChannelId: rec.agentChannelId!, bridgeId: rec.bridgeId! };
      this.channels.set(rec.agentChannelId!, { callId, role: 'agent' });
      if (!caller) return this.finish(s, 'caller');
      if (!live.get(rec.agentChannelId!)) return this.finish(s, 'agent');
      this.lifecycle.emit('connected', s);
      return;
    }
    const ringAll = rec.state === 'offered' && rec.ringAll ? JSON.parse(rec.ringAll) as Record<string, string> : undefined;
    const offer = rec.state === 'offered' ? {
      token: rec.offerToken!, agentId: rec.agentId ?? '', agentChannelId: rec.agentChannelId ?? '',
      legs: ringAll && new Map(Object.entries(ringAll).map(([agentId, ch]) => [ch, agentId])),
    } : undefined;
    if (!caller) return this.callerGone(Object.assign(s, offer ? { state: 'offered' as const, offer } : { state: 'waiting' as const }));
    if (rec.state === 'parked') {
      s.state = 'parked';
      if (queue) await this.ari.startMoh(rec.channelId, queue.mohClass).catch(() => undefined);
      return;
    }
    if (rec.state === 'waiting') {
      s.state = 'waiting';
      if (queue) this.lifecycle.emit('queued', s, queue);
      // the previous controller may have died between enqueue and answer
      if (queue) await this.answerWithMusic(rec.channelId, queue);
      return;
    }
    if (rec.state === 'offered' && offer?.legs) {
      // a ring-all interrupted: start it again rather than guess which phone still rings
      s.state = 'offered';
      s.offer = offer;
      const ringing = ringingChannels(s);
      const r = await this.state.failOffer(callId, offer.token, 'lost', null);
      for (const ch of ringing) { this.channels.delete(ch); await this.ari.hangupQuietly(ch); }
      s.offer = undefined;
      s.state = 'waiting';
      if (r.ok) this.onCallWaiting(s.queueId);
      return;
    }
    if (rec.state === 'offered') {
      s.state = 'offered';
      s.offer = { token: rec.offerToken!, agentId: rec.agentId!, agentChannelId: rec.agentChannelId! };
      this.channels.set(rec.agentChannelId!, { callId, role: 'agent' });
      const agentLeg = live.get(rec.agentChannelId!);
      if (!agentLeg) return this.offerEnded(s, rec.agentChannelId!, 'lost', null);
      // answered while we were away: its StasisStart is lost, bridge it now
      if (agentLeg.state === 'Up') return this.agentAnswered(agentLeg, callId, rec.offerToken!);
      log.info('offer still ringing after reconnect', { agentId: rec.agentId });
    }
  }
}

/** The channels ringing agents for this call: the ring-all legs, or the one offer's. */
function ringingChannels(s: CallSession): string[] {
  if (!s.offer) return [];
  return s.offer.legs ? [...s.offer.legs.keys()] : [s.offer.agentChannelId];
}
