import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { FileConfig, FileConfigSchema, describeIssues } from './schema';
import { isTimeZone } from '../metrics/day';
import { productionSecretProblems } from './secrets';

/** The only reader of process.env: everything else receives a frozen Config. */
export interface Config {
  readonly nodeId: string;
  readonly keyPrefix: string;
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty';
  readonly http: { readonly host: string; readonly port: number };
  readonly adminToken?: string;
  /** Absent: the embedded default starts a local Asterisk (and Redis when redisUrl is absent too). */
  readonly ari?: { readonly url: string; readonly user: string; readonly password: string };
  readonly redisUrl?: string;
  /** ariPassword absent: the local environment's own, generated on its first start (scripts/asterisk.sh secret ari). */
  readonly embedded: { readonly sipPort: number; readonly ariPort: number; readonly redisPort: number; readonly ariPassword?: string };
  /**
   * NODE_ENV=production (docker/controller sets it): operator-given secrets only (no sample, no
   * generated admin token), no embedded default, and secret-looking log fields redacted.
   */
  readonly production: boolean;
  /** Extra time past a queue's ring timeout before a reservation counts as lost (controller died mid-offer). */
  readonly offerGraceMs: number;
  /** The largest campaign CSV import accepted (bytes); a larger file is refused with 413 and changes nothing. */
  readonly campaignImportMaxBytes: number;
  readonly randomSeed?: number;
  /**
   * Prepared audio clips: `dir` is where the controller writes them, `mediaDir` the same folder as
   * Asterisk sees it (it plays sound:<mediaDir>/<id>). Absent: the embedded default picks the local
   * Asterisk's folder; otherwise the clip routes answer 503.
   */
  readonly clips?: { readonly dir: string; readonly mediaDir: string };
  /**
   * The call history (PostgreSQL). `databaseUrl` absent: the embedded default starts a local cluster
   * on `embeddedPort`; a controller given ARI_URL without DATABASE_URL keeps no history.
   */
  readonly history: {
    readonly databaseUrl?: string;
    readonly embeddedPort: number;
    /** PostgreSQL schema holding the history tables (several installations or tests can share one database). */
    readonly schema: string;
    readonly retentionMonths: number;
    /** Asterisk-style queue_log file the history is also written to; absent: none. */
    readonly queueLogFile?: string;
    /** Also fill a `queue_log` table with QueueMetrics' columns. */
    readonly queueLogTable: boolean;
  };
  /**
   * AMI, for the calls agents' phones take or make outside the queues. Absent: not watched. The
   * embedded default uses the local Asterisk's (the ARI port + 1, as scripts/asterisk.sh sets it).
   */
  readonly ami?: { readonly host: string; readonly port: number; readonly user: string; readonly password: string };
  /** Bearer token /metrics (Prometheus) asks for; absent: /metrics is open. */
  readonly metricsToken?: string;
  /** IANA time zone whose calendar day is "today" for the metrics. */
  readonly timeZone: string;
  readonly configFile: string;
  readonly file: FileConfig;
  /** WebSocket clients: ping interval (a client that misses a pong is dropped), send-buffer bound, message size limit. */
  readonly ws: { readonly pingIntervalMs: number; readonly maxBufferedBytes: number; readonly maxPayloadBytes: number };
  /** How long finished callback requests and the last-agent memory of caller numbers are kept. */
  readonly retention: { readonly recordSec: number; readonly finishedCallbackSec: number; readonly lastAgentSec: number };
}

export class ConfigError extends Error {
  constructor(message: string, readonly problems: { path: string; message: string }[] = []) {
    super(message);
  }
}

const port = z.coerce.number().int().min(1).max(65535);
const EnvSchema = z.object({
  ARI_URL: z.string().url().optional(),
  ARI_USER: z.string().min(1).default('acd'),
  ARI_PASSWORD: z.string().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'redis://host:port[/db]').optional(),
  ACD_CONFIG: z.string().optional(),
  ACD_NODE_ID: z.string().regex(/^[a-zA-Z0-9_.:@-]+$/).optional(),
  ACD_KEY_PREFIX: z.string().regex(/^[a-zA-Z0-9_:.-]*$/).default('acd:'),
  ACD_HTTP_HOST: z.string().default('127.0.0.1'),
  ACD_HTTP_PORT: port.default(8080),
  ACD_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  ACD_SIP_PORT: port.default(5060),
  ACD_ARI_PORT: port.default(8088),
  ACD_REDIS_PORT: port.default(6390),
  ACD_OFFER_GRACE_MS: z.coerce.number().int().min(500).max(60000).default(3000),
  ACD_CAMPAIGN_IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(50 * 1024 * 1024),
  ACD_CLIPS_DIR: z.string().startsWith('/', 'an absolute path').optional(),
  ACD_CLIPS_MEDIA_DIR: z.string().startsWith('/', 'an absolute path').optional(),
  ACD_TIMEZONE: z.string().default('UTC').refine(isTimeZone, 'an IANA time zone such as Europe/Paris'),
  /** Seeds the random routing strategy's draw (tests); unset means Math.random. */
  ACD_RANDOM_SEED: z.coerce.number().int().min(0).optional(),
  ACD_WS_PING_MS: z.coerce.number().int().min(100).max(600000).default(30000),
  ACD_WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  ACD_WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(64).max(1024 * 1024).default(4096),
  /** Finished call and monitor records: 7 days. */
  ACD_RECORD_RETENTION_SEC: z.coerce.number().int().min(1).default(7 * 86400),
  /** Finished callback requests (completed, cancelled) and their attempts: 7 days. */
  ACD_CALLBACK_RETENTION_SEC: z.coerce.number().int().min(1).default(7 * 86400),
  /** preferLastAgent's memory of which agent last served a number in a queue: 30 days. */
  ACD_LAST_AGENT_RETENTION_SEC: z.coerce.number().int().min(1).default(30 * 86400),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'postgres://user@host:port/database').optional(),
  ACD_PG_PORT: port.default(6432),
  ACD_HISTORY_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').default('acd_history'),
  ACD_HISTORY_RETENTION_MONTHS: z.coerce.number().int().min(1).max(120).default(13),
  ACD_QUEUE_LOG_FILE: z.string().startsWith('/', 'an absolute path').optional(),
  ACD_QUEUE_LOG_TABLE: z.enum(['0', '1', 'true', 'false']).default('0'),
  AMI_HOST: z.string().min(1).optional(),
  AMI_PORT: port.optional(),
  AMI_USER: z.string().min(1).default('acd'),
  AMI_PASSWORD: z.string().min(1).optional(),
  // (compose passes an unset one as '')
  ACD_METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'at least 16 characters').optional()),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('pretty'),
  NODE_ENV: z.string().optional(),
});

