/**
 * What the shared SQL store needs from a database: parameterised queries written with `?` placeholders
 * (the PostgreSQL driver numbers them), multi-statement scripts for migrations, and transactions.
 */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection. With `migrationLock`, no other process runs a
   * locked transaction at the same time: SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE),
   * PostgreSQL takes a transaction-scoped advisory lock. Nested calls join the outer transaction.
   */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>, opts?: { migrationLock?: boolean }): Promise<T>;
  close(): Promise<void>;
}
