import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useConnectors } from '../hooks.js';
import { navigate, withQuery } from '../router.js';

let uid = 0;
/** A stable id for a label's `for` within one component instance. */
function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++uid}`);
  return id;
}

/** A row of labelled filter controls above a table. */
export function FiltersBar(props: { label: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="filters" role="search" aria-label={props.label}>
      <div class="filters-fields">{props.children}</div>
      {props.actions && <div class="filters-actions">{props.actions}</div>}
    </div>
  );
}

/** A labelled select; `''` is the "any" option. */
export function SelectField(props: { label: string; value: string; options: ReadonlyArray<string | { value: string; label: string }>; onChange: (v: string) => void; any?: string }) {
  const id = useId('sel');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {props.any !== undefined && <option value="">{props.any}</option>}
        {props.options.map((o) => (typeof o === 'string' ? <option key={o} value={o}>{o}</option> : <option key={o.value} value={o.value}>{o.label}</option>))}
      </select>
    </div>
  );
}

/** A labelled search box that reports its value after a short pause in typing. */
export function SearchField(props: { label: string; value: string; onChange: (v: string) => void; placeholder?: string }) {
  const id = useId('q');
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (text === props.value) return;
    const t = window.setTimeout(() => props.onChange(text), 300);
    return () => window.clearTimeout(t);
  }, [text]);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input id={id} type="search" value={text} placeholder={props.placeholder} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
    </div>
  );
}

/** A labelled checkbox filter. */
export function CheckField(props: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId('chk');
  return (
    <div class="field field-check">
      <input id={id} type="checkbox" checked={props.checked} onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)} />
      <label for={id}>{props.label}</label>
    </div>
  );
}

/**
 * Filters kept in the URL's query string, so they survive a reload, can be shared, and the back button undoes
 * them: read with `get`, changed with `set` (which replaces the history entry).
 */
export function useQueryFilters(path: string, query: URLSearchParams) {
  const get = (k: string) => query.get(k) ?? '';
  const set = (changes: Record<string, string | boolean | undefined>) => {
    const next: Record<string, string | boolean | undefined> = Object.fromEntries(query.entries());
    Object.assign(next, changes);
    navigate(withQuery(path, next), { replace: true });
  };
  return { get, set };
}

/** A labelled text field for forms. */
export function TextField(props: { label: string; value: string; onInput: (v: string) => void; required?: boolean; type?: string; hint?: string; autofocus?: boolean; multiline?: boolean; name?: string; autocomplete?: string }) {
  const id = useId('f');
  const hint = props.hint ? `${id}-hint` : undefined;
  const onInput = (e: Event) => props.onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value);
  return (
    <div class="form-field">
      <label for={id}>
        {props.label}
        {props.required && <span aria-hidden="true"> *</span>}
      </label>
      {props.multiline ? (
        <textarea id={id} name={props.name} value={props.value} required={props.required} aria-describedby={hint} rows={3} onInput={onInput} autofocus={props.autofocus} />
      ) : (
        <input id={id} name={props.name} type={props.type ?? 'text'} value={props.value} required={props.required} aria-describedby={hint} onInput={onInput} autofocus={props.autofocus} autocomplete={props.autocomplete} />
      )}
      {props.hint && (
        <p id={hint} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** A connector filter listing the connectors the user may read. */
export function ConnectorField(props: { value: string; onChange: (v: string) => void }) {
  const connectors = useConnectors();
  return <SelectField label="Connector" value={props.value} any="All connectors" options={connectors.map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }))} onChange={props.onChange} />;
}
