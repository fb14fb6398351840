import { z } from 'zod';
import { login, logout, SESSION_TTL_MS } from '../../app/users.js';
import { readCookie, SESSION_COOKIE, sessionCookie } from '../cookies.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { UserOut } from './users.js';

const Credentials = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
const Me = z.object({ actor: z.string(), role: z.enum(['reader', 'contributor', 'owner']) });

/** Log in (session cookie), log out, and who am I. */
export function authRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'POST',
      url: '/api/v1/login',
      summary: 'Log in with a username and password; sets an HttpOnly, SameSite=Strict session cookie',
      tag: 'auth',
      access: 'public',
      body: Credentials,
      responses: { 200: z.object({ user: UserOut, expiresAt: z.string() }), 401: ErrorBody, 429: ErrorBody },
      handler: async ({ body, request, reply }) => {
        // Throttled before the password is checked, so a locked account costs a guesser time, not us a hash.
        const wait = ctx.loginLimiter?.retryAfterMs(body.username, request.ip) ?? 0;
        if (wait > 0) {
          const seconds = Math.ceil(wait / 1000);
          reply.header('retry-after', String(seconds));
          throw new HttpError(429, 'too_many_attempts', `too many failed logins for this user or address: try again in ${seconds} s`);
        }
        const r = await login(ctx.store, body.username, body.password, request.ip);
        if (!r) {
          ctx.loginLimiter?.failed(body.username, request.ip);
          throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
        }
        ctx.loginLimiter?.succeeded(body.username);
        reply.header('set-cookie', sessionCookie(r.session, { maxAgeSeconds: SESSION_TTL_MS / 1000, secure: request.protocol === 'https' }));
        return { user: r.user, expiresAt: r.expiresAt };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/logout',
      summary: 'End the current session',
      tag: 'auth',
      access: 'reader',
      self: true,
      responses: { 204: null, 401: ErrorBody },
      handler: async ({ request, reply, actor }) => {
        const session = readCookie(request.headers.cookie, SESSION_COOKIE);
        if (session) await logout(ctx.store, session, actor);
        reply.header('set-cookie', sessionCookie('', { maxAgeSeconds: 0, secure: request.protocol === 'https' }));
        reply.code(204);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/me',
      summary: 'The authenticated user or token and its role',
      tag: 'auth',
      access: 'reader',
      self: true,
      responses: { 200: Me, 401: ErrorBody },
      handler: async ({ actor }) => ({ actor: actor.name, role: actor.role }),
    }),
  ];
}
