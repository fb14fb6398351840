import type { ComponentChildren } from 'preact';
import { createPortal } from 'preact/compat';
import { useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves into it, Tab and Shift+Tab stay inside, Esc closes it, and focus returns to
 * whatever opened it. The page behind is inert while it is open.
 */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;
  // A layout effect: focus and the Esc handler are in place before the dialog is painted, not a frame later.
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const root = document.getElementById('shell');
    root?.setAttribute('inert', '');
    const first = box.current?.querySelector<HTMLElement>('[autofocus]') ?? box.current?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? box.current)?.focus();
    // Esc is heard on the whole document: a key pressed before focus has moved in still closes the dialog.
    const onEscape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      close.current();
    };
    document.addEventListener('keydown', onEscape);
    return () => {
      document.removeEventListener('keydown', onEscape);
      root?.removeAttribute('inert');
      opener?.focus?.();
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Tab' || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (!items.length) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  // Rendered beside the shell, not in it: the shell turns inert while the dialog is open.
  return createPortal(
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div ref={box} class={`modal${props.wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby="modal-title" tabIndex={-1} onKeyDown={onKeyDown}>
        <header class="modal-head">
          <h2 id="modal-title">{props.title}</h2>
          <button type="button" class="btn-icon" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        <div class="modal-body">{props.children}</div>
        {props.footer && <footer class="modal-foot">{props.footer}</footer>}
      </div>
    </div>,
    document.body,
  );
}

/** A dialog's footer for a form: Cancel, and the submit button of the form with id `form`. */
export function DialogButtons(props: { form: string; label: string; busy?: boolean; onCancel: () => void }) {
  return (
    <>
      <button type="button" class="btn" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" form={props.form} class="btn btn-primary" disabled={props.busy}>
        {props.busy ? 'Saving…' : props.label}
      </button>
    </>
  );
}
