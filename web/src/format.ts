/** Display helpers shared by the pages. */

/** `2026-01-02 13:04` in the browser's time zone; an em dash for nothing. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** `3 h ago`, `in 2 d`: for lists where the exact time is in the title. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const [n, unit] = abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86_400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86_400), 'd'];
  return s >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** `sha256:1a2b3c4d5e6f` (12 hex digits), enough to tell images apart on screen. */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return '—';
  const m = /^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/.exec(digest);
  return m ? `${m[1] ?? ''}${m[2]}` : digest;
}

/** 1234 -> `1,234`. */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** An API error (or anything thrown) as one line for the screen. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
