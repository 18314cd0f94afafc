import { randomUUID } from 'node:crypto';
import { Ari, AriGone, AriUnavailable } from '../../ari/client';
import { callerIdOf } from '../../ari/callerId';
import type { AriChannel } from '../../ari/types';
import type { Queue } from '../../config/schema';
import { Conflict } from '../../errors';
import type { Logger } from '../../logger';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import { APP, CallCore, CallFeature, CallSession, ChannelRef, ConnectedCall, unansweredOutcome } from '../core';
import { wrapUpFor } from '../wrapUp/policy';
import { overflowTarget, parseSkills } from './overflow';

/** The owner name of callers' and agents' channels in the channel table. */
export const QUEUEING = 'queueing';

/** Set on every agent leg an offer rings (see ringAgent). */
export const AGENT_LEG_VARIABLES: Readonly<Record<string, string>> = Object.freeze({ 'PJSIP_TRANSFER_HANDLING()': 'ari-only' });

/** The in-call actions a feature may refuse for a while (InCallGuard). */
export type InCallAction = 'hold' | 'transfer' | 'park';
export type InCallGuard = (s: ConnectedCall, action: InCallAction) => void;

/**
 * The call lifecycle on this controller's Asterisk: inbound → queued (music on hold) → offered
 * (agent's phone rings) → connected (bridged) → ended, plus abandon and unanswered offers.
 * Every state change goes through a Lua transition first; Asterisk is then told what to do.
 * Handlers of one call run one at a time (ARI events of a call can arrive while a handler awaits).
 */
export class CallService implements CallFeature {
  readonly name = QUEUEING;
  readonly roles = ['caller', 'agent'] as const;
  private readonly sessions = new Map<string, CallSession>();
  /**
   * Per waiting caller of ours: done when Asterisk has answered them and started their music (or
   * ringback). An offer does not wait for it (the agent's phone rings meanwhile); bridging does.
   */
  private readonly callerReady = new Map<string, Promise<void>>();
  private readonly channels: Channels;
  readonly stasis: CallFeature['stasis'] = {
    inbound: (channel, [extension, priority, skills]) => void this.inbound(channel, extension ?? '', priority, skills),
    agent: (channel, [callId, token, agentId]) => void this.serialize(callId, () => this.agentAnswered(channel, callId, token, agentId)),
  };
  readonly timers: CallFeature['timers'] = {
    // an offer of an entry that is another feature's (a callback request) is that feature's to settle
    offer: ([id, token]) => (this.core.offerSourceFor(id)?.offerExpired(id, token) ?? this.offerExpired(id, token)),
  };
  private readonly guards: InCallGuard[] = [];
  readonly channelGone: CallFeature['channelGone'] = (channel, _ref, how, cause) => this.onChannelGone(channel, how, cause);

  constructor(
    private readonly core: CallCore,
    private readonly ari: Ari,
    private readonly state: StateStore,
    private readonly registry: Registry,
    private readonly nodeId: string,
    private readonly offerGraceMs: number,
    private readonly log: Logger,
  ) {
    this.channels = new Channels(core);
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

  /** The agent's phone rings for, or is connected to, a call of ours (its device shows busy because of us). */
  hasAgentLeg(agentId: string): boolean { return this.channels.hasAgentLeg(agentId); }

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
    this.core.events.emit('waiting', s.queueId);
    return true;
  }

  /** The callback IVR is done with this caller (request made, caller gone or hung up on). */
  forgetIvr(callId: string): void {
    const s = this.sessions.get(callId);
    if (s?.state === 'ivr') this.forget(s);
  }

