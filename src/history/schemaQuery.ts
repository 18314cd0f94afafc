import type { Pool } from 'pg';

/** One query on a pooled connection with the history's schema first on the search path (the readers' one way in). */
export async function querySchema<T>(pool: Pool, schema: string, sql: string, params: unknown[]): Promise<T[]> {
  const client = await pool.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    return (await client.query(sql, params)).rows as T[];
  } finally {
    client.release();
  }
}
