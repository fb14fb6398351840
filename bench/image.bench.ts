/**
 * `npm run bench:image` (and the second part of `npm run bench`): speed and memory of scanning a container image pulled from a registry, and of
 * matching its packages against a vulnerability database of 120,000 advisories.
 *
 * The image (built once, kept in the test cache; figures in docs/vulnerability-db.md) is five gzip layers of real and
 * realistic files: a `debootstrap --variant=minbase bookworm` root; shared libraries; a Python
 * site-packages with dist-info metadata, modules, byte code and extension modules; an application's
 * node_modules with package.json files, sources, bundles and type definitions; and a Node.js-sized
 * executable with the application bundle. Binary and text content is cut from the ELF files and Perl
 * sources of the Debian root, so it compresses as real files do. It is pushed to Debian's docker-registry on
 * loopback, and each figure comes from a child process of its own:
 *
 * - baseline: only download the same layer blobs over HTTP and gunzip them with node:zlib, output discarded;
 * - palisade: `inventoryImage`, the inventory step of `palisade scan image` (manifest and config, stream
 *   every layer, verify digests and diff_ids, decompress, parse tar, build the merged tree, keep the files
 *   the analyzers want, analyze);
 * - palisade + match: `scanImage` with the SQLite database and the matcher, i.e. `palisade scan image`
 *   without rendering;
 * - match: `matchPackages` over the image's packages against the database, warm, in packages per second.
 *
 * Children run one at a time, interleaved (baseline, palisade, palisade + match, baseline, ...), and each
 * times one run, cold, as the CLI would; figures are medians over `--reps` rounds. Peak RSS is
 * `process.resourceUsage().maxRSS` of the child.
 *
 * Options: `--reps 5` `--scale 1` (image size factor) `--advisories 120000` `--profile <dir>` (CPU profile
 * of one more palisade child) `--no-match` `--main-thread` (one more palisade child per round with
 * `PALISADE_LAYER_THREAD=0`: gzip layers verified and inflated on the main thread, as before the layer thread).
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { AffectedPackage, DataSource, VersionRange, VulnerabilityRecord } from '../src/model/advisory.js';
import type { Package } from '../src/model/package.js';
import { debootstrapRootfs, dpkgQueryPackages, testCacheDir } from '../test/helpers/debian-rootfs.js';
import { packLayer, planFolder, withParents, type PackEntry } from '../test/helpers/layer-pack.js';
import { image, writeOciLayout, type BuiltImage, type BuiltLayer } from '../test/helpers/oci-image.js';
import { pushImage, startRegistry } from '../test/helpers/registry.js';
import { prng } from './generate.js';

const THIS_FILE = fileURLToPath(import.meta.url);
/** Bump when the image generator changes, so cached images are rebuilt. */
const IMAGE_VERSION = 2;
/** Bump when the advisory generator changes. */
const DB_VERSION = 1;
const REPOSITORY = 'bench/app';
const TAG = 'latest';
const NOW = new Date('2026-01-15T12:00:00Z');

// ---------------------------------------------------------------------------------------------------
// Deterministic content
// ---------------------------------------------------------------------------------------------------

/** Seeded, so every run builds the same image. */
const rng = prng;

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
/** Log-uniform between lo and hi: many small files, a few large ones, as on real disks. */
const logSize = (r: Rand, lo: number, hi: number): number => Math.round(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Real bytes to cut files from: ELF programs and libraries, and source text, of the Debian root. */
interface Pools {
  bin: Buffer;
  text: Buffer;
}

function collect(root: string, dirs: string[], accept: (name: string, head: Buffer) => boolean, max: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  const visit = (dir: string): void => {
    if (n >= max || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (n >= max) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) {
        const data = readFileSync(p);
        if (data.length < 512 || !accept(e.name, data.subarray(0, 4))) continue;
        parts.push(data);
        n += data.length;
      }
    }
  };
  for (const d of dirs) visit(join(root, d));
  return Buffer.concat(parts);
}

function loadPools(root: string): Pools {
  const elf = (_: string, head: Buffer): boolean => head.toString('latin1') === '\x7fELF';
  const text = (name: string, head: Buffer): boolean => /\.(pm|pl|pod|txt|sh)$|^copyright$|^README/.test(name) && !head.includes(0);
  return {
    bin: collect(root, ['usr/lib/x86_64-linux-gnu', 'usr/bin', 'usr/sbin', 'usr/lib'], elf, 64 << 20),
    text: collect(root, ['usr/share/perl', 'usr/lib/x86_64-linux-gnu/perl-base', 'usr/share/perl5', 'usr/share/doc', 'usr/share/debconf', 'usr/lib/x86_64-linux-gnu/perl'], text, 24 << 20),
  };
}

/** `size` bytes cut from `pool` in runs of 16 KiB to 512 KiB; text runs start and end at line breaks. */
function cut(pool: Buffer, size: number, r: Rand, lines = false, header?: Buffer): Buffer {
  const parts: Buffer[] = header ? [header] : [];
  let n = header?.length ?? 0;
  while (n < size) {
    let from = Math.floor(r() * (pool.length - 1024));
    let len = Math.min(size - n, logSize(r, 16 << 10, 512 << 10), pool.length - from);
    if (lines) {
      const nl = pool.indexOf(10, from);
      from = nl < 0 ? 0 : nl + 1;
      len = Math.min(len, pool.length - from);
      const end = pool.lastIndexOf(10, from + len - 1);
      if (end > from) len = end + 1 - from;
    }
    parts.push(pool.subarray(from, from + len));
    n += len;
  }
  return Buffer.concat(parts).subarray(0, size);
}

