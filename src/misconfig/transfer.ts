/**
 * Results of an evaluation as they cross threads (see Evaluation.evaluateForExport and importResults in
 * engine.ts): plain data that survives `postMessage`, laid out in columns (typed arrays
 * and string lists) rather than as one object per finding. The receiving thread, which is the busiest,
 * rebuilds the findings several times faster than it would deserialize them as objects.
 */
import type { InputError } from '../model/errors.js';
import type { ExemptedFinding, ExemptionIssue, Finding, PatchOperation, SuggestedFix } from '../model/finding.js';
import type { FieldPath } from '../model/path.js';
import type { Exemption } from './exemptions.js';

/** What follows for one resource. */
export const MARK = {
  /** Its whole record: a code per check of its run, its annotation exemptions and issues. */
  RECORD: 0,
  /** Nothing: it waits for the whole input (it names an owner). */
  WAITS: 1,
} as const;

/** An annotation exemption without its resource (the resource it is written on, at the receiving end). */
export type ExportedExemption = Omit<Exemption, 'resource'>;

/** See the module comment. Resources appear in the order the export was made in. */
export interface ExportedResults {
  /** One mark per resource (see MARK). */
  marks: Uint8Array;
  /** One code per slot written (see SLOT_CODE in engine.ts). */
  codes: Uint8Array;
  /** Per DATA slot, in order: its number of findings, or -1 when the check crashed; its exempted findings. */
  slotFindings: Int32Array;
  slotExempted: Int32Array;
  crashes: InputError[];
  /** Per finding (each slot's findings, then its exempted ones), in order: */
  messages: string[];
  /** index into `texts` */
  paths: Int32Array;
  lines: Int32Array;
  columns: Int32Array;
  /** index into `texts`, -1 for none */
  containers: Int32Array;
  /** the covering exemption: index into the resource's annotation exemptions, or -1 - index into the config ones */
  exemptions: Int32Array;
  /** index into the fix columns, -1 for none, -2 - i for `otherFixes[i]` */
  fixes: Int32Array;
  /** Strings that repeat (paths, container names). */
  texts: string[];
  /** Fixes: description, and their operations from `fixOps[i]` to `fixOps[i + 1]`. */
  fixDescriptions: string[];
  fixOps: Int32Array;
  /** Per operation: 0 add, 1 replace, 2 remove; its path (index into `fieldPaths`); its value. */
  opKinds: Uint8Array;
  opPaths: Int32Array;
  opValues: unknown[];
  fieldPaths: FieldPath[];
  /** Fixes of another shape, sent as they are. */
  otherFixes: SuggestedFix[];
  /** RECORD: annotation exemptions and exemption issues, by resource position. */
  locals: Array<[number, ExportedExemption[]]>;
  issues: Array<[number, ExemptionIssue[]]>;
  /** Indexes of the config exemptions that covered a finding. */
  configUsed: number[];
}

/** A slot with data: findings (split by whether an exemption covers them), or a crash. */
export type DataSlot = { findings: Finding[]; exempted: ExemptedFinding[] } | { crash: InputError };

const OP_KINDS = ['add', 'replace', 'remove'] as const;

const sameKeys = (o: object, keys: readonly string[]) => {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
};

/** A fix made of `setField`/`removeField`-shaped operations: one the columns rebuild exactly. */
function isPlainFix(fix: SuggestedFix): boolean {
  if (!sameKeys(fix, ['description', 'operations']) || typeof fix.description !== 'string' || !Array.isArray(fix.operations)) return false;
  return fix.operations.every((op) =>
    op !== null && typeof op === 'object' && Array.isArray(op.path) &&
    (op.op === 'remove' ? sameKeys(op, ['op', 'path']) : (op.op === 'add' || op.op === 'replace') && sameKeys(op, ['op', 'path', 'value'])),
  );
}

