import { m001Init } from './001_init.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every migration, in order. A test checks the list against the folder. */
export const MIGRATIONS: readonly Migration[] = [m001Init];
