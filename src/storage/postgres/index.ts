import { SqlStore } from '../sql/store.js';
import type { Store } from '../store.js';
import { openPostgresDriver } from './driver.js';

/** Opens the PostgreSQL store at `url` (`postgres://user@host:port/db`). Call `migrate()` before use. */
export function openPostgresStore(url: string, opts: { maxConnections?: number } = {}): Store {
  return new SqlStore(openPostgresDriver(url, { max: opts.maxConnections }));
}

export { PostgresLock } from './lock.js';
