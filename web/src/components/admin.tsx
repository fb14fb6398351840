/**
 * Building blocks of the administration pages (compliance, connectors, users) that the shared components do
 * not have yet: copy buttons and code blocks, tone pills, a pass/fail bar, wizard
 * steps, labelled fields, confirmation and form dialogs, and a card around one API list.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { useAction, type Loaded } from '../hooks.js';
import { Card } from './layout.js';
import { Modal } from './modal.js';
import { Async, FormError } from './states.js';
import { DataTable, type Column, type Paging } from './table.js';
import './admin.css';


/** The value of a call whose 404 means "there is none", else the error. */
export async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}


/** The tone of a {@link Pill}. */
export type Tone = 'ok' | 'bad' | 'warn' | 'neutral';

const TONE_CLASS: Record<Tone, string> = { ok: 'status-ok', bad: 'status-error', warn: 'status-running', neutral: '' };

/** A pill whose colour follows a pass/fail/warning tone; the text always says it too. */
export function Pill(props: { tone: Tone; children: ComponentChildren }) {
  return <span class={`pill ${TONE_CLASS[props.tone]}`}>{props.children}</span>;
}

/** Pass (green) and fail (red) shares of one bar, the counts as its accessible name. */
export function PassFailBar(props: { passed: number; failed: number; label?: string }) {
  const total = props.passed + props.failed;
  const pct = total === 0 ? 0 : Math.round((props.passed / total) * 100);
  const text = props.label ?? `${props.passed} passed, ${props.failed} failed`;
  return (
    <span class={`passfail-bar${total === 0 ? ' passfail-none' : ''}`} role="img" aria-label={text} title={text}>
      <span class="passfail-pass" style={{ width: `${pct}%` }} />
    </span>
  );
}

/** A button that copies `text` to the clipboard and says so. */
export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // No clipboard access (plain http, permission): the text beside the button can still be selected.
      return;
    }
    setDone(true);
    window.setTimeout(() => setDone(false), 2000);
  };
  return (
    <button type="button" class="btn" onClick={copy}>
      {done ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}

/** A block of YAML or shell text, focusable so it can be scrolled from the keyboard, with a copy button. */
export function CodeBlock(props: { text: string; label: string; copyLabel?: string }) {
  return (
    <figure class="code-block">
      <figcaption>
        <span>{props.label}</span> <CopyButton text={props.text} label={props.copyLabel ?? `Copy ${props.label.toLowerCase()}`} />
      </figcaption>
      <pre tabIndex={0} aria-label={props.label}>
        <code>{props.text}</code>
      </pre>
    </figure>
  );
}

/** The steps of a wizard, the current one marked for assistive technology. */
export function WizardSteps(props: { steps: string[]; current: number }) {
  return (
    <ol class="wizard-steps" aria-label="Steps">
      {props.steps.map((s, i) => (
        <li key={s} aria-current={i + 1 === props.current ? 'step' : undefined} class={i + 1 < props.current ? 'done' : i + 1 === props.current ? 'current' : undefined}>
          <span class="wizard-number">{i + 1}</span> {s}
        </li>
      ))}
    </ol>
  );
}

/** A labelled select over fixed options. */
export function SelectInput<T extends string>(props: { id: string; label: string; value: T; options: ReadonlyArray<{ value: T; label: string }>; onChange: (v: T) => void }) {
  return (
    <div class="form-field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as T)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Radio buttons in a fieldset. */
export function Choice<T extends string>(props: { legend: string; name: string; value: T; options: ReadonlyArray<{ id: T; label: string }>; onChange: (v: T) => void }) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label key={o.id} class="radio">
          <input type="radio" name={props.name} value={o.id} checked={props.value === o.id} onChange={() => props.onChange(o.id)} /> {o.label}
        </label>
      ))}
    </fieldset>
  );
}

/** A confirmation dialog for a destructive action: it runs on Confirm and its error stays in the dialog. */
export function ConfirmDialog(props: { title: string; onClose: () => void; onConfirm: () => Promise<unknown>; confirmLabel: string; children?: ComponentChildren }) {
  const action = useAction();
  const confirm = async () => {
    if ((await action.run(props.onConfirm)).ok) props.onClose();
  };
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose} autofocus>
            Cancel
          </button>
          <button type="button" class="btn btn-danger" disabled={action.busy} onClick={confirm}>
            {props.confirmLabel}
          </button>
        </>
      }
    >
      {props.children}
      <FormError error={action.error} />
    </Modal>
  );
}

/**
 * A form in a modal dialog: `onSubmit` throws to keep the dialog open with the error shown; on success it
 * closes the dialog itself (or opens the next one).
 */
export function FormDialog(props: { title: string; submitLabel: string; onClose: () => void; onSubmit: () => Promise<unknown>; children: ComponentChildren; disabled?: boolean }) {
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(props.onSubmit);
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <form onSubmit={submit}>
        {props.children}
        <FormError error={action.error} />
        <div class="btn-row">
          <button type="submit" class="btn btn-primary" disabled={action.busy || props.disabled}>
            {props.submitLabel}
          </button>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A card holding one API list as a table, with the loading, error and empty states, and what goes with it. */
export function TableCard<T>(props: {
  title?: string;
  id?: string;
  actions?: ComponentChildren;
  state: Loaded<{ items: T[] }>;
  emptyTitle: string;
  emptyHint?: ComponentChildren;
  label: string;
  rowKey: (row: T) => string;
  columns: Column<T>[];
  paging?: Paging;
  /** Above the table: filters. */
  toolbar?: ComponentChildren;
  /** After it: the card's dialogs. */
  children?: ComponentChildren;
}) {
  return (
    <Card title={props.title} id={props.id} actions={props.actions}>
      {props.toolbar}
      <Async state={props.state} empty={(d) => !d?.items.length} emptyTitle={props.emptyTitle} emptyHint={props.emptyHint}>
        {({ items }) => <DataTable label={props.label} rows={items} rowKey={props.rowKey} columns={props.columns} paging={props.paging} />}
      </Async>
      {props.children}
    </Card>
  );
}
