import type { LayerRef, OsInfo, Package } from '../../model/package.js';

/**
 * One file of an image's final file system, as an analyzer receives it. `path` is absolute inside the
 * image, normalised, with no leading `./` (`/var/lib/dpkg/status`). When the path is a symbolic link the
 * content is the content of its target (Debian's `/etc/os-release` -> `../usr/lib/os-release`).
 */
export interface AnalyzerFile {
  path: string;
  content: Buffer;
  /** The layer that wrote the content, when the file came from an image. */
  layer?: LayerRef;
}

/** A problem with one file; the analyzer still returns whatever it could read elsewhere. */
export interface AnalyzerError {
  /** The file (or, for a file inside an archive, `outer.jar!/inner.jar`) the problem is about. */
  path: string;
  message: string;
}

/** What one analyzer found. */
export interface AnalyzerResult {
  /** Set only by OS analyzers (`kind: 'os'`). */
  os?: OsInfo;
  packages: Package[];
  errors: AnalyzerError[];
}

/** What the driver knows when it calls an analyzer. */
export interface AnalyzerContext {
  /**
   * The operating system found by the OS analyzers, which run first. OS package analyzers use it for the
   * package ecosystem (`debian` or `ubuntu` for dpkg) and the purl `distro` qualifier; it is absent when
   * no OS was recognised (a scratch image, a plain directory).
   */
  os?: OsInfo;
}

/**
 * What the analyzer reads:
 * - `os`: release files that tell the distribution; runs before all others, result in `AnalyzerResult.os`.
 * - `os-packages`: a distribution's package database (dpkg, apk, rpm).
 * - `language`: packages of a language ecosystem (npm, PyPI, Go, Maven), independent of the OS.
 */
export type AnalyzerKind = 'os' | 'os-packages' | 'language';

/**
 * A pure function from some files of an image to what is installed. Analyzers do no I/O: the driver hands
 * them the files they asked for. Modelled on Trivy's `pkg/fanal/analyzer`: each one declares the files
 * it needs, and a version that invalidates cached results when its output changes.
 */
export interface Analyzer {
  /** Stable kebab-case id, equal to the file name (`dpkg`, `go-binary`). */
  id: string;
  /** Bumped whenever the output for the same input can change (a new field, a fixed parser). */
  version: number;
  kind: AnalyzerKind;
  /** One line for documentation: what it reads. */
  description: string;
  /**
   * Whether the analyzer wants this file. Called on every path of every layer, so it must be cheap (string
   * tests only) and cannot see content. `path` is absolute and normalised, without a leading `./`.
   */
  wants(path: string): boolean;
  /**
   * Reads the wanted files (all of them at once, sorted by path, so that an analyzer can relate files, such
   * as a lockfile and the `node_modules` beside it). Expected problems are returned in `errors`; a throw is
   * a bug, which the driver reports as an error of the whole analyzer.
   */
  analyze(files: ReadonlyArray<AnalyzerFile>, ctx: AnalyzerContext): AnalyzerResult | Promise<AnalyzerResult>;
}
