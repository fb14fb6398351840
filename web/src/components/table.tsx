import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { SeverityBadge, severityRank } from './badges.js';
import { Link } from './link.js';

/** One column of a {@link DataTable}. */
export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** The value sorted on; no sort button without it. */
  sort?: (row: T) => string | number;
  align?: 'left' | 'right' | 'center';
  /** A CSS width (`8rem`, `30%`). */
  width?: string;
}

/** Paging of a {@link DataTable}, driven by the API's `limit` and `cursor` (see usePaged). */
export interface Paging {
  pageIndex: number;
  pageSize: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev(): void;
  onNext(): void;
}

type Dir = 'asc' | 'desc';

/**
 * A dense, sortable table. Sorting orders the rows of the page the API answered (the API pages in its own
 * order: most severe, exposed and running first); paging asks the API for the next or previous page.
 */
export function DataTable<T>(props: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  paging?: Paging;
  rowClass?: (row: T) => string | undefined;
  caption?: ComponentChildren;
}) {
  const [sort, setSort] = useState<{ key: string; dir: Dir } | undefined>(undefined);
  const rows = useMemo(() => {
    const col = sort && props.columns.find((c) => c.key === sort.key);
    if (!col?.sort) return props.rows;
    const get = col.sort;
    const sign = sort?.dir === 'asc' ? 1 : -1;
    return [...props.rows].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sign;
    });
  }, [props.rows, props.columns, sort]);
  const toggle = (key: string) => setSort((s) => (s?.key !== key ? { key, dir: 'asc' } : s.dir === 'asc' ? { key, dir: 'desc' } : undefined));
  const p = props.paging;
  return (
    <div class="table-wrap">
      <table class="data-table" aria-label={props.label}>
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((c) => {
              const dir = sort?.key === c.key ? sort.dir : undefined;
              return (
                <th key={c.key} scope="col" class={c.align ? `align-${c.align}` : undefined} style={c.width ? { width: c.width } : undefined} aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : c.sort ? 'none' : undefined}>
                  {c.sort ? (
                    <button type="button" class="th-sort" onClick={() => toggle(c.key)}>
                      {c.label}
                      <span class="sort-mark" aria-hidden="true">
                        {dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={props.rowKey(r)} class={props.rowClass?.(r)}>
              {props.columns.map((c) => (
                <td key={c.key} class={c.align ? `align-${c.align}` : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {p && (p.hasPrev || p.hasNext) && (
        <nav class="pager" aria-label={`${props.label} pages`}>
          <button type="button" class="btn" disabled={!p.hasPrev} onClick={p.onPrev}>
            ‹ Previous
          </button>
          <span class="muted">
            Page {p.pageIndex + 1} · {p.pageSize} per page
          </span>
          <button type="button" class="btn" disabled={!p.hasNext} onClick={p.onNext}>
            Next ›
          </button>
        </nav>
      )}
    </div>
  );
}

/** Pages a list the API answered whole (an image's vulnerabilities), with the same pager as API paging. */
export function useClientPages<T>(rows: T[], pageSize: number): { rows: T[]; paging: Paging } {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const at = Math.min(page, pages - 1);
  return {
    rows: rows.slice(at * pageSize, (at + 1) * pageSize),
    paging: { pageIndex: at, pageSize, hasPrev: at > 0, hasNext: at < pages - 1, onPrev: () => setPage(at - 1), onNext: () => setPage(at + 1) },
  };
}

/** The paging props of a {@link DataTable} from a cursor-paged load (usePaged). */
export function apiPaging(p: { pageIndex: number; hasPrev: boolean; hasNext: boolean; prevPage(): void; nextPage(): void }, pageSize: number): Paging {
  return { pageIndex: p.pageIndex, pageSize, hasPrev: p.hasPrev, hasNext: p.hasNext, onPrev: p.prevPage, onNext: p.nextPage };
}

/** The severity column of a list: a badge, sorted most severe first. */
export function severityColumn<T>(get: (row: T) => string): Column<T> {
  return { key: 'severity', label: 'Severity', render: (r) => <SeverityBadge severity={get(r)} />, sort: (r) => severityRank(get(r)), width: '7rem' };
}

/** A row's main cell: the link to its detail, and a muted second line. */
export function TitleCell(props: { href: string; title: ComponentChildren; sub?: ComponentChildren; subMono?: boolean }) {
  return (
    <>
      <Link href={props.href} class="cell-title">
        {props.title}
      </Link>
      {props.sub !== undefined && props.sub !== null && props.sub !== '' && <span class={props.subMono ? 'cell-sub mono' : 'cell-sub'}>{props.sub}</span>}
    </>
  );
}
