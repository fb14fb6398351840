import { schemeFor } from '../../versioning/index.js';
import type { OsDriver } from '../driver.js';
import { majorMinor } from '../driver.js';

/**
 * Alpine Linux, from the Alpine secdb and OSV's Alpine records.
 *
 * Quirks:
 * - Advisories name the **origin** package (`o:` in the apk database; `openssl` for `libssl3`) and the installed
 *   package's own version is compared (an origin's subpackages share its version).
 * - The namespace is the branch, `alpine:<major.minor>` (`3.19.1` -> `alpine:3.19`). When the repositories the
 *   image is configured with are newer than `/etc/alpine-release` (`OsInfo.repositoryRelease`), packages come
 *   from that branch and are matched against it. Edge (a repository release of `edge`, or a development
 *   snapshot version such as `3.20.0_alpha20240315`) is `alpine:edge`.
 * - A row may carry an introduced version (`ranges[0].introduced`): older packages were never affected.
 * - Rows without a fixed version are reported as unfixed.
 * - Versions apk would refuse (installed or fixed) are not compared.
 */
export const alpine: OsDriver = {
  id: 'alpine',
  families: ['alpine'],
  scheme: 'apk',
  eolFamily: () => 'alpine',
  namespaces(ctx) {
    const v = ctx.os.version.trim();
    const repo = ctx.os.repositoryRelease?.trim().replace(/^v/, '');
    if (repo === 'edge' || /_(alpha|beta|pre|rc)/.test(v)) return { namespaces: ['alpine:edge'] };
    let release = /^\d+\.\d+/.test(v) ? majorMinor(v) : undefined;
    if (repo && /^\d+\.\d+/.test(repo)) {
      const r = majorMinor(repo);
      if (!release || schemeFor('apk').compare(r, release) > 0) release = r;
    }
    if (!release) {
      ctx.note(`alpine ${v || '(no version)'}: no branch; Alpine packages were not matched`);
      return undefined;
    }
    return { namespaces: [`alpine:${release}`], release };
  },
  lookups: (pkg) => [{ name: pkg.sourceName ?? pkg.name, version: pkg.version }],
  applies: () => true,
  reportsUnfixed: true,
};
