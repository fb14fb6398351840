import pg from 'pg';

/**
 * A lock by key shared by every process on one PostgreSQL: a session advisory lock
 * (`pg_advisory_lock(hashtextextended(key, 0))`) held on a connection of its own while `fn` runs. Waiters
 * of this process queue in memory first, so one key never holds more than one connection here. A process
 * that dies releases its locks with its connection.
 */
export class PostgresLock {
  private readonly pool: pg.Pool;
  private readonly local = new Map<string, Promise<void>>();

  constructor(url: string, opts: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 4, application_name: 'palisade-locks' });
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.local.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.local.set(key, mine);
    try {
      await before;
      const client = await this.pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        }
      } finally {
        client.release();
      }
    } finally {
      release();
      if (this.local.get(key) === mine) this.local.delete(key);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