export function loadFileConfig(file: string): FileConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the config file ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`the config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  const parsed = FileConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(`the config file ${file} is invalid`, describeIssues(parsed.error));
  return parsed.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, repoRoot = path.resolve(__dirname, '../../..')): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('invalid environment', describeIssues(parsed.error));
  const e = parsed.data;
  // production mode names every missing secret at once (below)
  if (e.ARI_URL && !e.ARI_PASSWORD && e.NODE_ENV !== 'production') throw new ConfigError('ARI_URL is set but ARI_PASSWORD is not');
  if (e.ACD_CLIPS_MEDIA_DIR && !e.ACD_CLIPS_DIR) throw new ConfigError('ACD_CLIPS_MEDIA_DIR is set but ACD_CLIPS_DIR is not');
  const configFile = path.resolve(e.ACD_CONFIG ?? path.join(repoRoot, 'config/sample.yaml'));
  const ari = e.ARI_URL ? { url: e.ARI_URL.replace(/\/+$/, ''), user: e.ARI_USER, password: e.ARI_PASSWORD as string } : undefined;
  const config: Config = {
    // Calls live on one Asterisk; whoever drives that Asterisk owns them, across restarts.
    nodeId: e.ACD_NODE_ID ?? `ari@${ari ? new URL(ari.url).host : `127.0.0.1:${e.ACD_ARI_PORT}`}`,
    keyPrefix: e.ACD_KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    http: { host: e.ACD_HTTP_HOST, port: e.ACD_HTTP_PORT },
    adminToken: e.ACD_ADMIN_TOKEN,
    ari,
    redisUrl: e.REDIS_URL,
    embedded: { sipPort: e.ACD_SIP_PORT, ariPort: e.ACD_ARI_PORT, redisPort: e.ACD_REDIS_PORT, ariPassword: e.ARI_PASSWORD },
    production: e.NODE_ENV === 'production',
    offerGraceMs: e.ACD_OFFER_GRACE_MS,
    campaignImportMaxBytes: e.ACD_CAMPAIGN_IMPORT_MAX_BYTES,
    randomSeed: e.ACD_RANDOM_SEED,
    // one path for both when the controller and Asterisk see the same file system
    clips: e.ACD_CLIPS_DIR ? { dir: e.ACD_CLIPS_DIR, mediaDir: e.ACD_CLIPS_MEDIA_DIR ?? e.ACD_CLIPS_DIR } : undefined,
    history: {
      databaseUrl: e.DATABASE_URL,
      embeddedPort: e.ACD_PG_PORT,
      schema: e.ACD_HISTORY_SCHEMA,
      retentionMonths: e.ACD_HISTORY_RETENTION_MONTHS,
      queueLogFile: e.ACD_QUEUE_LOG_FILE,
      queueLogTable: e.ACD_QUEUE_LOG_TABLE === '1' || e.ACD_QUEUE_LOG_TABLE === 'true',
    },
    ami: e.AMI_PORT
      ? { host: e.AMI_HOST ?? (ari ? new URL(ari.url).hostname : '127.0.0.1'), port: e.AMI_PORT, user: e.AMI_USER, password: e.AMI_PASSWORD ?? e.ARI_PASSWORD ?? 'acd-local' }
      : ari ? undefined : { host: '127.0.0.1', port: e.ACD_ARI_PORT + 1, user: e.AMI_USER, password: e.AMI_PASSWORD ?? e.ARI_PASSWORD ?? 'acd-local' },
    metricsToken: e.ACD_METRICS_TOKEN,
    timeZone: e.ACD_TIMEZONE,
    configFile,
    file: loadFileConfig(configFile),
    ws: { pingIntervalMs: e.ACD_WS_PING_MS, maxBufferedBytes: e.ACD_WS_MAX_BUFFERED_BYTES, maxPayloadBytes: e.ACD_WS_MAX_PAYLOAD_BYTES },
    retention: { recordSec: e.ACD_RECORD_RETENTION_SEC, finishedCallbackSec: e.ACD_CALLBACK_RETENTION_SEC, lastAgentSec: e.ACD_LAST_AGENT_RETENTION_SEC },
  };
  if (config.production) {
    const problems = productionSecretProblems({ ariUrl: e.ARI_URL, ariPassword: e.ARI_PASSWORD, adminToken: e.ACD_ADMIN_TOKEN, file: config.file });
    if (problems.length) throw new ConfigError('production mode (NODE_ENV=production) refuses to start without operator-given secrets', problems);
  }
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}
