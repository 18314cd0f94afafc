import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { AgentService } from './agents/agentService';
import { Announcer } from './announcements/announcer';
import { storeWaitFacts } from './announcements/wording';
import { AccessPolicy } from './access/policy';
import { UserDirectory } from './access/users';
import { SessionService } from './access/sessions';
import { WallboardService } from './wallboards/wallboardService';
import { attachDisplayHub } from './wallboards/displayHub';
import { createApp } from './api/app';
import { attachEventsHub } from './api/eventsHub';
import { Ari } from './ari/client';
import { HANDLED_EVENTS } from './ari/types';
import { APP, CallCore } from './calls/core';
import { MediaWaiter } from './calls/core/media';
import { CallService, Dispatcher, WaitingPolicy, queueingFeature } from './calls/queueing';
import { HoldFeature } from './calls/hold';
import { TransferFeature } from './calls/transfer';
import { ConsultFeature } from './calls/consult';
import { ConferenceFeature } from './calls/conference';
import { ParkFeature } from './calls/park';
import { WrapUpFeature } from './calls/wrapUp';
import { CallbacksFeature } from './callbacks';
import { Destinations } from './destinations/destinations';
import { dayOf } from './metrics/day';
import { seededRandom } from './routing/strategies';
import { Config, ConfigError, loadConfig } from './config';
import { localClipsDirs, localPstnAccount, startLocalAsterisk, startLocalPostgres, startLocalRedis } from './embedded/localEnvironment';
import { History } from './history/history';
import { PhoneCallWatcher } from './phones/phoneCallWatcher';
import { PrometheusExporter } from './prometheus/exporter';
// asterisk-manager ships no types: its constructor is (port, host, user, password, events)
const AsteriskManager = require('asterisk-manager') as new (port: number, host: string, user: string, password: string, events: boolean) => import('./phones/phoneCallWatcher').AmiClient;
import { ClipService, clipsFeature } from './clips';
import { EventBus } from './events/bus';
import { createLogger } from './logger';
import { MonitorService, monitoringFeature } from './monitoring';
import { MetricsConsumer } from './metrics/consumer';
import { MetricsService } from './metrics/metricsService';
import { RecordingService, recordingFeature } from './recording';
import { DeviceWatcher } from './phones/deviceWatcher';
import { PhoneProvisioner } from './phones/provisioner';
import { Registry } from './registry/registry';
import { ConnectionWatch, outsideRequest } from './state/connection';
import { StateStore } from './state/store';
import { TimerService } from './timers/timerService';
import { CampaignStore } from './state/campaignStore';
import { CampaignsFeature } from './campaigns';
import { CampaignHistory } from './history/campaignHistory';

