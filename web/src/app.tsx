import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { Link } from './components/link.js';
import { Empty, Loading } from './components/states.js';
import { Toasts } from './components/toast.js';
import { errorText } from './format.js';
import { allows, type Me, type PageDef } from './page.js';
import { PAGES } from './pages/index.js';
import { matchPath, navigate, useLocation } from './router.js';

type Session = { state: 'checking' } | { state: 'out'; reason?: string } | { state: 'in'; me: Me };

/** The page a path opens, with its parameters: the first pattern of {@link PAGES} that matches. */
export function resolvePage(path: string, pages: readonly PageDef[] = PAGES): { page: PageDef; params: Record<string, string> } | undefined {
  for (const page of pages) {
    const params = matchPath(page.path, path);
    if (params) return { page, params };
  }
  return undefined;
}

/** The dashboard: the session check, the login form when logged out, else the shell around the current page. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  useEffect(() => {
    api
      .get<Me>('/api/v1/me')
      .then((me) => setSession({ state: 'in', me }))
      .catch(() => setSession({ state: 'out' }));
    // Any 401 from any call (an expired or revoked session) comes back to the login form, keeping the URL.
    const out = () => setSession((s) => (s.state === 'in' ? { state: 'out', reason: 'Your session has ended. Log in again.' } : s));
    window.addEventListener('palisade:unauthorised', out);
    return () => window.removeEventListener('palisade:unauthorised', out);
  }, []);
  return (
    <>
      {session.state === 'checking' ? <Loading label="Checking your session…" /> : session.state === 'out' ? <Login reason={session.reason} onIn={(me) => setSession({ state: 'in', me })} /> : <Shell me={session.me} onOut={() => setSession({ state: 'out' })} />}
      <Toasts />
    </>
  );
}

function Login(props: { reason?: string; onIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(props.reason);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Log in · Palisade';
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/v1/login', { username, password });
      const me = await api.get<Me>('/api/v1/me');
      if (window.location.pathname === '/login') navigate('/', { replace: true });
      props.onIn(me);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : errorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand brand-big">
          <Logo />
          <span>Palisade</span>
        </div>
        <h1 id="login-title">Log in</h1>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="form-field">
          <label for="login-username">Username</label>
          <input id="login-username" name="username" autocomplete="username" required autofocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </div>
        <div class="form-field">
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p class="hint">API tokens work too: send them as “Authorization: Bearer” to /api/v1.</p>
      </form>
    </main>
  );
}

function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
      <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="currentColor" />
      <path d="M11 16l3.5 3.5L21 13" stroke="#fff" stroke-width="2.5" fill="none" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

const ROLE_LABEL = { reader: 'Reader', contributor: 'Contributor', owner: 'Owner' } as const;

function Shell(props: { me: Me; onOut: () => void }) {
  const { me } = props;
  // `user:alice` -> `alice`; tokens keep their `token:` prefix, which says what they are.
  const who = me.actor.replace(/^user:/, '');
  const loc = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After an in-app navigation, focus moves to the new page (as a full page load would), for keyboard and screen reader users.
  // A layout effect: the focus has moved by the time the new page is painted, never a frame after it.
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [loc.path]);
  const logout = async () => {
    try {
      await api.post('/api/v1/logout');
    } catch {
      // Already logged out: the form is where this ends anyway.
    }
    navigate('/');
    props.onOut();
  };
  const nav = PAGES.filter((p) => p.nav && allows(me, p.minRole));
  const found = resolvePage(loc.path);
  const isCurrent = (p: PageDef) => (p.path === '/' ? loc.path === '/' : loc.path === p.path || loc.path.startsWith(`${p.path}/`));
  let content;
  if (!found) content = <NotFound />;
  else if (!allows(me, found.page.minRole))
    content = (
      <Empty title="Not available with your role">
        {found.page.title} needs the {ROLE_LABEL[found.page.minRole]} role; you are a {ROLE_LABEL[me.role]}.
      </Empty>
    );
  else {
    const Page = found.page.component;
    content = <Page key={found.page.path} me={me} params={found.params} query={loc.query} />;
  }
  return (
    <div id="shell" class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          <Logo />
          <span>Palisade</span>
        </Link>
        <div class="topbar-right">
          <span class="user" title={`Signed in as ${me.actor}`}>
            <span class="avatar" aria-hidden="true">
              {who.slice(0, 1).toUpperCase()}
            </span>
            <span class="user-name">{who}</span>
            <span class={`role role-${me.role}`}>{ROLE_LABEL[me.role]}</span>
          </span>
          <button type="button" class="btn btn-ghost" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <nav class="sidenav" aria-label="Main">
        <ul>
          {nav.map((p) => (
            <li key={p.path}>
              <Link href={p.path} class={isCurrent(p) ? 'current' : undefined} aria-current={isCurrent(p) ? 'page' : undefined}>
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1} class="content">
        {content}
      </main>
    </div>
  );
}

function NotFound() {
  useEffect(() => {
    document.title = 'Not found · Palisade';
  }, []);
  return (
    <Empty title="No such page">
      <Link href="/">Back to the overview</Link>
    </Empty>
  );
}
