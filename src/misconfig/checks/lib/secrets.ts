/**
 * Recognising secrets in plain configuration (container env and args, ConfigMap data) without ever
 * printing them. Shared by the secret checks; pure functions, no I/O.
 */

/** A value that looks like a credential by its own shape, whatever the key it sits under. */
export interface SecretShape {
  /** Human label used in messages: `a GitHub token`. */
  label: string;
  /** The public, well-known prefix of that format, safe to print (`ghp_`), when there is one. */
  prefix?: string;
}

interface Detector extends SecretShape {
  re: RegExp;
}

/**
 * Formats with a recognisable shape. Each one is specific enough that a match is very unlikely to be
 * anything but a credential; prefixes are part of the public format, never of the secret itself.
 */
const DETECTORS: readonly Detector[] = [
  // PEM / OpenSSH / PGP private keys. Polaris matches `-BEGIN ... PRIVATE KEY-`; so do we, tolerant of
  // the number of dashes.
  { label: 'a private key', re: /-BEGIN\s+(?:[A-Z0-9]+\s+)*PRIVATE\s+KEY(?:\s+BLOCK)?-/i },
  { label: 'an AWS access key id', prefix: 'AKIA', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { label: 'a GitHub token', prefix: 'ghp_', re: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/ },
  { label: 'a GitHub fine-grained token', prefix: 'github_pat_', re: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/ },
  { label: 'a GitLab token', prefix: 'glpat-', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { label: 'a Slack token', prefix: 'xox', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { label: 'a Slack webhook URL', prefix: 'https://hooks.slack.com/', re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/ },
  { label: 'a Google API key', prefix: 'AIza', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { label: 'a Stripe secret key', prefix: 'sk_live_', re: /\b[rs]k_live_[0-9A-Za-z]{20,}\b/ },
  { label: 'an npm token', prefix: 'npm_', re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { label: 'an Azure storage account key', prefix: 'AccountKey=', re: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/ },
  // Three base64url segments, the first two decoding to JSON objects: a signed JWT.
  { label: 'a JSON Web Token', prefix: 'eyJ', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
];

/** `scheme://user:password@host`, with a password that is not itself a `$(VAR)` reference. */
const URL_WITH_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@[^\s]/i;
const VAR_REF = /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/;

/**
 * Every detector and the URL pattern in one case-insensitive alternation: a value none of them can match
 * (nearly every value) is rejected in one pass instead of thirteen. Matching without case distinction
 * accepts a superset of what each detector accepts, so the detectors still decide, in their order.
 */
const ANY_SHAPE = new RegExp([...DETECTORS.map((d) => d.re.source), URL_WITH_PASSWORD.source].map((src) => `(?:${src})`).join('|'), 'i');

/** Returns the shape of a credential found in `value`, or undefined. */
export function secretShapeOf(value: string): SecretShape | undefined {
  if (!ANY_SHAPE.test(value)) return undefined;
  for (const d of DETECTORS) {
    if (d.re.test(value)) return d.prefix === undefined ? { label: d.label } : { label: d.label, prefix: d.prefix };
  }
  const m = URL_WITH_PASSWORD.exec(value);
  if (m && !VAR_REF.test(m[1]!) && !/^\$\{[^}]*\}$/.test(m[1]!)) return { label: 'a URL with an embedded password' };
  return undefined;
}

/** The configured key patterns, compiled once per list, with the verdicts given so far. */
interface CompiledPatterns {
  list: RegExp[];
  /** All of them as one alternation, when that is equivalent (no pattern refers to its own groups). */
  any: RegExp | undefined;
  /** Key name -> isSensitiveKey, bounded: a scan asks about the same few hundred names again and again. */
  verdicts: Map<string, boolean>;
}

const compiled = new WeakMap<readonly string[], CompiledPatterns>();

function compilePatterns(patterns: readonly string[]): CompiledPatterns {
  let res = compiled.get(patterns);
  if (!res) {
    const list = patterns.filter((p) => typeof p === 'string' && p !== '').map((p) => {
      try {
        return new RegExp(p, 'i');
      } catch {
        return new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      }
    });
    // Back-references and named groups would change meaning once the patterns share one expression.
    const combinable = list.length > 0 && list.every((re) => !/\\[1-9k]|\(\?</.test(re.source.replace(/\(\?<[=!]/g, '')));
    let any: RegExp | undefined;
    if (combinable) {
      try {
        any = new RegExp(list.map((re) => `(?:${re.source})`).join('|'), 'i');
      } catch {
        any = undefined;
      }
    }
    res = { list, any, verdicts: new Map() };
    compiled.set(patterns, res);
  }
  return res;
}

/**
 * Compiles the configured key patterns (case-insensitive). A pattern that is not a valid regular
 * expression is matched as a literal substring rather than failing the scan.
 */
export function keyPatterns(patterns: readonly string[]): RegExp[] {
  return compilePatterns(patterns).list;
}

/**
 * Name segments that describe a property of a secret rather than hold it: `TOKEN_URL`, `SECRET_NAME`,
 * `PASSWORD_FILE`, `TOKEN_TTL`. A key ending in one of these is not itself a credential.
 */
const DESCRIPTOR_SUFFIXES = new Set([
  'file', 'files', 'path', 'dir', 'directory', 'url', 'uri', 'endpoint', 'host', 'port', 'name', 'names', 'ref',
  'id', 'ttl', 'expiry', 'expiration', 'expires', 'lifetime', 'timeout', 'duration', 'length', 'len', 'size',
  'enabled', 'enable', 'disabled', 'disable', 'required', 'mode', 'type', 'kind', 'algorithm', 'alg', 'header',
  'field', 'format', 'policy', 'provider', 'issuer', 'audience', 'scope', 'scopes', 'version', 'rotation',
  'location', 'namespace', 'store', 'backend', 'mount', 'seconds', 'secs', 'minutes', 'hours', 'days', 'ms',
  'count', 'max', 'min', 'limit', 'retries', 'interval', 'prefix', 'suffix', 'pattern', 'regex',
]);

/** True when the key name says it is a credential, per the configured patterns, and not a descriptor of one. */
export function isSensitiveKey(name: string, patterns: readonly string[]): boolean {
  const c = compilePatterns(patterns);
  let v = c.verdicts.get(name);
  if (v === undefined) {
    if (c.verdicts.size >= 10_000) c.verdicts.clear();
    v = sensitiveKey(name, c);
    c.verdicts.set(name, v);
  }
  return v;
}

function sensitiveKey(name: string, c: CompiledPatterns): boolean {
  if (c.any ? !c.any.test(name) : !c.list.some((re) => re.test(name))) return false;
  const segments = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter((s) => s !== '');
  const last = segments[segments.length - 1]?.toLowerCase();
  return !(last !== undefined && segments.length > 1 && DESCRIPTOR_SUFFIXES.has(last));
}

/**
 * True when a value under a sensitive-looking key could not be a literal credential: empty, a boolean,
 * a `$(VAR)` reference resolved by the kubelet, a template placeholder, an absolute file path, or a
 * URL with no password in it.
 */
export function isInertValue(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (/^(true|false|yes|no|on|off|null|none|enabled|disabled)$/i.test(v)) return true;
  if (VAR_REF.test(v)) return true;
  // Template placeholders (`${DB_PASSWORD}`, `{{ .Values.password }}`, `<your-token>`): the credential is
  // supplied elsewhere at run or render time.
  if (/^\$\{[^}]+\}$/.test(v) || /^\{\{[\s\S]*\}\}$/.test(v) || /^<[^<>]+>$/.test(v)) return true;
  if (/^(\/|file:\/\/)[^\s]*$/.test(v) && !v.startsWith('//')) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^\s]*$/i.test(v) && !URL_WITH_PASSWORD.test(v)) return true;
  return false;
}

/** What kind of secret a key/value pair holds, if any. */
export type SecretFinding =
  | { by: 'value'; shape: SecretShape }
  | { by: 'key' };

/** Classifies one key/value pair: a recognisable credential value first, else a credential-like key. */
export function classifySecret(key: string, value: string, patterns: readonly string[]): SecretFinding | undefined {
  const shape = secretShapeOf(value);
  if (shape) return { by: 'value', shape };
  if (isSensitiveKey(key, patterns) && !isInertValue(value)) return { by: 'key' };
  return undefined;
}

/**
 * Describes what was found without disclosing it: its length and, for a recognised format, only that
 * format's public prefix. Reads after "holds": `holds a value that looks like a GitHub token (...)`.
 */
export function redactedHint(value: string, finding: SecretFinding): string {
  const len = `${[...value].length} characters`;
  if (finding.by === 'value') {
    const p = finding.shape.prefix ? `${finding.shape.prefix}…, ` : '';
    return `a value that looks like ${finding.shape.label} (redacted: ${p}${len})`;
  }
  return `a literal value under a credential-like name (redacted: ${len})`;
}

/** `key = value`, `key: value`, `export KEY="value"`, `"key": "value",` inside a config file held as a value. */
const SETTING_LINE = /^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*(.*?)\s*,?\s*$/;

/** One credential-like setting inside an embedded config file. */
export interface EmbeddedSetting {
  line: number;
  key: string;
  value: string;
  finding: SecretFinding;
}

/**
 * Scans a multi-line value (application.properties, .env, YAML or JSON config held in a ConfigMap) for
 * settings whose name says credential and whose value is a literal. Comment lines are skipped.
 */
export function embeddedSecrets(text: string, patterns: readonly string[]): EmbeddedSetting[] {
  const out: EmbeddedSetting[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (/^\s*(#|\/\/|;|!)/.test(raw)) return;
    const m = SETTING_LINE.exec(raw);
    if (!m) return;
    const key = m[1]!;
    let value = m[2]!;
    const q = /^(["'])([\s\S]*)\1$/.exec(value);
    if (q) value = q[2]!;
    // A YAML mapping header (`db:` followed by nested lines) has no value of its own.
    if (value === '' || value === '|' || value === '>' || value === '{' || value === '[') return;
    if (!isSensitiveKey(key, patterns) || isInertValue(value)) return;
    out.push({ line: i + 1, key, value, finding: { by: 'key' } });
  });
  return out;
}
