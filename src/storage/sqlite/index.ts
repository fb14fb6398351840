import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqlStore } from '../sql/store.js';
import type { Store } from '../store.js';
import { openSqliteDriver } from './driver.js';

/** The store's file name inside the data directory. */
export const SQLITE_FILE = 'palisade.db';

/** Opens the SQLite store in `file` (or `:memory:`), creating its folder. Call `migrate()` before use. */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return new SqlStore(openSqliteDriver(file));
}

/** The SQLite file of a data directory. */
export function sqliteFileIn(dataDir: string): string {
  return join(dataDir, SQLITE_FILE);
}
