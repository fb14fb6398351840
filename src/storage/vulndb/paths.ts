import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where the vulnerability database lives by default: `$PALISADE_CACHE_DIR/vuln.db` when set, else
 * `$XDG_CACHE_HOME/palisade/vuln.db` (an absolute XDG_CACHE_HOME only, as the XDG spec says), else
 * `~/.cache/palisade/vuln.db`. It is a cache: `palisade db update` can always rebuild it.
 */
export function defaultVulnDbPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const own = env.PALISADE_CACHE_DIR;
  if (own) return join(own, 'vuln.db');
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(home, '.cache');
  return join(base, 'palisade', 'vuln.db');
}
