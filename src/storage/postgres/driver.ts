import pg from 'pg';
import type { SqlDriver } from '../sql/driver.js';

/** Key of the advisory lock that serialises migrations across processes ("palisade" in ASCII, as an int). */
export const MIGRATION_LOCK_KEY = 0x70616c69;

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (the store never puts `?` inside string literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = pg.Pool | pg.PoolClient;

class PgConn implements SqlDriver {
  readonly dialect = 'postgres' as const;
  constructor(
    private readonly q: Queryable,
    private readonly pool: pg.Pool | undefined,
  ) {}

  async all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.q.query(numberPlaceholders(sql), params as unknown[])).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.q.query(numberPlaceholders(sql), params as unknown[])).rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.q.query(sql);
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>, opts: { migrationLock?: boolean } = {}): Promise<T> {
    if (!this.pool) {
      if (opts.migrationLock) await this.q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      return fn(this);
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Held until COMMIT or ROLLBACK: a second process running migrations waits here, then sees them applied.
      if (opts.migrationLock) await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const out = await fn(new PgConn(client, undefined));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.pool) await this.pool.end();
  }
}

/** A pooled PostgreSQL driver for a `postgres://` URL. */
export function openPostgresDriver(url: string, opts: { max?: number } = {}): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  return new PgConn(pool, pool);
}
