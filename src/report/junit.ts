import type { ScanReport } from '../model/report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * `-o junit`: one test suite per check, one test case per resource it applied to (failed, skipped when
 * exempted, passed otherwise), and a suite for input errors so CI shows broken manifests as failures too.
 */
export function renderJunit(report: ScanReport): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const findingsBy = new Map<string, Map<string, typeof report.findings>>();
  for (const f of report.findings) {
    let m = findingsBy.get(f.checkId);
    if (!m) findingsBy.set(f.checkId, (m = new Map()));
    m.set(f.resourceId, [...(m.get(f.resourceId) ?? []), f]);
  }
  const exemptBy = new Map<string, Map<string, string>>();
  for (const f of report.exempted) {
    let m = exemptBy.get(f.checkId);
    if (!m) exemptBy.set(f.checkId, (m = new Map()));
    m.set(f.resourceId, f.exemption.reason ?? `exempted by ${f.exemption.source}`);
  }
  const suites: string[] = [];
  let total = 0;
  let failures = 0;
  let skipped = 0;
  const fileOf = new Map(report.resources.map((r) => [r.id, r.file]));
  for (const c of report.checks) {
    const applied = c.appliedTo ?? [...new Set([...(findingsBy.get(c.id)?.keys() ?? []), ...(exemptBy.get(c.id)?.keys() ?? [])])];
    if (applied.length === 0) continue;
    const cases: string[] = [];
    let sf = 0;
    let ss = 0;
    for (const rid of applied) {
      const fs = findingsBy.get(c.id)?.get(rid);
      const exempt = exemptBy.get(c.id)?.get(rid);
      const attrs = `name="${esc(rid)}" classname="${esc(`${c.id}.${c.slug}`)}" file="${esc(fileOf.get(rid) ?? '')}"`;
      if (fs && fs.length > 0) {
        sf++;
        const body = fs.map((f) => `${f.location.file}:${f.location.line} ${f.path}\n${f.message}\nRemediation: ${f.remediation}`).join('\n\n');
        cases.push(`    <testcase ${attrs}>\n      <failure type="${c.severity}" message="${esc(fs[0]!.message)}">${esc(body)}</failure>\n    </testcase>`);
      } else if (exempt) {
        ss++;
        cases.push(`    <testcase ${attrs}>\n      <skipped message="${esc(exempt)}"/>\n    </testcase>`);
      } else cases.push(`    <testcase ${attrs}/>`);
    }
    total += applied.length;
    failures += sf;
    skipped += ss;
    suites.push(`  <testsuite name="${esc(`${c.id} ${c.title}`)}" tests="${applied.length}" failures="${sf}" errors="0" skipped="${ss}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  if (report.errors.length > 0) {
    const cases = report.errors.map((e) => `    <testcase name="${esc(`${e.file}${e.line ? `:${e.line}` : ''}`)}" classname="input">\n      <error type="${e.code}" message="${esc(e.message)}"/>\n    </testcase>`);
    suites.push(`  <testsuite name="input errors" tests="${report.errors.length}" failures="0" errors="${report.errors.length}" skipped="0">\n${cases.join('\n')}\n  </testsuite>`);
    total += report.errors.length;
  }
  lines.push(`<testsuites name="palisade" tests="${total}" failures="${failures}" errors="${report.errors.length}" skipped="${skipped}">`);
  // The score travels as properties of a summary suite: JUnit has no other place for it.
  lines.push(
    `  <testsuite name="palisade summary" tests="0" failures="0" errors="0" skipped="0">\n    <properties>\n` +
      `      <property name="score" value="${report.score.value}"/>\n      <property name="score.formula" value="${esc(report.score.formula)}"/>\n` +
      `      <property name="resources" value="${report.summary.resources}"/>\n      <property name="exemption.issues" value="${report.summary.exemptionIssues}"/>\n` +
      `    </properties>\n  </testsuite>`,
  );
  lines.push(...suites);
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