const NPM_NAMES = [
  'lodash', 'chalk', 'react', 'react-dom', 'express', 'debug', 'ms', 'commander', 'semver', 'tslib', 'axios', 'uuid', 'yargs',
  'glob', 'minimatch', 'inherits', 'safe-buffer', 'string-width', 'strip-ansi', 'ansi-regex', 'ansi-styles', 'color-convert',
  'color-name', 'supports-color', 'has-flag', 'readable-stream', 'once', 'wrappy', 'fs-extra', 'graceful-fs', 'mkdirp',
  'rimraf', 'body-parser', 'cookie', 'qs', 'mime', 'mime-types', 'mime-db', 'negotiator', 'accepts', 'type-is', 'depd',
  'statuses', 'http-errors', 'send', 'serve-static', 'finalhandler', 'path-to-regexp', 'on-finished', 'ee-first', 'encodeurl',
  'escape-html', 'etag', 'fresh', 'range-parser', 'raw-body', 'bytes', 'iconv-lite', 'safer-buffer', 'content-type',
  'content-disposition', 'vary', 'proxy-addr', 'forwarded', 'ipaddr.js', 'merge-descriptors', 'methods', 'utils-merge',
  'cookie-signature', 'moment', 'dayjs', 'date-fns', 'async', 'bluebird', 'rxjs', 'zod', 'ajv', 'json-schema-traverse',
  'fast-deep-equal', 'uri-js', 'punycode', 'whatwg-url', 'node-fetch', 'form-data', 'combined-stream', 'delayed-stream',
  'asynckit', 'follow-redirects', 'proxy-from-env', 'ws', 'socket.io', 'engine.io', 'jsonwebtoken', 'jws', 'jwa',
  'ecdsa-sig-formatter', 'buffer-equal-constant-time', 'bcryptjs', 'dotenv', 'cors', 'helmet', 'morgan', 'winston',
  'logform', 'triple-beam', 'pino', 'sonic-boom', 'yaml', 'js-yaml', 'argparse', 'esprima', 'minimist', 'kind-of',
  'is-number', 'to-regex-range', 'fill-range', 'braces', 'micromatch', 'picomatch', 'anymatch', 'chokidar', 'readdirp',
  'normalize-path', 'binary-extensions', 'is-binary-path', 'glob-parent', 'is-glob', 'is-extglob', 'fsevents', 'undici',
  'pg', 'pg-protocol', 'pg-types', 'mysql2', 'redis', 'ioredis', 'mongodb', 'mongoose', 'bson', 'sequelize', 'knex',
  'typeorm', 'reflect-metadata', 'class-validator', 'class-transformer', 'validator', 'xml2js', 'sax', 'cheerio',
  'htmlparser2', 'domhandler', 'domutils', 'entities', 'nanoid', 'immer', 'redux', 'classnames', 'prop-types',
  'loose-envify', 'js-tokens', 'scheduler', 'object-assign', 'core-js', 'regenerator-runtime', 'shell-quote', 'cross-spawn',
  'which', 'isexe', 'path-key', 'shebang-command', 'shebang-regex', 'signal-exit', 'execa', 'get-stream', 'npm-run-path',
  'strip-final-newline', 'human-signals', 'onetime', 'mimic-fn', 'tar', 'minipass', 'chownr', 'fs-minipass', 'minizlib',
  'yallist', 'lru-cache', 'jsdom', 'tough-cookie', 'psl', 'url-parse', 'querystringify', 'requires-port', 'handlebars',
  'marked', 'highlight.js', 'sharp', 'nodemailer', 'multer', 'busboy', 'streamsearch', 'express-session', 'passport',
  'passport-strategy', 'cookie-parser', 'compression', 'compressible', 'on-headers', 'serialize-javascript', 'terser',
];
const NPM_SCOPES = ['@babel', '@types', '@aws-sdk', '@smithy', '@opentelemetry', '@grpc', '@nestjs', '@prisma', '@sentry', '@google-cloud'];
const WORDS = [
  'core', 'util', 'http', 'stream', 'parse', 'format', 'json', 'path', 'event', 'emitter', 'buffer', 'cache', 'config', 'client',
  'server', 'router', 'token', 'crypto', 'hash', 'queue', 'pool', 'retry', 'signal', 'error', 'logger', 'schema', 'types',
  'helper', 'plugin', 'loader', 'codec', 'proto', 'grpc', 'auth', 'session', 'store', 'table', 'query', 'string', 'array',
];
const PYPI_NAMES = [
  'requests', 'urllib3', 'idna', 'certifi', 'charset-normalizer', 'six', 'python-dateutil', 'pytz', 'numpy', 'pandas', 'PyYAML',
  'setuptools', 'pip', 'wheel', 'packaging', 'attrs', 'Jinja2', 'MarkupSafe', 'click', 'Flask', 'Werkzeug', 'itsdangerous',
  'Django', 'sqlparse', 'asgiref', 'SQLAlchemy', 'greenlet', 'psycopg2-binary', 'cryptography', 'cffi', 'pycparser',
  'pyOpenSSL', 'boto3', 'botocore', 's3transfer', 'jmespath', 'protobuf', 'grpcio', 'googleapis-common-protos', 'pydantic',
  'pydantic-core', 'typing-extensions', 'annotated-types', 'fastapi', 'starlette', 'uvicorn', 'h11', 'anyio', 'sniffio',
  'httpx', 'httpcore', 'aiohttp', 'multidict', 'yarl', 'frozenlist', 'aiosignal', 'async-timeout', 'redis', 'celery',
  'kombu', 'billiard', 'vine', 'amqp', 'gunicorn', 'lxml', 'Pillow', 'scipy', 'scikit-learn', 'joblib', 'threadpoolctl',
  'matplotlib', 'kiwisolver', 'cycler', 'fonttools', 'pyparsing', 'tqdm', 'rich', 'Pygments', 'markdown-it-py', 'mdurl',
  'tomli', 'filelock', 'platformdirs', 'virtualenv', 'distlib', 'jsonschema', 'referencing', 'rpds-py', 'pyasn1', 'rsa',
  'google-auth', 'cachetools', 'oauthlib', 'requests-oauthlib', 'websocket-client', 'PyJWT', 'decorator', 'wrapt', 'Deprecated',
];

interface NamedVersion {
  name: string;
  version: string;
}