/** Composition root: config → logger → redis → ari → services → http/ws. Only here is infrastructure built. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`acd: ${err.message}\n${err.problems.map((p) => `  - ${p.path}: ${p.message}\n`).join('')}`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel, config.logFormat, { redact: config.production });
  const embedded = !config.ari;
  const ariConn = config.ari ?? await startLocalAsterisk(config, log);
  const redisUrl = config.redisUrl ?? await startLocalRedis(config, log);
  const databaseUrl = config.history.databaseUrl ?? (embedded ? await startLocalPostgres(config, log) : undefined);
  const adminToken = config.adminToken ?? (embedded ? randomBytes(18).toString('base64url') : undefined);

  // Commands wait through a Redis blip instead of failing: a lost write would lose a caller.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: `acd:${config.nodeId}` });
  // API requests: refused at once while Redis is down, never queued or resent (state/connection.ts)
  const requestRedis = new Redis(redisUrl, {
    enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0,
    commandTimeout: 1000, connectionName: `acd:${config.nodeId}:api`,
  });
  const connections = [new ConnectionWatch('api', requestRedis, log), new ConnectionWatch('calls', redis, log)];
  const state = new StateStore(redis, config.keyPrefix, Date.now, requestRedis);
  // what is over stays in Redis only this long (read by the transitions themselves)
  await state.retentionSet(config.retention);
  const registry = new Registry(state, log);
  await registry.seed(config.file);
  const users = new UserDirectory(state, adminToken);
  for (const r of await users.seed(config.file.users)) {
    if (r.user === 'DELETED') log.info('user from the config file was deleted through the API: not recreated', { userId: r.userId });
    if (r.token === 'REVOKED') log.info('token from the config file was revoked through the API: not issued again', { userId: r.userId });
  }
  const sessions = new SessionService(state);
  await sessions.seed(config.file.users);
  const policy = new AccessPolicy(registry);

  const ari = new Ari({ ...ariConn, app: APP }, log);
  const phones = new PhoneProvisioner(ari, log);
  // every number the system dials on its own passes this one policy
  const destinations = new Destinations(registry);
  // the call core, then every call feature registered with it (its Stasis kinds, channels, timers, routes)
  const core = new CallCore(ari, log);
  const media = new MediaWaiter(ari, log);
  const calls = new CallService(core, ari, state, registry, config.nodeId, config.offerGraceMs, log);
  const hold = new HoldFeature(calls, ari, state, policy);
  const callbacks = new CallbacksFeature({ core, ari, media, state, registry, calls, destinations, policy,
    outboundDial: config.file.outboundDial, nodeId: config.nodeId, offerGraceMs: config.offerGraceMs, log });
  core.register(queueingFeature(calls, policy))
    .register(hold)
    .register(new TransferFeature(core, calls, ari, state, registry, destinations, policy))
    .register(new ConsultFeature(core, calls, hold.service, ari, state, registry, destinations, policy))
    .register(new ConferenceFeature(core, calls, ari, state, registry, destinations, policy))
    .register(new ParkFeature(core, calls, ari, state, registry, policy))
    .register(new WrapUpFeature(registry, state, policy))
    .register(callbacks);
  // fewest-calls and least-talk-time read today's figures; the metrics fold events a few ms behind,
  // so pending ones are folded first (only for queues with those strategies)
  const todayOf = async (agentId: string) => {
    await metrics.catchUp();
    const t = await state.metricsDay('agent', agentId, dayOf(Date.now(), config.timeZone));
    return { calls: t.handled ?? 0, talkMs: t.talkMs ?? 0 };
  };
  const dispatcher = new Dispatcher(calls, (id) => core.offerSourceFor(id), state, registry, log, () => ari.connected, todayOf,
    config.randomSeed === undefined ? Math.random : seededRandom(config.randomSeed));
  // a dispatch a request sets off is call handling: the patient connection (state/connection.ts)
  core.events.on('waiting', (queueId) => outsideRequest(() => dispatcher.kick(queueId)));
  // maximum wait and leave-when-empty: callers overflow
  const waitingPolicy = new WaitingPolicy(core, calls, state, registry);
  const agents = new AgentService(registry, state);
  // position, estimated wait and periodic prompts to callers waiting with music
  const announcer = new Announcer(core, ari, media, calls, registry, storeWaitFacts(state, config.timeZone));
  const monitors = new MonitorService(core, ari, state, registry, calls, policy, log, destinations);
  core.register(monitoringFeature(monitors));
  const recordings = new RecordingService(core, ari, state, registry, calls, policy, config.nodeId, log);
  const clips = new ClipService(ari, media, state, calls, policy, config.clips ?? (embedded ? await localClipsDirs() : undefined), log);
  core.register(recordingFeature(recordings)).register(clipsFeature(clips));
  const busRedis = redis.duplicate();
  connections.push(new ConnectionWatch('events', busRedis, log));
  const bus = new EventBus(busRedis, state.keys.events(), log);
  const metrics = new MetricsService(state, registry, config.timeZone, log);
  const metricsRedis = redis.duplicate();
  connections.push(new ConnectionWatch('metrics', metricsRedis, log));
  const metricsConsumer = new MetricsConsumer(metricsRedis, redis, state.keys.events(), config.nodeId, metrics, log);
  // the call history: its own consumer group on the same stream; nothing in the call path waits for it
  const history = databaseUrl ? new History({
    databaseUrl, schema: config.history.schema, retentionMonths: config.history.retentionMonths,
    streamKey: state.keys.events(), consumer: config.nodeId,
    queueLogFile: config.history.queueLogFile, queueLogTable: config.history.queueLogTable,
  }, redis, redis.duplicate(), {
    serviceLevelMs: (q) => (registry.findQueue(q)?.serviceLevelSec ?? 20) * 1000,
    callbackKey: (q) => registry.findQueue(q)?.callbacks?.key ?? '1',
  }, log) : undefined;
  // campaigns of calls to make, dialed agent first (src/campaigns)
  const campaignStore = new CampaignStore(redis, config.keyPrefix, config.timeZone, Date.now, requestRedis);
  const campaignHistory = history ? { campaigns: new CampaignHistory(history.pool, config.history.schema), catchUp: () => history.writer.catchUp() } : undefined;
  const campaigns = new CampaignsFeature({ core, ari, media, store: campaignStore, state, registry, destinations, policy,
    outboundDial: config.file.outboundDial, nodeId: config.nodeId, timeZone: config.timeZone, importMaxBytes: config.campaignImportMaxBytes,
    history: campaignHistory, log });
  core.register(campaigns);
  // the Redis timers' kinds are the features' (offer, park, wrapup, callback, prefer...)
  const timers = new TimerService(state, core.timerHandlers(), log);

  const devices = new DeviceWatcher(ari, state, registry, log, (agentId) => calls.hasAgentLeg(agentId));
  // non-queue calls of agents' phones (AMI): recorded into the event stream, so into the history
  const phoneCalls = config.ami
    ? new PhoneCallWatcher(new AsteriskManager(config.ami.port, config.ami.host, config.ami.user, config.ami.password, true), state, registry, log)
    : undefined;
  // call handling, also when a request changed the agent: the patient connection, in order with the
  // phone's device events (state/connection.ts)
  registry.changes.on('agentChanged', (id, agent) => outsideRequest(async () => {
    if (!ari.connected) return;   // provisioned on connect
    if (!agent) return phones.deprovision(id);
    await phones.provision(agent);
    await devices.watch(id);
  }));
  bus.subscribe((e) => {
    void registry.onEvent(e).catch((err) => log.warn('registry refresh failed', { error: (err as Error).message }));
    dispatcher.onEvent(e);
    waitingPolicy.onEvent(e);
  });
  bus.subscribe((e) => metrics.onEvent(e));
  bus.subscribe((e) => outsideRequest(() => campaigns.dialer.onEvent(e)));
  // an agent receives the events of the campaigns it is assigned to: kept from campaign.updated
  bus.subscribe((e) => { if (e.type === 'campaign.updated' && typeof e.campaignId === 'string') policy.noteCampaignAgents(e.campaignId, (e.campaign as { agents?: string[] } | null)?.agents ?? null); });
  for (const c of await campaigns.service.list()) policy.noteCampaignAgents(c.id, c.agents);
  // an agent's scope includes the queues it is logged in to: kept from its state events
  bus.subscribe((e) => { if (e.type === 'agent.state' && typeof e.agentId === 'string' && Array.isArray(e.queues)) policy.noteLoggedIn(e.agentId, e.queues as string[]); });
  for (const a of registry.listAgents()) policy.noteLoggedIn(a.id, (await state.agentState(a.id)).queues);
  const prometheus = new PrometheusExporter({
    queueIds: () => registry.listQueues().map((q) => q.id),
    queueStats: (q) => metrics.queueStats(q),
    ariConnected: () => ari.connected,
    redisReady: () => redis.status === 'ready',
    history: () => history?.writer.status,
  });
  bus.subscribe((e) => prometheus.onEvent(e));
  bus.subscribe((e) => announcer.onEvent(e));
  // One reconcile at a time: a flapping connection announces many connects; each one that arrives
  // during a run asks for one more run after it, never a concurrent one.
  let reconciling = false;
  let reconcileAgain = false;
  ari.on('connected', () => void onAriConnected());
  async function onAriConnected(): Promise<void> {
    if (reconciling) { reconcileAgain = true; return; }
    reconciling = true;
    try {
      do {
        reconcileAgain = false;
        await reconcileOnce();
      } while (reconcileAgain && ari.connected);
    } finally {
      reconciling = false;
    }
  }
  async function reconcileOnce(): Promise<void> {
    try {
      await ari.allowEvents(APP, HANDLED_EVENTS);
      for (const a of registry.listAgents()) await phones.provision(a);
      await devices.sync();
      // every call feature, in registration order (callers and agents first)
      await core.reconcile();
      // waiting callers and callback requests may have been left unserved while we were away
      for (const q of registry.listQueues()) dispatcher.kick(q.id);
    } catch (err) {
      // a flapping connection can cut the reconcile short: try again while connected
      log.error('reconcile after ARI connect failed, retrying', { error: (err as Error).message });
      setTimeout(() => { if (ari.connected) void onAriConnected(); }, 500);
    }
  }

  await bus.start();
  await metricsConsumer.start();
  if (history) await history.start();
  else log.info('no DATABASE_URL: this controller keeps no call history');
  phoneCalls?.start();
  ari.start();
  timers.start();
  campaigns.dialer.start();
  recordings.startSweeping();

  const wallboards = new WallboardService(state, registry, policy, metrics);
  const app = createApp({ ari, redis, state, registry, agents, calls, callRoutes: core.routers(), phones, users, policy, monitors, recordings, clips, metrics, sessions, wallboards, log, connections, history, timeZone: config.timeZone, prometheus, metricsToken: config.metricsToken,
    campaigns: { campaigns: campaigns.service, store: campaignStore, policy, timeZone: config.timeZone, history: campaignHistory } });
  const server = http.createServer(app);
  attachEventsHub(server, bus, users, log, { metrics, policy, limits: config.ws });
  attachDisplayHub(server, bus, metrics, wallboards, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new Error(`port ${config.http.port} is taken: set ACD_HTTP_PORT`) : err));
    server.listen(config.http.port, config.http.host, resolve);
  });
  log.info('ACD controller started', { node: config.nodeId, api: `http://${config.http.host}:${config.http.port}/api/v1` });
  if (embedded) printWelcome(config, adminToken, await localPstnAccount().catch(() => undefined));

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    timers.stop();
    campaigns.dialer.stop();
    dispatcher.stop();
    waitingPolicy.stop();
    recordings.stopSweeping();
    ari.stop();
    bus.stop();
    metricsConsumer.stop();
    metrics.stop();
    void history?.stop();
    phoneCalls?.stop();
    server.close();
    for (const ws of server.listeners('upgrade')) server.off('upgrade', ws as never);
    requestRedis.disconnect();
    void redis.quit().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function printWelcome(config: Config, adminToken?: string, pstn?: { user: string; password: string }): void {
  const api = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}/api/v1`;
  const lines = [
    '',
    'ACD is running on the embedded default (local Asterisk 22 + Redis).',
    '',
    'Queues (dial the extension from any SIP phone on this machine):',
    ...config.file.queues.map((q) => `  ${q.extension}  ${q.name} (${q.id})`),
    '',
    `Agent phones (SIP server 127.0.0.1:${config.embedded.sipPort}, UDP):`,
    ...config.file.agents.map((a) => a.phone.mode === 'register'
      ? `  user ${a.id}  password ${a.phone.password}  (${a.name}; queues ${a.queues.join(', ')})`
      : `  ${a.id}  static contact ${a.phone.contact}  (${a.name})`),
    '',
    ...(pstn && config.file.outboundDial.includes(`@${pstn.user}`) ? [
      `Callback customers are dialed as ${config.file.outboundDial}: a softphone registered as user ${pstn.user}`,
      `  password ${pstn.password} (same server) stands in for the public network and rings with the customer's number.`,
      '  For a real trunk, see "Security" → "Outbound calls and trusted input" in README.md.',
      '',
    ] : []),
    `Web app:    ${api.replace(/\/api\/v1$/, '/')}   sign in as ${config.file.users.filter((u) => u.password).map((u) => `${u.user.id} / ${u.password}`).join(', ') || '(no sample user has a password)'}`,
    `REST API:   ${api}   (OpenAPI: ${api}/openapi.json)`,
    `WebSocket:  ${api.replace(/^http/, 'ws')}/events`,
    `Admin token: ${adminToken}${config.adminToken ? '' : '   (generated; set ACD_ADMIN_TOKEN to choose one)'}`,
    '',
    `Log an agent in:  curl -X POST -H "Authorization: Bearer ${adminToken}" ${api}/agents/${config.file.agents[0]?.id ?? 'agent1001'}/login`,
    'Stop the local Asterisk, Redis and PostgreSQL: bash scripts/asterisk.sh stop; bash scripts/redis.sh stop; bash scripts/postgres.sh stop',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`acd: ${err.message}\n`);
  process.exit(1);
});