/** Writes {@link ExportedResults}. */
export class ResultWriter {
  private readonly marks: number[] = [];
  private readonly codes: number[] = [];
  private readonly slotFindings: number[] = [];
  private readonly slotExempted: number[] = [];
  private readonly crashes: InputError[] = [];
  private readonly messages: string[] = [];
  private readonly paths: number[] = [];
  private readonly lines: number[] = [];
  private readonly columns: number[] = [];
  private readonly containers: number[] = [];
  private readonly exemptions: number[] = [];
  private readonly fixes: number[] = [];
  private readonly texts: string[] = [];
  private readonly textIds = new Map<string, number>();
  private readonly fixDescriptions: string[] = [];
  private readonly fixOps: number[] = [0];
  private readonly opKinds: number[] = [];
  private readonly opPaths: number[] = [];
  private readonly opValues: unknown[] = [];
  private readonly fieldPaths: FieldPath[] = [];
  private readonly fieldPathIds = new Map<FieldPath, number>();
  private readonly otherFixes: SuggestedFix[] = [];
  private readonly locals: Array<[number, ExportedExemption[]]> = [];
  private readonly issues: Array<[number, ExemptionIssue[]]> = [];

  /** Starts the next resource; returns its position. */
  mark(m: number): number {
    return this.marks.push(m) - 1;
  }

  code(c: number): void {
    this.codes.push(c);
  }

  /** A DATA slot; `exemption` names the exemption covering each exempted finding (see `exemptions`). */
  data(slot: DataSlot, exemption: (f: ExemptedFinding) => number): void {
    if ('crash' in slot) {
      this.slotFindings.push(-1);
      this.slotExempted.push(0);
      this.crashes.push(slot.crash);
      return;
    }
    this.slotFindings.push(slot.findings.length);
    this.slotExempted.push(slot.exempted.length);
    for (const f of slot.findings) this.finding(f, 0);
    for (const f of slot.exempted) this.finding(f, exemption(f));
  }

  /** RECORD: the annotation exemptions and issues of the resource at `position`. */
  annotations(position: number, local: readonly Exemption[], issues: readonly ExemptionIssue[]): void {
    if (local.length > 0) this.locals.push([position, local.map(({ resource: _own, ...x }) => x)]);
    if (issues.length > 0) this.issues.push([position, [...issues]]);
  }

  private text(s: string): number {
    let id = this.textIds.get(s);
    if (id === undefined) {
      id = this.texts.push(s) - 1;
      this.textIds.set(s, id);
    }
    return id;
  }

  private finding(f: Finding, exemption: number): void {
    this.messages.push(f.message);
    this.paths.push(this.text(f.path));
    this.lines.push(f.location.line);
    this.columns.push(f.location.column);
    this.containers.push(f.container === undefined ? -1 : this.text(f.container));
    this.exemptions.push(exemption);
    this.fixes.push(f.fix === undefined ? -1 : this.fix(f.fix));
  }

  private fix(fix: SuggestedFix): number {
    if (!isPlainFix(fix)) return -2 - (this.otherFixes.push(fix) - 1);
    for (const op of fix.operations) {
      this.opKinds.push(OP_KINDS.indexOf(op.op));
      // Paths are shared arrays (see PathTexts in engine.ts): one entry each.
      let id = this.fieldPathIds.get(op.path);
      if (id === undefined) {
        id = this.fieldPaths.push(op.path) - 1;
        this.fieldPathIds.set(op.path, id);
      }
      this.opPaths.push(id);
      this.opValues.push(op.op === 'remove' ? undefined : op.value);
    }
    this.fixOps.push(this.opKinds.length);
    return this.fixDescriptions.push(fix.description) - 1;
  }

