import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { openPostgresStore, PostgresLock } from '../storage/postgres/index.js';
import { PalisadeError } from '../model/errors.js';
import { openSqliteStore, sqliteFileIn } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { InProcessLock, InProcessQueue, type JobQueue, type KeyedLock } from './jobs.js';
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
  /** The per-connector sync lock shared by the scheduler and on-demand syncs: across processes on PostgreSQL. */
  syncLocks: KeyedLock & { close?(): Promise<void> };
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
    const syncLocks = env.DATABASE_URL ? new PostgresLock(env.DATABASE_URL) : new InProcessLock();
    return { store, secrets, dataDir, createdOwner, syncLocks };
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

/** Where background jobs run: in this process, or in pg-boss on PostgreSQL (shared by every process). */
export type QueueKind = 'in-process' | 'pg-boss';

/** `--queue`, else pg-boss when DATABASE_URL is set, else in process. pg-boss needs DATABASE_URL. */
export function queueKindOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): QueueKind {
  const kind = flag ?? (env.DATABASE_URL ? 'pg-boss' : 'in-process');
  if (kind !== 'in-process' && kind !== 'pg-boss') throw new PalisadeError('E_USAGE', `--queue: "${kind}" is not in-process or pg-boss`);
  if (kind === 'pg-boss' && !env.DATABASE_URL) throw new PalisadeError('E_USAGE', '--queue pg-boss needs PostgreSQL: set DATABASE_URL');
  return kind;
}

/** Opens the job queue of {@link queueKindOf}; pg-boss is loaded only when used. */
export async function openJobQueue(kind: QueueKind, env: NodeJS.ProcessEnv, log?: SchedulerOptions['log']): Promise<JobQueue> {
  const onError = (job: { id: string; name: string }, e: unknown) => log?.('warn', `job ${job.name} ${job.id} failed: ${e instanceof Error ? e.message : String(e)}`);
  if (kind === 'in-process') return new InProcessQueue(2, onError);
  const { PgBossQueue } = await import('./jobs-pgboss.js');
  return new PgBossQueue({ connectionString: env.DATABASE_URL!, onError });
}

/**
 * Starts continuous assessment on a prepared server: the job queue (in process, or pg-boss shared with the
 * other processes on PostgreSQL; `jobs` when the caller opened it) and the {@link SyncScheduler} syncing every
 * cluster connector now and on its interval, under the server's per-connector lock.
 */
export async function startAssessment(
  server: Pick<PreparedServer, 'store' | 'secrets'> & Partial<Pick<PreparedServer, 'syncLocks'>>,
  opts: Omit<SchedulerOptions, 'store' | 'secrets' | 'queue' | 'locks'> & { queue?: QueueKind; env?: NodeJS.ProcessEnv; jobs?: JobQueue } = {},
): Promise<RunningAssessment> {
  const { queue: kind, env = process.env, jobs, ...schedulerOpts } = opts;
  // An opened queue (shared with the image scans on pg-boss) is started and stopped here all the same.
  const queue = jobs ?? (await openJobQueue(kind ?? 'in-process', env, opts.log));
  const scheduler = new SyncScheduler({ ...schedulerOpts, store: server.store, secrets: server.secrets, queue, locks: server.syncLocks });
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
