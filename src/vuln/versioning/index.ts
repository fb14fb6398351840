import type { VersionScheme, VersionSchemeId } from './scheme.js';
import { apk } from './apk.js';
import { deb } from './deb.js';
import { go } from './go.js';
import { maven } from './maven.js';
import { pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { semver } from './semver.js';

export type { VersionScheme, VersionSchemeId } from './scheme.js';
export { inRange, type AffectedRange } from './range.js';

/** Every version scheme, by id: one module each in this folder. */
export const SCHEMES: Record<VersionSchemeId, VersionScheme> = {
  deb,
  apk,
  rpm,
  semver,
  pep440,
  go,
  maven,
};

/** The scheme with this id; a package is only ever compared with its own. */
export function schemeFor(id: VersionSchemeId): VersionScheme {
  return SCHEMES[id];
}
