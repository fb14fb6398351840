import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SqlDriver } from '../sql/driver.js';

/** How long a transaction waits for another process's write lock before giving up. */
const BEGIN_TIMEOUT_MS = 30_000;

/** Serialises async work on the one SQLite connection, so a transaction never interleaves with other calls. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Statements on one connection; `inTx` drivers skip the mutex because their transaction holds it. */
class Conn implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly mutex: Mutex,
    private readonly inTx: boolean,
  ) {}

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private guard<T>(fn: () => T): Promise<T> {
    return this.inTx ? Promise.resolve().then(fn) : this.mutex.run(async () => fn());
  }

  all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.guard(() => this.prepare(sql).all(...params) as T[]);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.guard(() => this.prepare(sql).run(...params).changes);
  }

  exec(sql: string): Promise<void> {
    return this.guard(() => void this.db.exec(sql));
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this);
    return this.mutex.run(async () => {
      await this.beginImmediate();
      try {
        const out = await fn(new Conn(this.db, this.mutex, true));
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  /**
   * IMMEDIATE takes the write lock at BEGIN, so a transaction (migrations included) never fails halfway with
   * SQLITE_BUSY on its first write. When another process holds the lock, wait for it asynchronously: a long
   * synchronous busy_timeout would stop the event loop, and with it a lock holder in this same process.
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + BEGIN_TIMEOUT_MS;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => this.db.close());
  }
}

/**
 * Opens (creating when missing) a SQLite database for the server store: WAL journal so readers never
 * block the writer, foreign keys on, and a busy timeout so concurrent processes wait rather than fail.
 * `:memory:` gives a private in-memory database.
 */
export function openSqliteDriver(file: string): SqlDriver {
  const db = new Database(file);
  if (file !== ':memory:') {
    // Password hashes and sealed secrets: owner-only, whatever the umask. SQLite gives -wal and -shm the same mode.
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
  }
  db.pragma('foreign_keys = ON');
  // Deleted content is overwritten, not left in free pages: destroyed credentials (offboarding) and purged data must not stay in the file.
  db.pragma('secure_delete = ON');
  // Short: single statements wait this long synchronously; transactions wait longer without blocking (beginImmediate).
  db.pragma('busy_timeout = 1000');
  db.pragma('synchronous = NORMAL');
  return new Conn(db, new Mutex(), false);
}