  private serialize(callId: string, fn: () => Promise<void>): Promise<void> {
    return this.core.executor.run(callId, fn);
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
    // The music is not waited for in the call's turn: the offer that follows the enqueue (its own
    // turn) rings the agent while Asterisk answers the caller, and only the bridging waits for it.
    const music = this.answerWithMusic(channel.id, queue);
    const ready = music.then(() => undefined, () => undefined);
    this.callerReady.set(callId, ready);
    void ready.then(() => { if (this.callerReady.get(callId) === ready) this.callerReady.delete(callId); });
    let joined = false;
    await this.serialize(callId, async () => {
      const queued = await this.state.enqueue({
        callId, queueId: queue.id, node: this.nodeId, callerNumber: channel.caller.number, callerName: channel.caller.name, channelId: channel.id,
        priority, skills, priorityStepMs: queue.priorityStepSec * 1000, maxCallers: queue.maxCallers, joinWhenEmpty: queue.joinWhenEmpty,
      });
      if (!queued.ok && (queued.code === 'QUEUE_FULL' || queued.code === 'QUEUE_EMPTY')) {
        await music;
        log.info('caller refused by the queue\'s policy', { reason: queued.code });
        await this.sendOnward(session, queue, queued.code === 'QUEUE_FULL' ? 'full' : 'empty', true);
        return;
      }
      log.info('caller queued', { callerNumber: channel.caller.number, position: queued.ok ? queued.value : null, priority });
      if (!queued.ok) { await music; return; }
      joined = true;
    });
    if (!joined) return;
    // this controller's dispatcher runs for the caller now, not when the enqueue's call.queued comes
    // back on the stream (that echo still wakes the other controllers, and here finds the run done)
    this.core.events.emit('waiting', queue.id);
    // 'queued' listeners (announcements, the callback offer, the maximum wait) play to an answered
    // caller: told once the music runs, in the call's turn, unless the call is over or connected by then
    await music.then(
      () => this.serialize(callId, async () => {
        const still = this.sessions.get(callId) === session && session.queueId === queue.id;
        if (still && (session.state === 'waiting' || session.state === 'offered')) this.core.events.emit('queued', session, queue);
      }),
      (err: Error) => log.warn('caller could not be answered', { error: err.message }),
    );
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
      this.core.events.emit('queued', s, next);
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
    this.channels.set(agentChannelId, { callId, role: 'agent' }, agentId);
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
      for (const l of ringing) this.channels.set(l.channelId, { callId, role: 'agent' }, l.agentId);
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
        callerId: callerIdOf(queue.name, session.callerNumber),
        timeoutSec: queue.ringTimeoutSec,
        originator: session.callerChannelId,
        // a REFER from the agent's phone comes to us (ChannelTransfer) instead of being done by
        // Asterisk behind our back: it is tracked like an API transfer. Set as the leg is created,
        // not with a request of its own once it answers.
        variables: AGENT_LEG_VARIABLES,
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
    // the caller's answer and music (or ringback), started as they arrived, are done before they are bridged
    await this.callerReady.get(callId);
    // a caller who heard ringing is answered only now
    if (queue?.waitingTone === 'ringing') await this.ari.answer(s.callerChannelId).catch(() => undefined);
    s.state = 'connected';
    s.connected = { agentId, agentChannelId: channel.id, bridgeId };
    s.offer = undefined;
    try {
      await Promise.all([
        this.ari.stopMoh(s.callerChannelId).catch(() => undefined),
        this.ari.addChannels(bridgeId, [s.callerChannelId, channel.id]),
      ]);
      s.log.info('call connected', { agentId });
      this.core.events.emit('connected', s);
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
      if (ref.role === 'caller') {
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
    if (s.state === 'ivr') { this.core.events.emit('ivrCallerGone', s); return; }
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
      this.core.events.emit('waiting', s.queueId);
    }
  }

  /** End a connected call from the API: both legs are hung up. */
  async hangup(callId: string): Promise<void> {
    await this.inTurn(callId, async () => {
      const s = this.connectedSession(callId);
      await this.finish(s, 'api');
    });
  }

  private async finish(s: CallSession, endedBy: 'caller' | 'agent' | 'api'): Promise<void> {
    const c = s.connected;
    // features with legs of their own in the call (parties, a consultation) let them go
    this.core.events.emit('ending', s);
    this.forget(s);
    this.core.events.emit('ended', s);
    await this.state.release(s.callId, endedBy, c ? wrapUpFor(this.registry, s.queueId, c.agentId) : undefined);
    s.log.info('call ended', { endedBy, agentId: c?.agentId });
    await Promise.all([
      endedBy === 'api' ? this.ari.hangupQuietly(c?.agentChannelId) : undefined,
      this.ari.hangupQuietly(endedBy === 'caller' ? c?.agentChannelId : s.callerChannelId),
      c ? this.ari.destroyBridge(c.bridgeId).catch(() => undefined) : undefined,
    ]);
  }

  private forget(s: CallSession): void {
    this.sessions.delete(s.callId);
    this.callerReady.delete(s.callId);
    this.channels.delete(s.callerChannelId);
    if (s.offer) for (const ch of ringingChannels(s)) this.channels.delete(ch);
    if (s.connected) this.channels.delete(s.connected.agentChannelId);
  }

  // --- for the in-call features (hold, transfer, consult, conference, park) -------------------
  /** The call, connected on this controller; else CALL_NOT_CONNECTED. */
  connectedSession(callId: string): ConnectedCall {
    const s = this.sessions.get(callId);
    if (!s || s.state !== 'connected' || !s.connected) throw new Conflict('CALL_NOT_CONNECTED', 'the call is not connected on this controller');
    return s as ConnectedCall;
  }

  /** Run an action of a request in the call's turn (core executor): the request gets its result or error. */
  inTurn<T>(callId: string, fn: () => Promise<T>): Promise<T> { return this.core.executor.runOrThrow(callId, fn); }

  /** Run an event's handler in the call's turn: a failure is logged. */
  inTurnQuietly(callId: string, fn: () => Promise<void>): Promise<void> { return this.serialize(callId, fn); }

  /** A feature that makes an in-call action impossible for a while (a consultation holds the caller) throws its Conflict here. */
  addGuard(guard: InCallGuard): void { this.guards.push(guard); }

  /** Every guard's say on this action (throws the first Conflict). */
  checkAction(s: ConnectedCall, action: InCallAction): void { for (const g of this.guards) g(s, action); }

  /**
   * The agent leaves a connected call and its bridge goes, the caller stays with us (transfer, park):
   * the call is over for the agent ('ended'), the caller is out of the bridge, then (whileOut, e.g.
   * music) the agent's leg is hung up and the bridge destroyed.
   */
  async agentLeaves(s: ConnectedCall, whileOut?: () => Promise<void>): Promise<NonNullable<CallSession['connected']>> {
    const from = s.connected;
    this.channels.delete(from.agentChannelId);
    (s as CallSession).connected = undefined;
    this.core.events.emit('ended', s);
    await this.ari.removeChannel(from.bridgeId, s.callerChannelId).catch(() => undefined);
    await whileOut?.();
    await Promise.all([this.ari.hangupQuietly(from.agentChannelId), this.ari.destroyBridge(from.bridgeId).catch(() => undefined)]);
    return from;
  }

  /** Ring an agent for a call whose offer Redis already made (a transfer to an agent, a parked call retrieved). */
  async ringOffer(s: CallSession, queue: Queue, agentId: string, token: string, agentChannelId: string): Promise<void> {
    s.state = 'offered';
    s.offer = { token, agentId, agentChannelId };
    this.channels.set(agentChannelId, { callId: s.callId, role: 'agent' }, agentId);
    await this.ringAgent(s, queue, agentId, token, agentChannelId);
  }

  /** The call left us for good (an external transfer): forgotten here, Redis already knows. */
  forgetCall(s: CallSession): void { this.forget(s); }

  /** The call's agent leg is now this channel (a completed attended transfer): its hang-up ends the call. */
  takeAgentLeg(s: ConnectedCall, agentId: string, channelId: string): void {
    this.channels.delete(s.connected.agentChannelId);
    this.channels.set(channelId, { callId: s.callId, role: 'agent' }, agentId);
    s.connected = { agentId, agentChannelId: channelId, bridgeId: s.connected.bridgeId };
  }

  /** A call's queue, for the music and names features use (undefined: deleted since). */
  queueOf(s: CallSession): Queue | undefined { return this.registry.findQueue(s.queueId); }

  /** The offer's Redis deadline for a ring of this queue. */
  offerDeadline(queue: Queue | undefined): number { return Date.now() + (queue?.ringTimeoutSec ?? 20) * 1000 + this.offerGraceMs; }


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
      this.core.events.emit('waiting', s.queueId);
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
    s.recovered = true;
    this.sessions.set(callId, s);
    this.channels.set(rec.channelId, { callId, role: 'caller' });

    if (rec.state === 'connected') {
      s.state = 'connected';
      s.connected = { agentId: rec.agentId!, agentChannelId: rec.agentChannelId!, bridgeId: rec.bridgeId! };
      this.channels.set(rec.agentChannelId!, { callId, role: 'agent' }, rec.agentId);
      if (!caller) return this.finish(s, 'caller');
      if (!live.get(rec.agentChannelId!)) return this.finish(s, 'agent');
      this.core.events.emit('connected', s);
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
      if (queue) this.core.events.emit('queued', s, queue);
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
      if (r.ok) this.core.events.emit('waiting', s.queueId);
      return;
    }
    if (rec.state === 'offered') {
      s.state = 'offered';
      s.offer = { token: rec.offerToken!, agentId: rec.agentId!, agentChannelId: rec.agentChannelId! };
      this.channels.set(rec.agentChannelId!, { callId, role: 'agent' }, rec.agentId);
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

/**
 * This feature's view of the core's channel table: its own channels, by role; and which agents have
 * a leg of ours (ringing or connected), so that a phone busy with our own call is told apart from
 * one on a call of its own without asking Redis (hasAgentLeg).
 */
class Channels {
  private readonly agentOf = new Map<string, string>();
  private readonly legsOf = new Map<string, number>();
  constructor(private readonly core: CallCore) {}
  get(channelId: string): ChannelRef | undefined {
    const ref = this.core.channels.get(channelId);
    return ref?.feature === QUEUEING ? ref : undefined;
  }
  set(channelId: string, ref: { callId: string; role: 'caller' | 'agent' }, agentId?: string): void {
    this.core.channels.set(channelId, { ...ref, feature: QUEUEING });
    this.untrack(channelId);
    if (ref.role === 'agent' && agentId) {
      this.agentOf.set(channelId, agentId);
      this.legsOf.set(agentId, (this.legsOf.get(agentId) ?? 0) + 1);
    }
  }
  delete(channelId: string | undefined): void {
    this.core.channels.delete(channelId);
    if (channelId) this.untrack(channelId);
  }
  hasAgentLeg(agentId: string): boolean { return this.legsOf.has(agentId); }
  private untrack(channelId: string): void {
    const agentId = this.agentOf.get(channelId);
    if (agentId === undefined) return;
    this.agentOf.delete(channelId);
    const n = (this.legsOf.get(agentId) ?? 1) - 1;
    if (n > 0) this.legsOf.set(agentId, n); else this.legsOf.delete(agentId);
  }
}
