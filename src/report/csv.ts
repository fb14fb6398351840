/**
 * CSV as RFC 4180 writes it, safe to open in a spreadsheet: fields with a comma, a quote or a line break are
 * quoted (quotes doubled), records end in CRLF, and a cell a spreadsheet would read as a formula is defused.
 * Pure: the caller streams the lines wherever it wants, one record at a time.
 */

/** One column of an export: its header and how to read its value from a row. */
export interface CsvColumn<T> {
  header: string;
  value(row: T): unknown;
}

/** The end of every record (RFC 4180 section 2.1). */
export const CSV_EOL = '\r\n';

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): `=`, `+`, `-`, `@`, and a
 * leading tab or carriage return, which some applications strip before looking at the next character.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The text of one value: empty for null and undefined, ISO-8601 for dates, JSON for objects, `a; b` for arrays of text. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('; ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * One field, defused and quoted as needed. A value starting with a formula character gets a leading apostrophe,
 * which spreadsheets show as text and do not evaluate; numbers are written as they are (a negative number is
 * data, not a formula).
 */
export function csvField(value: unknown): string {
  let s = text(value);
  if (typeof value !== 'number' && typeof value !== 'bigint' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record: the fields joined by commas, ended by CRLF. */
export function csvRecord(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + CSV_EOL;
}

/** The header record of the columns. */
export function csvHeader<T>(columns: ReadonlyArray<CsvColumn<T>>): string {
  return csvRecord(columns.map((c) => c.header));
}

/** The record of one row under the columns. */
export function csvRow<T>(columns: ReadonlyArray<CsvColumn<T>>, row: T): string {
  return csvRecord(columns.map((c) => c.value(row)));
}

/**
 * The whole document, header first, as text chunks: one chunk per page of rows, so a caller that pages
 * through a table never holds more than a page of it.
 */
export async function* csvChunks<T>(columns: ReadonlyArray<CsvColumn<T>>, pages: AsyncIterable<readonly T[]>): AsyncGenerator<string> {
  yield csvHeader(columns);
  for await (const rows of pages) if (rows.length) yield rows.map((r) => csvRow(columns, r)).join('');
}
