import assert from 'node:assert/strict';
import sinon from 'sinon';
import winston from 'winston';
import { CallCore, type CallSession } from '../../src/calls/core';
import { MediaWaiter } from '../../src/calls/core/media';
import { CallService } from '../../src/calls/queueing/callService';
import { HoldFeature, type HoldService } from '../../src/calls/hold';
import { TransferFeature, type TransferService } from '../../src/calls/transfer';
import { ConsultFeature, type ConsultService } from '../../src/calls/consult';
import { ConferenceFeature, type ConferenceService } from '../../src/calls/conference';
import { ParkFeature, type ParkService } from '../../src/calls/park';
import { AccessPolicy } from '../../src/access/policy';
import { Agent, AgentSchema, Queue, QueueSchema } from '../../src/config/schema';
import { Destinations } from '../../src/destinations/destinations';
import { Registry } from '../../src/registry/registry';
import { StateStore } from '../../src/state/store';
import { AcdError } from '../../src/errors';
import { FakeAri, settle } from './fakeAri';

/**
 * What a unit test of the call core and its features stands on: the shared fake ARI, the real call
 * core with the queueing feature and the in-call features registered as main.ts registers them, a
 * sinon stub of the state store (the Lua transitions answer what the test says; their real
 * behaviour is tested on Redis in test/integration), a real Registry loaded with the test's queues
 * and agents, and a stub of the outbound destination policy.
 */
export interface CallWorld {
  sandbox: sinon.SinonSandbox;
  ari: FakeAri;
  state: sinon.SinonStubbedInstance<StateStore>;
  registry: Registry;
  destinations: sinon.SinonStubbedInstance<Destinations>;
  core: CallCore;
  media: MediaWaiter;
  calls: CallService;
  hold: HoldService;
  transfer: TransferService;
  consult: ConsultService;
  conference: ConferenceService;
  park: ParkService;
  log: winston.Logger;
  /** Lifecycle events the core's emitter carried, in order: [name, callId, queueId?]. */
  lifecycle: [string, string, string?][];
  /** Queue ids of the core's 'waiting' events (dispatch again). */
  waitingAgain: string[];
}

export const queueDef = (o: Partial<Queue> & { id: string; extension: string }): Queue =>
  QueueSchema.parse({ name: `Queue ${o.id}`, ...o });
export const agentDef = (id: string, o: Partial<Agent> = {}): Agent =>
  AgentSchema.parse({ id, name: `Agent ${id}`, phone: { mode: 'static', contact: `sip:${id}@127.0.0.1:5090` }, ...o });

/** The default answers of the transitions: every one succeeds. Tests override what they examine. */
function succeedByDefault(state: sinon.SinonStubbedInstance<StateStore>): void {
  state.enqueue.resolves({ ok: true, value: 1 });
  state.overflow.resolves({ ok: true, value: 1 });
  state.reserve.resolves({ ok: true, value: undefined });
  state.reserveAll.callsFake(async (_c, _t, _e, legs) => ({ ok: true, value: legs.map((l) => l.agentId) }));
  state.accept.callsFake(async () => ({ ok: true, value: { agentId: 'a1', others: [] } }));
  state.failOffer.resolves({ ok: true, value: 'waiting' });
  state.abandon.resolves({ ok: true, value: 'abandoned' });
  state.release.resolves({ ok: true, value: 'ended' });
  state.callHold.resolves({ ok: true, value: undefined });
  state.callTransfer.resolves({ ok: true, value: 'transferred' });
  state.callParty.resolves({ ok: true, value: undefined });
  state.consultStart.resolves({ ok: true, value: undefined });
  state.consultAnswered.resolves({ ok: true, value: undefined });
  state.consultComplete.resolves({ ok: true, value: 'agent' });
  state.consultCancel.resolves({ ok: true, value: undefined });
  state.park.resolves({ ok: true, value: 1 });
  state.unparkCall.resolves({ ok: true, value: { to: 'offered', agentId: 'a1' } });
  state.nodeCalls.resolves([]);
  state.call.resolves(undefined);
}

