/**
 * What scripts/test.sh started for this test process (one Redis, one Asterisk, one PostgreSQL), as
 * the tests see it. A sharded run starts one such set per shard and gives each shard's process its own.
 */
export const TEST_ENV = {
  /** The Asterisk instance's name (its folder in the root; scripts/asterisk.sh ACD_ASTERISK_INSTANCE). */
  instance: process.env.ACD_TEST_INSTANCE ?? 'test',
  redisUrl: `redis://127.0.0.1:${process.env.ACD_TEST_REDIS_PORT ?? '6391'}`,
  redisPort: Number(process.env.ACD_TEST_REDIS_PORT ?? 6391),
  sipPort: Number(process.env.ACD_TEST_SIP_PORT ?? 15060),
  ariPort: Number(process.env.ACD_TEST_ARI_PORT ?? 18088),
  ariPassword: process.env.ACD_TEST_ARI_PASSWORD ?? 'acd-test',
  asteriskLog: process.env.ACD_TEST_ASTERISK_LOG ?? '',
  /** The run's PostgreSQL (scripts/test.sh exports it); each history test uses its own schema. */
  databaseUrl: process.env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${process.env.ACD_TEST_PG_PORT ?? '6433'}/acd`,
  pgPort: Number(process.env.ACD_TEST_PG_PORT ?? 6433),
  /** The run's Asterisk's AMI (scripts/test.sh: the ARI port + 1). */
  amiPort: Number(process.env.ACD_TEST_AMI_PORT ?? Number(process.env.ACD_TEST_ARI_PORT ?? 18088) + 1),
};

/** A PostgreSQL schema name no other test shares. */
export function uniqueSchema(name: string): string {
  return `t_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24)}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** A key prefix no other test shares: tests never see each other's state. */
export function uniquePrefix(name: string): string {
  return `t:${name.replace(/[^a-zA-Z0-9_-]+/g, '-')}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:`;
}
