import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { openPostgresStore } from '../storage/postgres/index.js';
import { openSqliteStore, sqliteFileIn } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { InProcessQueue } from './jobs.js';
import { SyncScheduler, type SchedulerOptions } from './scheduler.js';
import { loadSecretKey, secretBox, type SecretBox } from './secrets.js';
import { bootstrapOwner } from './users.js';

/**
 * The server's data directory: `--data-dir`, else PALISADE_DATA_DIR, else `$XDG_DATA_HOME/palisade`
 * (an absolute XDG_DATA_HOME only, as the XDG spec says), else `~/.local/share/palisade`.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (flag) return resolve(flag);
  if (env.PALISADE_DATA_DIR) return resolve(env.PALISADE_DATA_DIR);
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), 'palisade');
}

/** Where the store lives, for messages (the URL without its password). */
export function describeStoreLocation(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  if (!url) return sqliteFileIn(dataDir);
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (DATABASE_URL)';
  }
}

/** Opens the store: PostgreSQL when DATABASE_URL is set, else the SQLite file in the data directory. Not yet migrated. */
export function openStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): Store {
  return env.DATABASE_URL ? openPostgresStore(env.DATABASE_URL) : openSqliteStore(sqliteFileIn(dataDir));
}

/** What a started server has: the migrated store, the secret box, and the first Owner's one-time password. */
export interface PreparedServer {
  store: Store;
  secrets: SecretBox;
  dataDir: string;
  /** Set on the very first start: print it once, it is not stored anywhere in plain text. */
  createdOwner?: { username: string; password?: string };
}

/** Opens and migrates the store, loads (or creates) the secret key and creates the first Owner when needed. */
export async function prepareServer(opts: { dataDir?: string; env?: NodeJS.ProcessEnv }): Promise<PreparedServer> {
  const env = opts.env ?? process.env;
  const dataDir = resolveDataDir(opts.dataDir, env);
  const secrets = secretBox(loadSecretKey(dataDir, env));
  const store = openStore(dataDir, env);
  try {
    await store.migrate();
    const createdOwner = await bootstrapOwner(store, env);
    return { store, secrets, dataDir, createdOwner };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Opens and migrates the store for a CLI command working on it directly (`users`, `tokens`). */
export async function openMigratedStore(opts: { dataDir?: string; env?: NodeJS.ProcessEnv }): Promise<Store> {
  const env = opts.env ?? process.env;
  const store = openStore(resolveDataDir(opts.dataDir, env), env);
  try {
    await store.migrate();
    return store;
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** The running continuous assessment of a server; `stop` ends the timers, watches and the queue. */
export interface RunningAssessment {
  scheduler: SyncScheduler;
  stop(): Promise<void>;
}

/**
 * Starts continuous assessment on a prepared server: an in-process job queue (the single-process server's)
 * and the {@link SyncScheduler} syncing every cluster connector now and on its interval.
 */
export async function startAssessment(server: Pick<PreparedServer, 'store' | 'secrets'>, opts: Omit<SchedulerOptions, 'store' | 'secrets' | 'queue'> = {}): Promise<RunningAssessment> {
  const queue = new InProcessQueue(2, (job, e) => opts.log?.('warn', `job ${job.name} ${job.id} failed: ${e instanceof Error ? e.message : String(e)}`));
  const scheduler = new SyncScheduler({ ...opts, store: server.store, secrets: server.secrets, queue });
  await queue.start();
  await scheduler.start();
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await queue.stop();
    },
  };
}
