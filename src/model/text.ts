let _sink = 0;

/**
 * The string, stored flat: text built by concatenation is a tree of pieces until something reads it
 * whole, and kept that way (ids of every resource, messages of every finding) it takes several objects
 * and several times its length, which the garbage collector moves for as long as the text lives.
 */
export function flatString(s: string): string {
  // Converting to a number reads the string whole, which flattens it in place (the collector then drops
  // the emptied tree and keeps the flat text).
  _sink ^= (s as unknown as number) | 0;
  return s;
}
