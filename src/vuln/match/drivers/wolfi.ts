import type { OsDriver } from '../driver.js';

/**
 * Wolfi and Chainguard OS: rolling apk distributions, each with its own security feed (`wolfi:rolling`,
 * `chainguard:rolling`).
 *
 * Quirks:
 * - Advisories name the origin package, as on Alpine; the installed version is compared.
 * - The feeds list fixes: a row without a fixed version is not reported (a pending entry there is not a claim
 *   that the package is vulnerable), unlike Alpine.
 * - No releases, so no end of life.
 */
export const wolfi: OsDriver = {
  id: 'wolfi',
  families: ['wolfi', 'chainguard'],
  scheme: 'apk',
  namespaces: (ctx) => ({ namespaces: [`${ctx.os.family}:rolling`] }),
  lookups: (pkg) => [{ name: pkg.sourceName ?? pkg.name, version: pkg.version }],
  applies: () => true,
  reportsUnfixed: false,
};
