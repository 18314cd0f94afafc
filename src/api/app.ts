import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { Redis } from 'ioredis';
import YAML from 'yaml';
import type { AccessPolicy } from '../access/policy';
import type { UserDirectory } from '../access/users';
import type { AgentService } from '../agents/agentService';
import type { Ari } from '../ari/client';
import type { CallbackService } from '../callbacks/callbackService';
import type { CallService } from '../calls/callService';
import type { ClipService } from '../clips/clipService';
import { Dispositions } from '../calls/dispositions';
import type { Logger } from '../logger';
import type { MonitorService } from '../monitoring/monitorService';
import type { RecordingService } from '../recording/recordingService';
import type { PhoneProvisioner } from '../phones/provisioner';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { withinRequest, type ConnectionWatch } from '../state/connection';
import { authenticate } from './auth';
import { refuseWhileStateDown } from './availability';
import { errorHandler, notFoundRoute } from './errorHandler';
import { agentsRouter } from './routes/agents';
import { callbacksRouter } from './routes/callbacks';
import { callControlRouter } from './routes/callControl';
import { parkingRouter } from './routes/parking';
import { pauseReasonsRouter } from './routes/pauseReasons';
import { callsRouter } from './routes/calls';
import { clipsRouter } from './routes/clips';
import { healthRouter } from './routes/health';
import { monitorsRouter } from './routes/monitors';
import { metricsRouter } from './routes/metrics';
import type { MetricsService } from '../metrics/metricsService';
import { recordingsRouter } from './routes/recordings';
import { queuesRouter } from './routes/queues';
import { settingsRouter } from './routes/settings';
import { usersRouter } from './routes/users';
import { reportsRouter } from './routes/reports';
import type { History } from '../history/history';
import { sessionsRouter, signInRouter } from './routes/sessions';
import type { SessionService } from '../access/sessions';
import { webApp } from './webApp';
import { displayRouter, wallboardsRouter } from './routes/wallboards';
import { skillsRouter } from './routes/skills';
import type { WallboardService } from '../wallboards/wallboardService';
import { prometheusRouter } from './routes/prometheus';
import type { PrometheusExporter } from '../prometheus/exporter';
import { campaignsRouter, type CampaignRoutesDeps } from './routes/campaigns';

export const OPENAPI_FILE = path.resolve(__dirname, '../../../src/api/openapi.yaml');

export interface ApiDeps {
  ari: Ari; redis: Redis; state: StateStore; registry: Registry; agents: AgentService;
  calls: CallService; callbacks: CallbackService; phones: PhoneProvisioner; users: UserDirectory; policy: AccessPolicy; monitors: MonitorService; log: Logger;
  recordings: RecordingService;
  clips: ClipService;
  metrics: MetricsService;
  /** The Redis connections to report in /health; the first is the state connection API requests use. */
  connections?: ConnectionWatch[];
  /** The call history; absent when the controller keeps none (no DATABASE_URL). */
  history?: History;
  timeZone?: string;
  sessions: SessionService;
  wallboards: WallboardService;
  prometheus?: PrometheusExporter;
  metricsToken?: string;
  /** Campaigns of calls to make (absent: no campaign routes). */
  campaigns?: CampaignRoutesDeps;
}

export function createApp(d: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  // a request's state commands are refused at once during an outage (state/connection.ts)
  app.use((_req, res, next) => withinRequest(() => next(), new Promise((done) => res.once('close', done))));
  const openapi = YAML.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
  const v1 = express.Router();
  v1.use(healthRouter(d.ari, d.redis, d.connections));
  v1.get('/openapi.json', (_req, res) => { res.json(openapi); });
  v1.use(refuseWhileStateDown(d.connections?.[0]));
  v1.use(signInRouter(d.sessions));
  v1.use(displayRouter(d.wallboards));
  v1.use(authenticate(d.users));
  v1.use(sessionsRouter(d.sessions));
  v1.use(wallboardsRouter(d.wallboards));
  v1.use(skillsRouter(d.registry, d.policy));
  v1.use(queuesRouter(d.registry, d.state, d.policy));
  v1.use(agentsRouter(d.registry, d.agents, d.state, d.phones, d.policy));
  v1.use(usersRouter(d.users));
  v1.use(settingsRouter(d.registry));
  v1.use(monitorsRouter(d.monitors));
  v1.use(metricsRouter(d.metrics, d.registry, d.policy));
  v1.use(recordingsRouter(d.recordings));
  v1.use(clipsRouter(d.clips));
  v1.use(callsRouter(d.calls, d.state, d.policy, new Dispositions(d.state, d.registry, d.policy), d.registry));
  v1.use(callControlRouter(d.calls, d.registry, d.policy));
  v1.use(parkingRouter(d.calls, d.state, d.policy));
  v1.use(pauseReasonsRouter(d.state));
  v1.use(reportsRouter(d.history, d.registry, d.policy, d.timeZone ?? 'UTC', Date.now,
    d.campaigns?.history ? { history: d.campaigns.history.campaigns, missedCampaigns: (ids) => d.campaigns!.store.missedCampaigns(ids) } : undefined));
  if (d.campaigns) v1.use(campaignsRouter(d.campaigns));
  v1.use(callbacksRouter(d.callbacks, d.policy, (q) => Boolean(d.registry.findQueue(q))));
  app.use('/api/v1', v1);
  if (d.prometheus) app.use(prometheusRouter(d.prometheus, d.metricsToken));
  app.use(webApp());
  app.use(notFoundRoute);
  app.use(errorHandler(d.log));
  return app;
}