/** The npm and PyPI packages the image installs (and that the database has advisories for, among others). */
function imagePackages(scale: number): { npm: NamedVersion[]; pypi: NamedVersion[] } {
  const r = rng(7);
  const npm: NamedVersion[] = [];
  const seen = new Set<string>();
  const nNpm = Math.round(1400 * scale);
  for (let i = 0; npm.length < nNpm; i++) {
    let name = i < NPM_NAMES.length ? NPM_NAMES[i] : `${pick(r, WORDS)}-${pick(r, WORDS)}${r() < 0.3 ? `-${pick(r, WORDS)}` : ''}`;
    if (i >= NPM_NAMES.length && r() < 0.15) name = `${pick(r, NPM_SCOPES)}/${name}`;
    if (seen.has(name)) continue;
    seen.add(name);
    npm.push({ name, version: `${int(r, 0, 12)}.${int(r, 0, 30)}.${int(r, 0, 20)}` });
  }
  const pypi: NamedVersion[] = [];
  const nPy = Math.round(160 * scale);
  for (let i = 0; pypi.length < nPy; i++) {
    const name = i < PYPI_NAMES.length ? PYPI_NAMES[i] : `py${pick(r, WORDS)}-${pick(r, WORDS)}`;
    if (seen.has(`py:${name}`)) continue;
    seen.add(`py:${name}`);
    pypi.push({ name, version: `${int(r, 0, 5)}.${int(r, 0, 30)}.${int(r, 0, 10)}` });
  }
  return { npm, pypi };
}

const MTIME = new Date('2025-06-01T00:00:00Z');
const file = (name: string, content: Buffer | (() => Buffer), mode = 0o644): PackEntry => ({ name, type: 'file', mode, mtime: MTIME, content });
const text = (s: string): Buffer => Buffer.from(s);

const MIT = text('MIT License\n\nCopyright (c) Contributors\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.\n');

