import type { Pool, PoolClient } from 'pg';

/**
 * Versioned schema migrations, applied in order at start, each in its own transaction, under an
 * advisory lock so that several controllers starting together apply each one exactly once.
 *
 * A small runner rather than node-pg-migrate: the history needs only forward migrations run by the
 * controller itself at start (no CLI, no down-migrations, no migration files shipped beside dist/),
 * inside a configurable schema; the runner is these forty lines. Monthly partitions are not
 * migrations: the writer creates them as months come (partitions.ts).
 */
export interface Migration { version: number; name: string; sql: string }

/** Tables partitioned by month (RANGE on their time column); partitions.ts creates and drops their months. */
export const PARTITIONED: Record<string, string> = {
  call_events: 'at',
  queue_calls: 'entered_at',
  agent_state_spans: 'started_at',
  agent_sessions: 'login_at',
  callback_attempts: 'at',
  queue_log: 'time',
  phone_calls: 'started_at',
  campaign_attempts: 'ended_at',
};

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'history tables',
    sql: `
-- the last stream entry folded in: the writer applies entries after it, in stream order, and moves
-- it in the same transaction as the rows (exactly once)
CREATE TABLE history_cursor (id int PRIMARY KEY CHECK (id = 1), stream_id text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO history_cursor (id, stream_id) VALUES (1, '0-0');

-- every event of a call, as it happened: a call's steps (and what queue_log is rebuilt from)
CREATE TABLE call_events (
  stream_id text NOT NULL, at timestamptz NOT NULL, call_id text NOT NULL, type text NOT NULL,
  queue_id text, agent_id text, data jsonb NOT NULL,
  PRIMARY KEY (stream_id, at)
) PARTITION BY RANGE (at);
CREATE INDEX ON call_events (call_id, at);

-- one row per visit of a call to a queue: the caller's arrival, an overflow or transfer into
-- another queue, a transfer to an agent, a return from parking
CREATE TABLE queue_calls (
  call_id text NOT NULL, seq int NOT NULL, entered_at timestamptz NOT NULL,
  queue_id text NOT NULL, entry text NOT NULL,            -- arrival | overflow | queue_transfer | agent_transfer | unpark
  caller_number text NOT NULL DEFAULT '', caller_name text NOT NULL DEFAULT '',
  offers int NOT NULL DEFAULT 0, offered_to text[] NOT NULL DEFAULT '{}', first_offered_at timestamptz, ringing_since timestamptz,
  answered_at timestamptz, agent_id text, ended_at timestamptz, ended_by text,
  wait_ms bigint, ring_ms bigint NOT NULL DEFAULT 0, talk_ms bigint, hold_ms bigint NOT NULL DEFAULT 0, held_since timestamptz,
  wrapup_ms bigint,
  outcome text,                                           -- answered | abandoned_waiting | abandoned_ringing | timed_out | overflowed | callback | transferred | parked
  outcome_target text,                                    -- overflow or transfer target, kind:target
  callback_id text, disposition text, tags text[] NOT NULL DEFAULT '{}', notes text,
  recording_ids text[] NOT NULL DEFAULT '{}',
  sl_threshold_ms int NOT NULL DEFAULT 20000, sl_met boolean,
  entry_position int,                                     -- place in line on entering (queue_log's origposition)
  PRIMARY KEY (call_id, seq, entered_at)
) PARTITION BY RANGE (entered_at);
CREATE INDEX ON queue_calls (queue_id, entered_at);
CREATE INDEX ON queue_calls (agent_id, entered_at);
CREATE INDEX ON queue_calls (caller_number, entered_at);
CREATE INDEX ON queue_calls (call_id);

-- each agent's global state over time (login time, pauses by reason, wrap-up, occupancy)
CREATE TABLE agent_state_spans (
  agent_id text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz,
  state text NOT NULL, reason text,
  PRIMARY KEY (agent_id, started_at, state)
) PARTITION BY RANGE (started_at);

-- login and logout per queue
CREATE TABLE agent_sessions (
  agent_id text NOT NULL, queue_id text NOT NULL, login_at timestamptz NOT NULL, logout_at timestamptz,
  PRIMARY KEY (agent_id, queue_id, login_at)
) PARTITION BY RANGE (login_at);

-- what the writer remembers of each agent between events (not partitioned: one row per agent)
CREATE TABLE agent_status (
  agent_id text PRIMARY KEY, state text NOT NULL, reason text, since timestamptz NOT NULL,
  queues text[] NOT NULL DEFAULT '{}', login_at timestamptz,
  -- the queue call the agent handled last, awaiting the end of its wrap-up
  wrap_call_id text, wrap_seq int, wrap_entered_at timestamptz
);

CREATE TABLE callbacks (
  callback_id text PRIMARY KEY, queue_id text NOT NULL, number text NOT NULL DEFAULT '',
  from_call_id text, created_at timestamptz NOT NULL, due_at timestamptz,
  state text NOT NULL, attempts int NOT NULL DEFAULT 0, last_outcome text, closed_at timestamptz
);
CREATE INDEX ON callbacks (queue_id, created_at);

CREATE TABLE callback_attempts (
  callback_id text NOT NULL, n int NOT NULL, at timestamptz NOT NULL, queue_id text NOT NULL,
  agent_id text, outcome text NOT NULL,
  PRIMARY KEY (callback_id, n, at)
) PARTITION BY RANGE (at);

-- Asterisk's queue_log with QueueMetrics' columns (filled when ACD_QUEUE_LOG_TABLE is set; the
-- file is written from it)
CREATE TABLE queue_log (
  id bigserial, time timestamptz NOT NULL, callid text NOT NULL, queuename text NOT NULL, agent text NOT NULL,
  event text NOT NULL, data1 text NOT NULL DEFAULT '', data2 text NOT NULL DEFAULT '', data3 text NOT NULL DEFAULT '',
  data4 text NOT NULL DEFAULT '', data5 text NOT NULL DEFAULT '',
  PRIMARY KEY (id, time)
) PARTITION BY RANGE (time);

-- calls an agent's phone takes or makes outside the queues (never in Stasis)
CREATE TABLE phone_calls (
  agent_id text NOT NULL, channel_id text NOT NULL, started_at timestamptz NOT NULL,
  direction text NOT NULL,                                -- in (taken) | out (made)
  peer text NOT NULL DEFAULT '', answered_at timestamptz, ended_at timestamptz, talk_ms bigint,
  PRIMARY KEY (channel_id, started_at)
) PARTITION BY RANGE (started_at);
CREATE INDEX ON phone_calls (agent_id, started_at);

-- events the writer could not apply because the stream had dropped them (an outage longer than
-- the stream's length cap): the gap is recorded, not hidden
CREATE TABLE history_gaps (after_stream_id text NOT NULL, before_stream_id text NOT NULL, noticed_at timestamptz NOT NULL DEFAULT now());
`,
  },
  {
    version: 2,
    name: 'queue figures per 15 minutes',
    sql: `
-- A queue's figures per 15-minute slot (UTC) of the visits' entry time, kept by the writer as it
-- folds each visit: the queue report over months reads these (a few hundred thousand rows for 13
-- months) instead of every call. Every time zone's offset is a multiple of 15 minutes, so a slot
-- falls in one interval of any zone. (Not partitioned: retention deletes the expired months' slots.)
CREATE TABLE queue_slots (
  queue_id text NOT NULL, slot timestamptz NOT NULL,
  offered int NOT NULL DEFAULT 0, answered int NOT NULL DEFAULT 0,
  abandoned_waiting int NOT NULL DEFAULT 0, abandoned_ringing int NOT NULL DEFAULT 0,
  timed_out int NOT NULL DEFAULT 0, overflowed int NOT NULL DEFAULT 0, callback_requests int NOT NULL DEFAULT 0,
  transferred int NOT NULL DEFAULT 0, answered_within_sl int NOT NULL DEFAULT 0,
  answered_wait_ms bigint NOT NULL DEFAULT 0, handled int NOT NULL DEFAULT 0, handle_ms bigint NOT NULL DEFAULT 0,
  longest_wait_ms bigint,
  PRIMARY KEY (queue_id, slot)
);
CREATE INDEX ON queue_slots (slot);
`,
  },
  {
    version: 3,
    name: 'campaign attempts',
    sql: `
-- one row per campaign call (agent first, then the customer): who, when, how it went
CREATE TABLE campaign_attempts (
  entry_id text NOT NULL, attempt int NOT NULL, campaign_id text NOT NULL, agent_id text,
  number text NOT NULL DEFAULT '', name text NOT NULL DEFAULT '',
  dialed_at timestamptz NOT NULL, agent_answered boolean NOT NULL, connected_at timestamptz, ended_at timestamptz NOT NULL,
  outcome text NOT NULL,                                  -- answered | no_answer | busy | failed | refused | agent_no_answer | lost | deferred
  status text,                                            -- the entry's status after it: handled | not_completed | waiting
  talk_ms bigint NOT NULL DEFAULT 0, handle_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (entry_id, attempt, ended_at)
) PARTITION BY RANGE (ended_at);
CREATE INDEX ON campaign_attempts (campaign_id, ended_at);
CREATE INDEX ON campaign_attempts (number, ended_at);
`,
  },
];

/** Applies the migrations not applied yet to `schema` (created if missing). Returns the versions applied. */
export async function migrate(pool: Pool, schema: string): Promise<number[]> {
  const client = await pool.connect();
  try {
    // one advisory lock per schema name: two controllers starting together take turns
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`acd-migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set((await client.query(`SELECT version FROM ${schema}.schema_migrations`)).rows.map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await inTransaction(client, async () => {
          await client.query(`SET LOCAL search_path TO ${schema}`);
          await client.query(m.sql);
          await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        });
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`acd-migrate:${schema}`]);
    }
  } finally {
    client.release();
  }
}

export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const r = await fn();
    await client.query('COMMIT');
    return r;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
