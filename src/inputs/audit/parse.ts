import { auditEventSchema, type AuditFormat, type SourcedAuditEvent } from '../../model/audit.js';
import type { InputError } from '../../model/errors.js';
import { fastAuditEvent } from './fast-event.js';
import { AUDIT_LOG_FORMATS, type Unwrapped } from './formats/index.js';

/** Receives what a parser finds, as it finds it (events are not held in memory by the parser). */
export interface AuditSink {
  event(e: SourcedAuditEvent): void;
  error(e: InputError): void;
  /** Records of the log stream that are not audit events (other AKS categories, non-audit CloudWatch streams). */
  skipped(count: number): void;
}

/** Everything read from one text, for callers that want it all at once. */
export interface AuditParseResult {
  events: SourcedAuditEvent[];
  errors: InputError[];
  skipped: number;
}

/** A CloudWatch Logs export to S3 writes `<ISO timestamp> <message>` per line. */
const TIMESTAMP_PREFIX = /^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)\s+(\{.*\})\s*$/;

/** A document held in memory before parsing is capped, so a file without newlines cannot take all memory. */
const MAX_DOCUMENT_CHARS = 512 * 1024 * 1024;

const FORMAT_NAMES = AUDIT_LOG_FORMATS.map((f) => f.id).join(', ');

/**
 * Parses audit logs line by line. A file is either JSON lines (one value per line: a native event, a GKE
 * LogEntry, a CloudWatch event, an AKS record, or a `<timestamp> <event>` line of a CloudWatch export) or one
 * JSON document spread over many lines (an EventList, a gcloud array, a filter-log-events answer, an AKS
 * `records` document). The first non-empty line decides; a document that then fails to parse is re-read as
 * JSON lines, so each bad line is reported on its own and never hides the good ones.
 */
export class AuditLogParser {
  private mode: 'undecided' | 'lines' | 'document' = 'undecided';
  private lineNo = 0;
  private docStart = 0;
  private doc: string[] = [];
  private docChars = 0;

  constructor(
    private readonly file: string,
    private readonly sink: AuditSink,
  ) {}

  /** Feeds one line (without its newline). */
  pushLine(raw: string): void {
    this.lineNo++;
    const line = this.lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (this.mode === 'document') {
      this.bufferDocumentLine(line);
      return;
    }
    const t = line.trim();
    if (t === '') return;
    if (this.mode === 'undecided') {
      if (t.startsWith('[') || (t.startsWith('{') && !parsesAsJson(t))) {
        this.mode = 'document';
        this.docStart = this.lineNo;
        this.bufferDocumentLine(line);
        return;
      }
      this.mode = 'lines';
    }
    this.handleLine(t, this.lineNo);
  }

  /** Ends the input: parses a buffered document. */
  end(): void {
    if (this.mode !== 'document') return;
    const lines = this.doc;
    this.doc = [];
    let value: unknown;
    try {
      value = JSON.parse(lines.join('\n'));
    } catch (e) {
      if (this.docChars > MAX_DOCUMENT_CHARS) {
        this.error('E_DOC_TOO_LARGE', `JSON document larger than ${MAX_DOCUMENT_CHARS} characters`, this.docStart);
        return;
      }
      // Not one document: report it line by line, so good lines still count.
      if (lines.length === 1) {
        this.error('E_JSON_SYNTAX', `invalid JSON: ${(e as Error).message}`, this.docStart);
        return;
      }
      lines.forEach((l, i) => {
        const t = l.trim();
        if (t !== '') this.handleLine(t, this.docStart + i);
      });
      return;
    }
    this.handleValue(value, this.docStart);
  }

  private bufferDocumentLine(line: string): void {
    this.docChars += line.length + 1;
    if (this.docChars <= MAX_DOCUMENT_CHARS) this.doc.push(line);
  }

  private handleLine(t: string, line: number): void {
    if (t.startsWith('{') || t.startsWith('[')) {
      let value: unknown;
      try {
        value = JSON.parse(t);
      } catch (e) {
        this.error('E_JSON_SYNTAX', `invalid JSON: ${(e as Error).message}`, line);
        return;
      }
      this.handleValue(value, line);
      return;
    }
    const m = TIMESTAMP_PREFIX.exec(t);
    if (m) {
      let value: unknown;
      try {
        value = JSON.parse(m[2]!);
      } catch (e) {
        this.error('E_JSON_SYNTAX', `invalid JSON after the timestamp: ${(e as Error).message}`, line);
        return;
      }
      this.accept({ event: value }, 'eks', line);
      return;
    }
    this.error('E_JSON_SYNTAX', `not JSON: ${t.length > 60 ? `${t.slice(0, 60)}...` : t}`, line);
  }

  private handleValue(value: unknown, line: number): void {
    const format = AUDIT_LOG_FORMATS.find((f) => f.detect(value));
    if (!format) {
      this.error('E_AUDIT_EVENT', `not recognised as a Kubernetes audit event in any supported format (${FORMAT_NAMES})`, line);
      return;
    }
    let skipped = 0;
    for (const u of format.unwrap(value)) {
      if (u.skipped) skipped++;
      else this.accept(u, u.format ?? format.id, line);
    }
    if (skipped > 0) this.sink.skipped(skipped);
  }

  private accept(u: Unwrapped, format: AuditFormat, line: number): void {
    if (u.error !== undefined) {
      this.error('E_AUDIT_EVENT', u.error, line, u.field);
      return;
    }
    // Well-formed events skip zod (same result, a fraction of the cost); anything else gets zod's verdict and message.
    const fast = fastAuditEvent(u.event);
    if (fast !== undefined) {
      this.sink.event({ event: fast, file: this.file, line, format });
      return;
    }
    const parsed = auditEventSchema.safeParse(u.event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      const field = [u.field, path].filter((s) => s !== undefined && s !== '').join('.');
      this.error('E_AUDIT_EVENT', `not a valid ${format === 'kubernetes' ? '' : `${format} `}audit event: ${path || 'event'}: ${issue.message}`, line, field || undefined);
      return;
    }
    this.sink.event({ event: parsed.data, file: this.file, line, format });
  }

  private error(code: InputError['code'], message: string, line: number, field?: string): void {
    this.sink.error({ code, message, file: this.file, line, ...(field ? { field } : {}) });
  }
}

function parsesAsJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Parses a whole text (tests, small inputs, the conformance harness). */
export function parseAuditText(text: string, file: string): AuditParseResult {
  const out: AuditParseResult = { events: [], errors: [], skipped: 0 };
  const parser = new AuditLogParser(file, {
    event: (e) => out.events.push(e),
    error: (e) => out.errors.push(e),
    skipped: (n) => (out.skipped += n),
  });
  for (const line of text.split(/\r?\n/)) parser.pushLine(line);
  parser.end();
  return out;
}
