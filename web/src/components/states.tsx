import type { ComponentChildren } from 'preact';
import { errorText } from '../format.js';

/** A loading placeholder that screen readers announce. */
export function Loading(props: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}

/** Nothing to show, said plainly, with what to do about it. */
export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{props.title}</p>
      {props.children && <p class="state-hint">{props.children}</p>}
    </div>
  );
}

/** A failed load, with the server's message and a retry. */
export function ErrorState(props: { error: unknown; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">Could not load this</p>
      <p class="state-hint">{errorText(props.error)}</p>
      {props.onRetry && (
        <button type="button" class="btn" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * The usual trio around a load: the spinner, the error, the empty state, else the content. `missing` (a 404)
 * renders the empty state, so a page survives an endpoint the server does not have.
 */
export function Async<T>(props: {
  state: { data?: T; error?: unknown; loading: boolean; missing: boolean; reload(): void };
  empty?: (data: T | undefined) => boolean;
  emptyTitle?: string;
  emptyHint?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { state } = props;
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (state.loading && state.data === undefined) return <Loading />;
  if (state.missing || state.data === undefined || props.empty?.(state.data)) return <Empty title={props.emptyTitle ?? 'Nothing here yet'}>{props.emptyHint}</Empty>;
  return <>{props.children(state.data)}</>;
}

/** A form's error, announced when it appears; nothing when there is none. */
export function FormError(props: { error?: string }) {
  return props.error ? (
    <p class="form-error" role="alert">
      {props.error}
    </p>
  ) : null;
}
