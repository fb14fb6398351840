import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Palisade's data folder (alerts, the audit event journal): `$PALISADE_DATA_DIR` when set, else
 * `$XDG_DATA_HOME/palisade` (an absolute XDG_DATA_HOME only, as the XDG spec says), else
 * `~/.local/share/palisade`. Unlike the vulnerability database cache, this holds records that cannot be rebuilt.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const own = env.PALISADE_DATA_DIR;
  if (own) return own;
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), 'palisade');
}

/** The audit store file inside a data folder. */
export function auditDbPath(dataDir: string): string {
  return join(dataDir, 'audit.db');
}