/** Layer 1: shared libraries, as `apt-get install` of a runtime's dependencies adds them. */
function libsLayer(pools: Pools, scale: number): PackEntry[] {
  const r = rng(11);
  const out: PackEntry[] = [];
  const names = ['icudata', 'icui18n', 'icuuc', 'LLVM-15', 'python3.11', 'xml2', 'sqlite3', 'curl', 'ssh2', 'krb5', 'gnutls', 'nettle', 'gmp', 'unistring', 'brotlienc', 'brotlidec', 'readline', 'sasl2', 'ldap-2.5', 'pq', 'jpeg', 'png16', 'tiff', 'webp', 'freetype', 'fontconfig', 'harfbuzz', 'glib-2.0', 'gio-2.0', 'gfortran', 'openblas', 'lapack', 'quadmath', 'gomp', 'atomic', 'uv', 'cares', 'nghttp2', 'ssl3', 'crypto3'];
  const n = Math.round(names.length * scale);
  for (let i = 0; i < n; i++) {
    const name = names[i % names.length] + (i >= names.length ? `-${i}` : '');
    const size = name === 'icudata' ? 30 << 20 : logSize(r, 200 << 10, 6 << 20);
    const seed = int(r, 0, 2 ** 31);
    out.push(file(`usr/lib/x86_64-linux-gnu/lib${name}.so.${int(r, 1, 72)}`, () => cut(pools.bin, size, rng(seed))));
    out.push(file(`usr/share/doc/lib${name}/copyright`, cut(pools.text, logSize(r, 1 << 10, 24 << 10), r, true)));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Layer 2: a Python interpreter's site-packages, as `pip install` leaves it. */
function pythonLayer(pools: Pools, pkgs: NamedVersion[]): PackEntry[] {
  const r = rng(13);
  const site = 'usr/local/lib/python3.11/site-packages';
  const out: PackEntry[] = [file('usr/local/bin/python3.11', () => cut(pools.bin, 6 << 20, rng(5)), 0o755)];
  for (const p of pkgs) {
    const mod = p.name.toLowerCase().replace(/[-.]/g, '_');
    const dist = `${p.name.replace(/-/g, '_')}-${p.version}.dist-info`;
    const files: string[] = [];
    const nFiles = logSize(r, 2, 60);
    for (let i = 0; i < nFiles; i++) {
      const sub = i === 0 ? '__init__' : `${pick(r, WORDS)}_${i}`;
      const size = logSize(r, 400, 32 << 10);
      const seed = int(r, 0, 2 ** 31);
      const py = `${site}/${mod}/${sub}.py`;
      out.push(file(py, () => cut(pools.text, size, rng(seed), true, text(`# ${mod}.${sub}\nimport os\nimport sys\n\n`))));
      out.push(file(`${site}/${mod}/__pycache__/${sub}.cpython-311.pyc`, () => cut(pools.bin, Math.round(size * 0.6), rng(seed + 1))));
      files.push(py);
    }
    if (r() < 0.08) {
      const size = logSize(r, 300 << 10, 10 << 20);
      const seed = int(r, 0, 2 ** 31);
      out.push(file(`${site}/${mod}/_native.cpython-311-x86_64-linux-gnu.so`, () => cut(pools.bin, size, rng(seed))));
      files.push(`${site}/${mod}/_native.cpython-311-x86_64-linux-gnu.so`);
    }
    const summary = `${pick(r, WORDS)} and ${pick(r, WORDS)} tools for Python`;
    const metadata = [
      'Metadata-Version: 2.1', `Name: ${p.name}`, `Version: ${p.version}`, `Summary: ${summary}`, `Home-page: https://example.org/${mod}`,
      'Author: The maintainers', 'License: MIT', 'Classifier: License :: OSI Approved :: MIT License', 'Classifier: Programming Language :: Python :: 3',
      'Requires-Python: >=3.8', ...Array.from({ length: int(r, 0, 5) }, () => `Requires-Dist: ${pick(r, pkgs).name}`), 'Description-Content-Type: text/markdown', '', '',
    ].join('\n');
    out.push(file(`${site}/${dist}/METADATA`, Buffer.concat([text(metadata), cut(pools.text, logSize(r, 500, 20 << 10), r, true)])));
    out.push(file(`${site}/${dist}/WHEEL`, text('Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n')));
    out.push(file(`${site}/${dist}/INSTALLER`, text('pip\n')));
    out.push(file(`${site}/${dist}/top_level.txt`, text(`${mod}\n`)));
    out.push(file(`${site}/${dist}/RECORD`, text(files.map((f) => `${f.slice(site.length + 1)},sha256=${createHash('sha256').update(f).digest('base64url')},${int(r, 100, 99999)}`).join('\n') + '\n')));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Layer 3: an application's node_modules, as `npm ci --omit=dev` leaves it. */
function nodeModulesLayer(pools: Pools, pkgs: NamedVersion[]): PackEntry[] {
  const r = rng(17);
  const out: PackEntry[] = [file('app/package.json', text(JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: Object.fromEntries(pkgs.slice(0, 40).map((p) => [p.name, `^${p.version}`])) }, null, 2)))];
  const pkgFiles = (base: string, p: NamedVersion): void => {
    const deps = Object.fromEntries(Array.from({ length: int(r, 0, 6) }, () => pick(r, pkgs)).map((d) => [d.name, `^${d.version}`]));
    const pj = { name: p.name, version: p.version, description: `${pick(r, WORDS)} ${pick(r, WORDS)} for Node.js`, main: 'lib/index.js', types: 'index.d.ts', license: 'MIT', repository: { type: 'git', url: `git+https://github.com/example/${p.name.replace('/', '-')}.git` }, engines: { node: '>=14' }, dependencies: deps, files: ['lib', 'dist', 'index.d.ts'] };
    out.push(file(`${base}/package.json`, text(JSON.stringify(pj, null, 2) + '\n')));
    out.push(file(`${base}/LICENSE`, MIT));
    out.push(file(`${base}/README.md`, cut(pools.text, logSize(r, 500, 16 << 10), r, true, text(`# ${p.name}\n\n`))));
    out.push(file(`${base}/index.d.ts`, cut(pools.text, logSize(r, 200, 8 << 10), r, true, text(`export declare function main(): void;\n`))));
    const nFiles = logSize(r, 1, 30);
    for (let i = 0; i < nFiles; i++) {
      const size = logSize(r, 300, 32 << 10);
      const seed = int(r, 0, 2 ** 31);
      out.push(file(`${base}/lib/${i === 0 ? 'index' : `${pick(r, WORDS)}-${i}`}.js`, () => cut(pools.text, size, rng(seed), true, text(`'use strict';\nconst util = require('util');\n`))));
    }
    if (r() < 0.2) {
      const size = logSize(r, 20 << 10, 2 << 20);
      const seed = int(r, 0, 2 ** 31);
      out.push(file(`${base}/dist/${p.name.split('/').pop()}.min.js`, () => cut(pools.text, size, rng(seed), true)));
    }
  };
  for (const p of pkgs) {
    const base = `app/node_modules/${p.name}`;
    pkgFiles(base, p);
    // A dependency that needs another major version of a package gets its own copy, nested.
    if (r() < 0.05) {
      const other = pick(r, pkgs);
      pkgFiles(`${base}/node_modules/${other.name}`, { name: other.name, version: `${Number(other.version.split('.')[0]) + 1}.0.${int(r, 0, 9)}` });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Layer 4: the Node.js runtime and the application's own bundle. */
function appLayer(pools: Pools, scale: number): PackEntry[] {
  const r = rng(19);
  const out: PackEntry[] = [
    // Node 20's executable is about 95 MB.
    file('usr/local/bin/node', () => cut(pools.bin, Math.round(80 * scale) << 20, rng(23)), 0o755),
    { name: 'usr/local/bin/npm', type: 'symlink', mode: 0o777, mtime: MTIME, linkname: '../lib/node_modules/npm/bin/npm-cli.js' },
  ];
  for (let i = 0; i < 30 * scale; i++) {
    const size = logSize(r, 10 << 10, 1 << 20);
    const seed = int(r, 0, 2 ** 31);
    out.push(file(`app/dist/chunk-${i}.js`, () => cut(pools.text, size, rng(seed), true)));
  }
  return out;
}

interface BenchImage {
  im: BuiltImage;
  /** Uncompressed size of each layer's tar, and its number of entries. */
  tarBytes: number[];
  entries: number[];
}

/** The bench image from the cache, or built into it (an OCI layout) on first use. */
async function benchImage(root: string, scale: number): Promise<BenchImage> {
  const dir = join(testCacheDir(), `bench-image-v${IMAGE_VERSION}-s${scale}`);
  const statsFile = join(dir, 'bench-stats.json');
  if (!existsSync(statsFile)) {
    const t0 = performance.now();
    console.log(`building the bench image in ${dir} (once; a minute or two)`);
    const pools = loadPools(root);
    const pkgs = imagePackages(scale);
    const base = planFolder(root, 1, () => 0, (n) => n === '.palisade-complete' || (n.startsWith('var/cache/apt/archives/') && n.endsWith('.deb'))).layers[0];
    const plans: Array<[string, PackEntry[]]> = [
      ['debootstrap --variant=minbase bookworm', base],
      ['apt-get install runtime libraries', libsLayer(pools, scale)],
      ['pip install -r requirements.txt', pythonLayer(pools, pkgs.pypi)],
      ['npm ci --omit=dev', nodeModulesLayer(pools, pkgs.npm)],
      ['COPY node dist /', appLayer(pools, scale)],
    ];
    const layers: BuiltLayer[] = [];
    const tarBytes: number[] = [];
    const entries: number[] = [];
    for (const [, plan] of plans) {
      const l = await packLayer(withParents(plan, MTIME));
      layers.push(l);
      tarBytes.push(l.tarSize);
      entries.push(plan.length);
    }
    const im = image(layers, { history: plans.map(([cmd]) => ({ created_by: `/bin/sh -c ${cmd}` })) });
    const scratch = `${dir}.tmp-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    await writeOciLayout(scratch, [im], { refs: [TAG] });
    writeFileSync(join(scratch, 'bench-stats.json'), JSON.stringify({ tarBytes, entries }));
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    console.log(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { tarBytes: number[]; entries: number[] };
  return { im: loadLayout(dir), ...stats };
}

/** Reads back an image that `writeOciLayout` wrote. */
function loadLayout(dir: string): BuiltImage {
  const blob = (digest: string): Buffer => readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string }> };
  const manifestDigest = idx.manifests[0].digest;
  const manifest = blob(manifestDigest);
  const m = JSON.parse(manifest.toString('utf8')) as { mediaType: string; config: { digest: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
  const config = blob(m.config.digest);
  const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  const layers: BuiltLayer[] = m.layers.map((l, i) => ({ blob: blob(l.digest), digest: l.digest, diffId: diffIds[i], size: l.size, mediaType: l.mediaType, tar: Buffer.alloc(0) }));
  const blobs = new Map<string, Buffer>([[m.config.digest, config], ...layers.map((l) => [l.digest, l.blob] as [string, Buffer])]);
  return { manifest, manifestDigest, manifestMediaType: m.mediaType, config, configDigest: m.config.digest, layers, platform: { os: 'linux', architecture: 'amd64' }, blobs };
}

// ---------------------------------------------------------------------------------------------------
// The advisory database
// ---------------------------------------------------------------------------------------------------

/** A few well-known Debian source packages that are not in the minbase root, for a realistic name mix. */
const DEBIAN_SOURCES = [
  'linux', 'openssl', 'curl', 'glibc', 'systemd', 'openssh', 'python3.11', 'nodejs', 'postgresql-15', 'mariadb', 'nginx', 'apache2',
  'php8.2', 'ruby3.1', 'git', 'vim', 'imagemagick', 'ffmpeg', 'libxml2', 'libxslt', 'sqlite3', 'krb5', 'gnutls28', 'nss', 'firefox-esr',
  'thunderbird', 'chromium', 'qemu', 'xen', 'bind9', 'samba', 'cups', 'ghostscript', 'poppler', 'tiff', 'libpng1.6', 'libjpeg-turbo',
  'libwebp', 'freetype', 'harfbuzz', 'glib2.0', 'gst-plugins-base1.0', 'wpewebkit', 'webkit2gtk', 'openjdk-17', 'golang-1.19', 'rustc',
  'llvm-toolchain-15', 'binutils', 'gcc-12', 'icu', 'expat', 'zlib', 'xz-utils', 'bzip2', 'libarchive', 'unzip', 'zip', 'cpio',
];

function cvssVector(r: Rand): { vector: string; score: number } {
  const av = pick(r, ['N', 'A', 'L']);
  const c = pick(r, ['H', 'L', 'N']);
  const i = pick(r, ['H', 'L', 'N']);
  const a = pick(r, ['H', 'L', 'N']);
  const score = Math.round((av === 'N' ? 5 : 3) + (c === 'H' ? 1.8 : 0.5) + (i === 'H' ? 1.5 : 0.3) + (a === 'H' ? 1.2 : 0.2)) ;
  return { vector: `CVSS:3.1/AV:${av}/AC:L/PR:N/UI:N/S:U/C:${c}/I:${i}/A:${a}`, score: Math.min(10, score) };
}

/** Zipf-like choice: a few names get most advisories (the kernel, browsers), most get a handful. */
function zipf(r: Rand, n: number): number {
  return Math.min(n - 1, Math.floor(Math.pow(n + 1, r()) - 1));
}

function shuffle<T>(r: Rand, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

interface Docs {
  source: DataSource;
  vulnerabilities: VulnerabilityRecord[];
  affected: AffectedPackage[];
}

/**
 * `n` advisories: half distribution CVEs with rows for Debian 11 and 12, Ubuntu 22.04 and 24.04 and Alpine
 * 3.19 and 3.20 (source package names, fixed versions a little below or above what the image has, a
 * quarter unfixed, some not affected); the rest GHSA-style npm, PyPI, Go and Maven advisories with OSV
 * ranges. Names include the image's own packages among thousands of others.
 */
function advisories(n: number, debSources: Map<string, string>, pkgs: { npm: NamedVersion[]; pypi: NamedVersion[] }): Docs[] {
  const r = rng(29);
  const desc = (id: string, pkg: string): string => `${pkg}: ${pick(r, ['heap buffer overflow', 'use after free', 'out-of-bounds read', 'integer overflow', 'NULL pointer dereference', 'uncontrolled recursion', 'path traversal', 'prototype pollution', 'regular expression denial of service', 'improper certificate validation'])} in ${pick(r, WORDS)} handling allows a remote attacker to cause a denial of service or possibly execute code (${id}).`;
  const record = (id: string, pkg: string, alias?: string): VulnerabilityRecord => {
    const c = cvssVector(r);
    return {
      id,
      aliases: alias ? [alias] : [],
      title: `${pkg}: ${pick(r, WORDS)} ${pick(r, ['overflow', 'bypass', 'injection', 'disclosure', 'crash'])}`,
      description: desc(id, pkg),
      severity: pick(r, ['low', 'medium', 'medium', 'high', 'critical'] as const),
      cvss: [{ version: '3.1', vector: c.vector, score: c.score, source: 'nvd' }],
      references: [`https://nvd.nist.gov/vuln/detail/${id}`, `https://example.org/advisories/${id}`],
      published: `20${int(r, 15, 25)}-0${int(r, 1, 9)}-1${int(r, 0, 9)}T00:00:00Z`,
    };
  };
  const distroNames = shuffle(r, [...new Set([...debSources.keys(), ...DEBIAN_SOURCES, ...Array.from({ length: 4000 }, (_, i) => `${pick(r, WORDS)}${pick(r, WORDS)}${i}`)])]);
  const npmNames = shuffle(r, [...new Set([...pkgs.npm.map((p) => p.name), ...Array.from({ length: 9000 }, (_, i) => `${pick(r, WORDS)}-${pick(r, WORDS)}-${i}`)])]);
  const pypiNames = shuffle(r, [...new Set([...pkgs.pypi.map((p) => p.name.toLowerCase().replace(/[-_.]+/g, '-')), ...Array.from({ length: 5000 }, (_, i) => `py-${pick(r, WORDS)}-${i}`)])]);
  const npmVersion = new Map(pkgs.npm.map((p) => [p.name, p.version]));
  const pyVersion = new Map(pkgs.pypi.map((p) => [p.name.toLowerCase().replace(/[-_.]+/g, '-'), p.version]));
  const debianDoc: Docs = { source: { id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/' }, vulnerabilities: [], affected: [] };
  const ubuntuDoc: Docs = { source: { id: 'osv:ubuntu', name: 'Ubuntu (OSV)', url: 'https://osv.dev/' }, vulnerabilities: [], affected: [] };
  const alpineDoc: Docs = { source: { id: 'alpine-secdb', name: 'Alpine secdb', url: 'https://secdb.alpinelinux.org/' }, vulnerabilities: [], affected: [] };
  const ghsa: Record<string, Docs> = {};
  for (const eco of ['npm', 'pypi', 'go', 'maven']) ghsa[eco] = { source: { id: `osv:${eco}`, name: `OSV ${eco}`, url: 'https://osv.dev/' }, vulnerabilities: [], affected: [] };

  const distroCount = Math.floor(n / 2);
  for (let i = 0; i < distroCount; i++) {
    const id = `CVE-${2015 + (i % 11)}-${String(10000 + i).padStart(5, '0')}`;
    const pkg = distroNames[zipf(r, distroNames.length)];
    const installed = debSources.get(pkg);
    debianDoc.vulnerabilities.push(record(id, pkg));
    for (const [doc, ns, p] of [[debianDoc, 'debian:12', 0.7], [debianDoc, 'debian:11', 0.6], [ubuntuDoc, 'ubuntu:22.04', 0.5], [ubuntuDoc, 'ubuntu:24.04', 0.4], [alpineDoc, 'alpine:3.19', 0.15], [alpineDoc, 'alpine:3.20', 0.15]] as const) {
      if (r() > p) continue;
      const roll = r();
      const status = roll < 0.62 ? 'fixed' : roll < 0.9 ? pick(r, ['affected', 'affected', 'will-not-fix', 'fix-deferred'] as const) : 'not-affected';
      let fixedVersion: string | undefined;
      if (status === 'fixed') fixedVersion = installed && ns === 'debian:12' ? (r() < 0.8 ? `${installed}~old1` : `${installed}+deb12u9`) : `${int(r, 0, 9)}.${int(r, 0, 30)}-${int(r, 1, 5)}`;
      doc.affected.push({ vulnerabilityId: id, namespace: ns, package: pkg, status, fixedVersion, severity: pick(r, ['low', 'medium', 'high'] as const), source: doc.source.id });
    }
  }
  const eco = (e: 'npm' | 'pypi' | 'go' | 'maven', names: string[], installed: Map<string, string>, version: () => string): void => {
    const count = Math.floor((n - distroCount) * { npm: 0.45, pypi: 0.25, go: 0.15, maven: 0.15 }[e]);
    for (let i = 0; i < count; i++) {
      const gid = `GHSA-${createHash('sha1').update(`${e}${i}`).digest('hex').slice(0, 12).match(/.{4}/g)!.join('-')}`;
      const cve = r() < 0.7 ? `CVE-${2018 + (i % 8)}-${String(50000 + i).padStart(5, '0')}` : undefined;
      const pkg = names[zipf(r, names.length)];
      const have = installed.get(pkg);
      const fixed = have && r() < 0.5 ? bump(have, r() < 0.3 ? 1 : -1) : version();
      const open = r() < 0.15;
      const ranges: VersionRange[] = open ? [{ introduced: '0', lastAffected: fixed }] : [{ introduced: r() < 0.7 ? '0' : lower(fixed), fixed }];
      const d = ghsa[e];
      d.vulnerabilities.push(record(gid, pkg, cve));
      d.affected.push({ vulnerabilityId: gid, namespace: e, package: pkg, status: open ? 'affected' : 'fixed', fixedVersion: open ? undefined : fixed, ranges, source: d.source.id });
    }
  };
  const semverish = (): string => `${int(r, 0, 12)}.${int(r, 0, 30)}.${int(r, 0, 20)}`;
  eco('npm', npmNames, npmVersion, semverish);
  eco('pypi', pypiNames, pyVersion, semverish);
  eco('go', Array.from({ length: 6000 }, (_, i) => `github.com/${pick(r, WORDS)}/${pick(r, WORDS)}-${i}`), new Map(), semverish);
  eco('maven', Array.from({ length: 5000 }, (_, i) => `org.${pick(r, WORDS)}:${pick(r, WORDS)}-${i}`), new Map(), semverish);
  return [debianDoc, ubuntuDoc, alpineDoc, ...Object.values(ghsa)];
}

/** `1.2.3` one patch release up (+1) or down (-1), staying valid. */
function bump(v: string, dir: 1 | -1): string {
  const [a, b, c] = v.split('.').map(Number);
  if (dir === 1) return `${a}.${b}.${c + 1}`;
  return c > 0 ? `${a}.${b}.${c - 1}` : b > 0 ? `${a}.${b - 1}.9` : a > 0 ? `${a - 1}.9.9` : '0.0.0';
}

function lower(v: string): string {
  const [a, b] = v.split('.').map(Number);
  return b > 0 ? `${a}.${b - 1}.0` : `${Math.max(0, a - 1)}.0.0`;
}

/** The advisory database from the cache, or built into it. Undefined when the store cannot be loaded. */
async function benchDb(n: number, root: string, scale: number): Promise<{ path: string; advisories: number; rows: number } | { skipped: string }> {
  let store: typeof import('../src/storage/vulndb/index.js');
  try {
    store = await import('../src/storage/vulndb/index.js');
    await import('../src/vuln/match/index.js');
  } catch (e) {
    return { skipped: `vulnerability store or matcher not available (${(e as Error).message.split('\n')[0]})` };
  }
  const path = join(testCacheDir(), `bench-vulndb-v${DB_VERSION}-i${IMAGE_VERSION}-s${scale}-${n}.db`);
  const meta = `${path}.json`;
  if (!existsSync(meta) || !existsSync(path)) {
    const t0 = performance.now();
    const deb = new Map<string, string>();
    for (const line of dpkgQueryPackages(root)) {
      const [, , , src, srcVersion] = line.split(' ');
      deb.set(src, srcVersion);
    }
    const docs = advisories(n, deb, imagePackages(scale));
    rmSync(path, { force: true });
    const db = store.openVulnDb(path, { create: true });
    let advisoriesN = 0;
    let rows = 0;
    try {
      for (const d of docs) {
        db.replaceDocument(d.source, 'all', { url: d.source.url, digest: `sha256:${createHash('sha256').update(d.source.id).digest('hex')}`, importedAt: NOW.toISOString(), vulnerabilities: d.vulnerabilities.length, affected: d.affected.length }, d);
        advisoriesN += d.vulnerabilities.length;
        rows += d.affected.length;
      }
    } finally {
      db.close();
    }
    writeFileSync(meta, JSON.stringify({ advisories: advisoriesN, rows }));
    console.log(`built the advisory database ${path} (${advisoriesN} advisories, ${rows} rows) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return { path, ...(JSON.parse(readFileSync(meta, 'utf8')) as { advisories: number; rows: number }) };
}

// ---------------------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------------------

type ChildJob =
  | { mode: 'baseline'; url: string; repository: string; digests: string[] }
  | { mode: 'scan'; ref: string }
  | { mode: 'scan-match'; ref: string; db: string }
  | { mode: 'match'; ref: string; db: string; reps: number };

interface ChildResult {
  ms: number;
  peakRss: number;
  packages?: number;
  findings?: number;
  compressed?: number;
  decompressed?: number;
  /** match: median and all times of `matchPackages`, ms. */
  timesMs?: number[];
  coldMs?: number;
}

/**
 * Peak RSS of this child: `VmHWM` of /proc/self/status, which belongs to the process's own address space.
 * `process.resourceUsage().maxRSS` (getrusage) is not used here: Linux carries it across exec, so a
 * child forked from a parent holding the image's blobs would report at least the parent's size.
 */
function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const REGISTRY_OPTS = { insecure: true, dockerConfig: false as const };

async function runBaseline(job: Extract<ChildJob, { mode: 'baseline' }>): Promise<ChildResult> {
  const agent = new http.Agent({ keepAlive: true });
  let compressed = 0;
  let decompressed = 0;
  const t0 = performance.now();
  for (const d of job.digests) {
    await new Promise<void>((resolve, reject) => {
      http.get(`${job.url}/v2/${job.repository}/blobs/${d}`, { agent }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET blob ${d}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        // The inflater settings Palisade uses (src/inputs/image/layer.ts): node's defaults (16 KiB pieces and
        // buffers) are slower, which would flatter the ratio.
        const gz = createGunzip({ chunkSize: 1024 * 1024, readableHighWaterMark: 4 * 1024 * 1024, writableHighWaterMark: 1024 * 1024 } as ZlibOptions);
        res.on('data', (c: Buffer) => (compressed += c.length));
        gz.on('data', (c: Buffer) => (decompressed += c.length));
        gz.on('end', resolve);
        gz.on('error', reject);
        res.on('error', reject);
        res.pipe(gz);
      }).on('error', reject);
    });
  }
  const ms = performance.now() - t0;
  agent.destroy();
  return { ms, peakRss: peakRss(), compressed, decompressed };
}

async function runScan(job: Extract<ChildJob, { mode: 'scan' }>): Promise<ChildResult> {
  const { inventoryImage } = await import('../src/app/scan-image.js');
  const t0 = performance.now();
  const inv = await inventoryImage({ source: job.ref, registry: REGISTRY_OPTS });
  const ms = performance.now() - t0;
  return { ms, peakRss: peakRss(), packages: inv.inventory.packages.length };
}

async function runScanMatch(job: Extract<ChildJob, { mode: 'scan-match' }>): Promise<ChildResult> {
  const { scanImage } = await import('../src/app/scan-image.js');
  const { loadVulnBackend } = await import('../src/app/vuln-backend.js');
  const backend = loadVulnBackend();
  const t0 = performance.now();
  const { report } = await scanImage({ source: job.ref, registry: REGISTRY_OPTS, dbPath: job.db, maxDbAgeHours: 1e9, ignoreFile: undefined, cwd: '/nonexistent', now: NOW }, backend);
  const ms = performance.now() - t0;
  return { ms, peakRss: peakRss(), packages: report.summary.packages, findings: report.summary.vulnerabilities };
}

async function runMatch(job: Extract<ChildJob, { mode: 'match' }>): Promise<ChildResult> {
  const { inventoryImage } = await import('../src/app/scan-image.js');
  const { openVulnDb } = await import('../src/storage/vulndb/index.js');
  const { matchPackages } = await import('../src/vuln/match/index.js');
  const inv = await inventoryImage({ source: job.ref, registry: REGISTRY_OPTS });
  const packages: Package[] = inv.inventory.packages;
  const db = openVulnDb(job.db, { readonly: true });
  try {
    let findings = 0;
    const c0 = performance.now();
    matchPackages(inv.inventory.os, packages, db, { now: NOW });
    const coldMs = performance.now() - c0;
    const times: number[] = [];
    for (let i = 0; i < job.reps; i++) {
      const t0 = performance.now();
      findings = matchPackages(inv.inventory.os, packages, db, { now: NOW }).vulnerabilities.length;
      times.push(performance.now() - t0);
    }
    return { ms: median(times), timesMs: times, coldMs, peakRss: peakRss(), packages: packages.length, findings };
  } finally {
    db.close();
  }
}

async function child(job: ChildJob): Promise<void> {
  const result = job.mode === 'baseline' ? await runBaseline(job) : job.mode === 'scan' ? await runScan(job) : job.mode === 'scan-match' ? await runScanMatch(job) : await runMatch(job);
  process.send!(result, () => process.exit(0));
}

function runChild(job: ChildJob, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = fork(THIS_FILE, ['--child', JSON.stringify(job)], { execArgv: [...process.execArgv, ...extraArgs], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    p.on('message', (m) => (result = m as ChildResult));
    p.on('error', reject);
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${job.mode} child exited with code ${code} and no result`))));
  });
}

// ---------------------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------------------

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const fmtMB = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;
const fmtN = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '5' },
      scale: { type: 'string', default: '1' },
      advisories: { type: 'string', default: '120000' },
      profile: { type: 'string' },
      'no-match': { type: 'boolean', default: false },
      'main-thread': { type: 'boolean', default: false },
    },
  });
  const reps = Math.max(1, Number(values.reps));
  const scale = Number(values.scale);
  const cpu = cpus();
  console.log(`palisade image bench: node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${fmtMB(totalmem())} RAM`);
  const made = await debootstrapRootfs('bookworm', 'minbase');
  if ('skipped' in made) {
    console.log(`image bench skipped: ${made.skipped}`);
    return;
  }
  const { im, tarBytes, entries } = await benchImage(made.dir, scale);
  const db = values['no-match'] ? { skipped: '--no-match' } : await benchDb(Number(values.advisories), made.dir, scale);
  if ('skipped' in db) console.log(`matching skipped: ${db.skipped}`);

  const registry = await startRegistry();
  try {
    await pushImage({ url: registry.url, repository: REPOSITORY }, im, TAG);
    const ref = `${registry.host}/${REPOSITORY}:${TAG}`;
    const digests = im.layers.map((l) => l.digest);
    const baseline: ChildResult[] = [];
    const scan: ChildResult[] = [];
    const scanMatch: ChildResult[] = [];
    const mainThread: ChildResult[] = [];
    for (let i = 0; i < reps; i++) {
      baseline.push(await runChild({ mode: 'baseline', url: registry.url, repository: REPOSITORY, digests }));
      scan.push(await runChild({ mode: 'scan', ref }));
      if (values['main-thread']) mainThread.push(await runChild({ mode: 'scan', ref }, [], { PALISADE_LAYER_THREAD: '0' }));
      if (!('skipped' in db)) scanMatch.push(await runChild({ mode: 'scan-match', ref, db: db.path }));
    }
    if (values.profile) {
      mkdirSync(values.profile, { recursive: true });
      await runChild({ mode: 'scan', ref }, ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]);
      console.log(`CPU profile of one palisade scan written to ${values.profile}`);
    }
    const compressed = im.layers.reduce((s, l) => s + l.size, 0);
    const tar = tarBytes.reduce((s, n) => s + n, 0);
    const b = median(baseline.map((r) => r.ms));
    const s = median(scan.map((r) => r.ms));
    const rss = Math.max(...scan.map((r) => r.peakRss));
    const parts = [
      `case image ${fmtMB(compressed)}: ${im.layers.length} gzip layers, ${fmtMB(compressed)} compressed, ${fmtMB(tar)} of tar, ${fmtN(entries.reduce((x, y) => x + y, 0))} entries`,
      `palisade inventory ${fmtS(s)} (${fmtN(scan[0].packages ?? 0)} packages, ${fmtN((tar / 1024 / 1024) / (s / 1000))} MB/s of tar, peak RSS ${fmtMB(rss)})`,
    ];
    if (scanMatch.length) {
      const sm = median(scanMatch.map((r) => r.ms));
      parts.push(`with matching ${fmtS(sm)} (${fmtN(scanMatch[0].findings ?? 0)} findings, peak RSS ${fmtMB(Math.max(...scanMatch.map((r) => r.peakRss)))}), ratio ${(sm / b).toFixed(2)}`);
    }
    if (mainThread.length) {
      const mt = median(mainThread.map((r) => r.ms));
      parts.push(`with layers on the main thread ${fmtS(mt)} (peak RSS ${fmtMB(Math.max(...mainThread.map((r) => r.peakRss)))}), ratio ${(mt / b).toFixed(2)}`);
    }
    parts.push(`baseline download+gunzip ${fmtS(b)} (peak RSS ${fmtMB(Math.max(...baseline.map((r) => r.peakRss)))})`);
    parts.push(`ratio ${(s / b).toFixed(2)} (target <= 1.30)`, `RSS target <= 500 MB ${rss <= 500 * 1024 * 1024 ? 'met' : 'MISSED'}`, `median of ${reps}`);
    console.log(parts.join(' | '));
    if (process.env.PALISADE_BENCH_VERBOSE) {
      console.log(`  times: palisade ${scan.map((r) => fmtS(r.ms)).join(', ')}; baseline ${baseline.map((r) => fmtS(r.ms)).join(', ')}`);
      if (mainThread.length) console.log(`  layers on the main thread: ${mainThread.map((r) => fmtS(r.ms)).join(', ')}`);
      console.log(`  per-round ratios: ${scan.map((r, i) => (r.ms / baseline[i].ms).toFixed(2)).join(', ')}`);
    }

    if (!('skipped' in db)) {
      const m = await runChild({ mode: 'match', ref, db: db.path, reps: Math.max(5, reps * 2) });
      const perS = ((m.packages ?? 0) / m.ms) * 1000;
      console.log(
        `case match ${fmtN(db.advisories)} advisories: ${fmtN(db.rows)} affected rows (Debian, Ubuntu, Alpine, npm, PyPI, Go, Maven) | ` +
          `${fmtN(m.packages ?? 0)} packages, ${fmtN(m.findings ?? 0)} findings | ${fmtN(perS)} packages/s (${fmtS(m.ms)} per image, warm; first run ${fmtS(m.coldMs ?? 0)}) | median of ${m.timesMs?.length ?? 0}`,
      );
    }
  } finally {
    await registry.stop();
  }
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]) as ChildJob);
else await main();

