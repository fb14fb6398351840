import { Environment } from '@marcbachmann/cel-js';
import { CONTEXT_VARIABLES } from './context.js';
import { imageRepository } from './context.js';
import { ipInRanges } from './ip.js';

/** Functions rules may call, besides CEL's standard library. Listed for the docs and the name checks. */
export const RULE_FUNCTIONS = {
  'ipInRanges(ip, ranges)': 'true when the address is inside any address or CIDR of the list (IPv4 and IPv6)',
  'containsAny(s, list)': 'true when s contains any string of the list (case-sensitive)',
  'startsWithAny(s, list)': 'true when s starts with any string of the list',
  'endsWithAny(s, list)': 'true when s ends with any string of the list',
  'imageRepository(image)': 'the image reference without tag and digest',
  'toJson(value)': 'the value as compact JSON text (to search a whole object)',
} as const;

/** The strings of a list (what containsAny and its kin search). */
export const celStrings = (l: unknown[]): string[] => l.filter((x): x is string => typeof x === 'string');

/** toJson: the value as compact JSON text. */
export function celJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x instanceof Map ? Object.fromEntries(x) : x)) ?? 'null';
}

/** Builds the CEL environment of threat rules: the context variables, typed, and Palisade's functions. */
export function createRuleEnvironment(): Environment {
  let env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
  for (const [name, type] of Object.entries(CONTEXT_VARIABLES)) env = env.registerVariable(name, type);
  return env
    .registerFunction('ipInRanges(string, list): bool', (ip: string, ranges: unknown[]) => ipInRanges(ip, ranges))
    .registerFunction('containsAny(string, list): bool', (s: string, l: unknown[]) => celStrings(l).some((x) => s.includes(x)))
    .registerFunction('startsWithAny(string, list): bool', (s: string, l: unknown[]) => celStrings(l).some((x) => s.startsWith(x)))
    .registerFunction('endsWithAny(string, list): bool', (s: string, l: unknown[]) => celStrings(l).some((x) => s.endsWith(x)))
    .registerFunction('imageRepository(string): string', (s: string) => imageRepository(s))
    .registerFunction('toJson(dyn): string', (v: unknown) => celJson(v));
}