export async function callWorld(opts: { queues?: Queue[]; agents?: Agent[]; offerGraceMs?: number } = {}): Promise<CallWorld> {
  const sandbox = sinon.createSandbox();
  const ari = new FakeAri();
  const state = sandbox.createStubInstance(StateStore);
  succeedByDefault(state);
  const queues = opts.queues ?? [queueDef({ id: 'q1', extension: '100', name: 'Sales', mohClass: 'sales', wrapUp: { sec: 15, extendStepSec: 30, maxSec: 60, agentsMayEnd: true, agentsMayExtend: true, dispositions: [], tags: [] } })];
  const agents = opts.agents ?? [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1'] })];
  state.registryAll.callsFake((async (kind: string) => (kind === 'queues' ? queues : kind === 'agents' ? agents : [])) as never);
  const log = winston.createLogger({ silent: true });
  const registry = new Registry(state as unknown as StateStore, log);
  await registry.reload();
  const destinations = sandbox.createStubInstance(Destinations);
  destinations.check.callsFake(async (n) => n);
  destinations.evaluate.callsFake(async (n) => ({ allowed: true, number: n }));
  const st = state as unknown as StateStore;
  const dest = destinations as unknown as Destinations;
  const policy = new AccessPolicy(registry);
  const core = new CallCore(ari.asAri(), log);
  const media = new MediaWaiter(ari.asAri(), log);
  const calls = new CallService(core, ari.asAri(), st, registry, 'n1', opts.offerGraceMs ?? 5000, log);
  const hold = new HoldFeature(calls, ari.asAri(), st, policy);
  const transfer = new TransferFeature(core, calls, ari.asAri(), st, registry, dest, policy);
  const consult = new ConsultFeature(core, calls, hold.service, ari.asAri(), st, registry, dest, policy);
  const conference = new ConferenceFeature(core, calls, ari.asAri(), st, registry, dest, policy);
  const park = new ParkFeature(core, calls, ari.asAri(), st, registry, policy);
  core.register(calls).register(hold).register(transfer).register(consult).register(conference).register(park);
  const lifecycle: [string, string, string?][] = [];
  core.events.on('queued', (s: CallSession, q: Queue) => lifecycle.push(['queued', s.callId, q.id]));
  core.events.on('connected', (s: CallSession) => lifecycle.push(['connected', s.callId]));
  core.events.on('ended', (s: CallSession) => lifecycle.push(['ended', s.callId]));
  const waitingAgain: string[] = [];
  core.events.on('waiting', (q) => waitingAgain.push(q));
  return {
    sandbox, ari, state, registry, destinations, core, media, calls, log, lifecycle, waitingAgain,
    hold: hold.service, transfer: transfer.service, consult: consult.service, conference: conference.service, park: park.service,
  };
}

/** A caller dials the queue's extension: its channel enters Stasis as the dialplan sends it. */
export async function callerArrives(w: CallWorld, channelId = 'c1', extension = '100', number = '5551234', extra: string[] = []): Promise<void> {
  w.ari.stasisStart({ ...fakeCaller(channelId, number) }, ['inbound', extension, ...extra]);
  await settle();
}

function fakeCaller(id: string, number: string) {
  return {
    id, name: `PJSIP/pstn-${id}`, state: 'Ring' as const, caller: { name: 'Caller', number }, connected: { name: '', number: '' },
    dialplan: { context: 'acd-inbound', exten: '100', priority: 1 }, creationtime: new Date(0).toISOString(),
  };
}

/** The token and agent leg of the last offer CallService rang (from its originate). */
export function lastOffer(w: CallWorld): { token: string; channelId: string; appArgs: string[] } {
  const o = w.ari.argsOf('originate').at(-1)?.[0];
  if (!o) throw new Error('nothing was originated');
  const appArgs = o.appArgs.split(',');
  return { token: appArgs[2], channelId: o.channelId, appArgs };
}

/** Caller c1 waiting, offered to `agentId`, the agent answers: a connected call, bridge call-c1. */
export async function connectedCall(w: CallWorld, agentId = 'a1', callId = 'c1'): Promise<{ agentChannelId: string; bridgeId: string }> {
  await callerArrives(w, callId);
  w.state.accept.resolves({ ok: true, value: { agentId, others: [] } });
  assertOffered(await w.calls.offer(w.registry.queue('q1'), callId, agentId));
  const offer = lastOffer(w);
  w.ari.stasisStart(offer.channelId, offer.appArgs);
  await settle();
  return { agentChannelId: offer.channelId, bridgeId: `call-${callId}` };
}

function assertOffered(r: string): void {
  if (r !== 'offered') throw new Error(`offer answered ${r}`);
}

/** The moment the call-feature unit tests run at (Date only is faked). */
export const NOW = Date.parse('2030-03-04T09:00:00Z');
/** q1's wrap-up as Registry.wrapUpFor gives it to a1 (queue wrap-up 15 s, at most 60, steps of 30). */
export const Q1_WRAP = { ms: 15_000, maxMs: 60_000, stepMs: 30_000 };

/** The call is refused with this error code. */
export const rejectsWith = async (p: Promise<unknown>, code: string): Promise<void> =>
  assert.rejects(p, (err: unknown) => err instanceof AcdError && err.code === code);

/**
 * The world the call-feature unit tests share: q1 Sales (ext 100, wrap-up 15 s that agents may end
 * and extend) and q2 Support (ext 200); a1 in q1, a2 in q1 and q2; Date fixed at NOW.
 */
export async function salesAndSupport(): Promise<{ w: CallWorld; clock: sinon.SinonFakeTimers }> {
  const w = await callWorld({
    queues: [
      queueDef({ id: 'q1', extension: '100', name: 'Sales', mohClass: 'sales', wrapUp: { sec: 15, extendStepSec: 30, maxSec: 60, agentsMayEnd: true, agentsMayExtend: true, dispositions: [], tags: [] } }),
      queueDef({ id: 'q2', extension: '200', name: 'Support', mohClass: 'support' }),
    ],
    agents: [agentDef('a1', { queues: ['q1'] }), agentDef('a2', { queues: ['q1', 'q2'] })],
  });
  // only Date: the services' promise chains are drained with settle(), which needs no timers
  const clock = w.sandbox.useFakeTimers({ now: NOW, toFake: ['Date'] });
  return { w, clock };
}
