import type { Analyzer } from './analyzer.js';
import { apk } from './apk.js';
import { dpkg } from './dpkg.js';
import { goBinary } from './go-binary.js';
import { java } from './java.js';
import { npm } from './npm.js';
import { osRelease } from './os-release.js';
import { python } from './python.js';
import { rpm } from './rpm.js';

/**
 * Every analyzer, explicitly listed (a test checks this list against the folder). Order only matters for
 * reading: the driver runs the `os` analyzers first, whatever their position.
 */
export const ANALYZERS: ReadonlyArray<Analyzer> = [
  osRelease,
  dpkg,
  apk,
  rpm,
  npm,
  python,
  goBinary,
  java,
];
