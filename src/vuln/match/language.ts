import type { Package } from '../../model/package.js';

/**
 * Language packages (npm, PyPI, Go, Maven), matched against OSV-style rows of their ecosystem's namespace
 * (`npm`, `pypi`, `go`, `maven`) with the package's own version scheme.
 *
 * Quirks:
 * - PyPI names compare normalised as PEP 503 says (`Jinja2`, `jinja2`, `jinja_2` are one project), as the
 *   feeds store them.
 * - Maven packages are `group:artifact`; Go packages are module paths; npm names keep their scope.
 * - Rows with ranges (`introduced` .. `fixed` or `lastAffected`) and explicit version lists; a version
 *   listed or in a range is affected; an open range is an unfixed vulnerability.
 * - A version the scheme refuses is not compared (the package is skipped with a note).
 */
export const LANGUAGE_SCHEMES = ['semver', 'pep440', 'go', 'maven'] as const;

/** The namespace of a language package: its ecosystem. */
export function languageNamespace(pkg: Package): string {
  return pkg.ecosystem;
}

/** The name rows use for this package. */
export function languageName(pkg: Package): string {
  if (pkg.ecosystem === 'pypi') return pkg.name.toLowerCase().replace(/[-_.]+/g, '-');
  return pkg.name;
}
