/**
 * IPv4/IPv6 addresses and CIDR ranges as bigints, for `ipInRanges`. Written here (not a dependency) because the
 * rules need only "is this address in that range", and the parser must never throw on a malformed entry:
 * a bad address simply matches nothing.
 */

interface Range {
  v6: boolean;
  base: bigint;
  mask: bigint;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last 32 bits.
  let tail: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = parseV4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== undefined) n = (n & ~0xffffffffn) | tail;
  return n;
}

/** An address as a number and its family; IPv4-mapped IPv6 addresses count as IPv4. */
export function parseIp(s: string): { v6: boolean; n: bigint } | undefined {
  const t = s.trim().replace(/^\[|\]$/g, '');
  const v4 = parseV4(t);
  if (v4 !== undefined) return { v6: false, n: v4 };
  const v6 = parseV6(t);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v6: false, n: v6 & 0xffffffffn };
  return { v6: true, n: v6 };
}

const cache = new Map<string, Range | null>();

/** `192.0.2.0/24`, `2001:db8::/32`, or a single address. Cached: rule lists are re-evaluated for every event. */
export function parseRange(s: string): Range | undefined {
  const hit = cache.get(s);
  if (hit !== undefined) return hit ?? undefined;
  let out: Range | undefined;
  const [addr, bits] = s.split('/');
  const ip = addr === undefined ? undefined : parseIp(addr);
  if (ip) {
    const width = ip.v6 ? 128 : 32;
    const prefix = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
    if (prefix >= 0 && prefix <= width) {
      const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
      out = { v6: ip.v6, base: ip.n & mask, mask };
    }
  }
  if (cache.size > 100_000) cache.clear();
  cache.set(s, out ?? null);
  return out;
}

const addresses = new Map<string, { v6: boolean; n: bigint } | null>();

/** parseIp with a cache: the same few source addresses recur in every event of a log. */
function cachedIp(ip: string): { v6: boolean; n: bigint } | undefined {
  let a = addresses.get(ip);
  if (a === undefined) {
    if (addresses.size > 100_000) addresses.clear();
    a = parseIp(ip) ?? null;
    addresses.set(ip, a);
  }
  return a ?? undefined;
}

/** The ranges of one list grouped by family and prefix: a lookup masks the address once per prefix length. */
interface RangeIndex {
  v4: Map<bigint, Set<bigint>>;
  v6: Map<bigint, Set<bigint>>;
}

/** Indexes of the list arrays seen (rule lists are one constant array per rule, see compile.ts). */
const indexes = new WeakMap<readonly unknown[], RangeIndex>();

function indexOf(ranges: readonly unknown[]): RangeIndex {
  let idx = indexes.get(ranges);
  if (idx) return idx;
  idx = { v4: new Map(), v6: new Map() };
  for (const r of ranges) {
    if (typeof r !== 'string') continue;
    const range = parseRange(r);
    if (!range) continue;
    const byMask = range.v6 ? idx.v6 : idx.v4;
    let bases = byMask.get(range.mask);
    if (!bases) byMask.set(range.mask, (bases = new Set()));
    bases.add(range.base);
  }
  // Only frozen arrays are kept: a mutable one could change after it was indexed.
  if (Object.isFrozen(ranges)) indexes.set(ranges, idx);
  return idx;
}

/** True when `ip` is inside any of `ranges` (addresses or CIDRs). Malformed entries match nothing. */
export function ipInRanges(ip: string, ranges: readonly unknown[]): boolean {
  const a = cachedIp(ip);
  if (!a) return false;
  if (!Object.isFrozen(ranges)) {
    for (const r of ranges) {
      if (typeof r !== 'string') continue;
      const range = parseRange(r);
      if (range && range.v6 === a.v6 && (a.n & range.mask) === range.base) return true;
    }
    return false;
  }
  for (const [mask, bases] of a.v6 ? indexOf(ranges).v6 : indexOf(ranges).v4) if (bases.has(a.n & mask)) return true;
  return false;
}

/** True when the entry is an address or CIDR this module understands (used to validate list files). */
export function isIpOrCidr(s: string): boolean {
  return parseRange(s) !== undefined;
}