  done(configUsed: number[]): ExportedResults {
    return {
      marks: Uint8Array.from(this.marks),
      codes: Uint8Array.from(this.codes),
      slotFindings: Int32Array.from(this.slotFindings),
      slotExempted: Int32Array.from(this.slotExempted),
      crashes: this.crashes,
      messages: this.messages,
      paths: Int32Array.from(this.paths),
      lines: Int32Array.from(this.lines),
      columns: Int32Array.from(this.columns),
      containers: Int32Array.from(this.containers),
      exemptions: Int32Array.from(this.exemptions),
      fixes: Int32Array.from(this.fixes),
      texts: this.texts,
      fixDescriptions: this.fixDescriptions,
      fixOps: Int32Array.from(this.fixOps),
      opKinds: Uint8Array.from(this.opKinds),
      opPaths: Int32Array.from(this.opPaths),
      opValues: this.opValues,
      fieldPaths: this.fieldPaths,
      otherFixes: this.otherFixes,
      locals: this.locals,
      issues: this.issues,
      configUsed,
    };
  }
}

/** Rebuilds a finding from its columns: message, path text, line, column, container and fix. */
export type FindingBuilder = (message: string, path: string, line: number, column: number, container: string | undefined, fix: SuggestedFix | undefined) => Finding;

/** Reads {@link ExportedResults} in the order they were written. */
export class ResultReader {
  private mark = 0;
  private code = 0;
  private dataSlot = 0;
  private crash = 0;
  private finding = 0;
  private readonly locals: Map<number, ExportedExemption[]>;
  private readonly issues: Map<number, ExemptionIssue[]>;

  constructor(
    readonly x: ExportedResults,
    /** Turns path texts and fix paths into the receiver's shared strings and arrays. */
    private readonly pathText: (t: string) => string,
    private readonly fieldPath: (p: FieldPath) => FieldPath,
  ) {
    this.locals = new Map(x.locals);
    this.issues = new Map(x.issues);
  }

  get resources(): number {
    return this.x.marks.length;
  }

  nextMark(): number {
    return this.x.marks[this.mark++]!;
  }

  nextCode(): number {
    return this.x.codes[this.code++]!;
  }

  /** The annotation exemptions and issues of the RECORD at `position`. */
  annotations(position: number): { local: ExportedExemption[]; issues: ExemptionIssue[] } {
    return { local: this.locals.get(position) ?? [], issues: this.issues.get(position) ?? [] };
  }

  /** The next DATA slot; `exemption` resolves the index written for an exempted finding. */
  nextData(build: FindingBuilder, exemption: (index: number) => Exemption, exempt: (f: Finding, ex: Exemption) => ExemptedFinding): DataSlot {
    const x = this.x;
    const count = x.slotFindings[this.dataSlot]!;
    const exemptedCount = x.slotExempted[this.dataSlot]!;
    this.dataSlot++;
    if (count === -1) return { crash: x.crashes[this.crash++]! };
    const findings: Finding[] = [];
    const exempted: ExemptedFinding[] = [];
    for (let j = 0; j < count + exemptedCount; j++) {
      const n = this.finding++;
      const container = x.containers[n]!;
      const finding = build(x.messages[n]!, this.pathText(x.texts[x.paths[n]!]!), x.lines[n]!, x.columns[n]!, container === -1 ? undefined : x.texts[container], this.fix(n));
      if (j < count) findings.push(finding);
      else exempted.push(exempt(finding, exemption(x.exemptions[n]!)));
    }
    return { findings, exempted };
  }

  private fix(n: number): SuggestedFix | undefined {
    const x = this.x;
    const f = x.fixes[n]!;
    if (f === -1) return undefined;
    if (f < -1) return x.otherFixes[-2 - f]!;
    const operations: PatchOperation[] = [];
    for (let o = x.fixOps[f]!; o < x.fixOps[f + 1]!; o++) {
      const op = OP_KINDS[x.opKinds[o]!]!;
      const path = this.fieldPath(x.fieldPaths[x.opPaths[o]!]!);
      operations.push(op === 'remove' ? { op, path } : { op, path, value: x.opValues[o] });
    }
    return { description: x.fixDescriptions[f]!, operations };
  }
}
