/** Name of the session cookie. */
export const SESSION_COOKIE = 'palisade_session';

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * `Set-Cookie` for the session: HttpOnly (no script can read it), SameSite=Strict (no other site can send
 * it, which is the CSRF defence of every cookie-authenticated write), Secure when served over HTTPS.
 */
export function sessionCookie(value: string, opts: { maxAgeSeconds: number; secure: boolean }): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${opts.maxAgeSeconds}${opts.secure ? '; Secure' : ''}`;
}
