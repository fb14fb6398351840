import { useEffect, useState } from 'preact/hooks';

/** One message for the toast region. */
export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

const EVENT = 'palisade:toast';
let seq = 0;

/** Shows a short message in the toast region (announced to screen readers). */
export function toast(text: string, kind: Toast['kind'] = 'ok'): void {
  window.dispatchEvent(new CustomEvent<Toast>(EVENT, { detail: { id: ++seq, kind, text } }));
}

/** The live region where toasts appear; mounted once by the shell. */
export function Toasts() {
  const [items, setItems] = useState<Toast[]>([]);
  useEffect(() => {
    const on = (e: Event) => {
      const t = (e as CustomEvent<Toast>).detail;
      setItems((xs) => [...xs.slice(-3), t]);
      window.setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), t.kind === 'error' ? 8000 : 4000);
    };
    window.addEventListener(EVENT, on);
    return () => window.removeEventListener(EVENT, on);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite" aria-atomic="false">
      {items.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
