/** The severities of findings, vulnerabilities and alerts, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Sort key of a severity: critical 0 ... info 4, anything unknown last. */
export function severityRank(s: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(s.toLowerCase());
  return i < 0 ? SEVERITIES.length : i;
}

/** A severity as a coloured badge; the word is always written, so colour is never the only cue. */
export function SeverityBadge(props: { severity: string }) {
  const s = props.severity.toLowerCase();
  return <span class={`badge sev-${(SEVERITIES as readonly string[]).includes(s) ? s : 'unknown'}`}>{s}</span>;
}

/** A status (alert lifecycle, scan state) as a neutral or tinted pill. */
export function StatusBadge(props: { status: string }) {
  return <span class={`pill status-${props.status.replace(/[^a-z-]/gi, '').toLowerCase()}`}>{props.status}</span>;
}

/** Counts per severity as a compact row of badges (`3 critical 5 high`), zeros left out. */
export function SeverityCounts(props: { counts: Partial<Record<string, number>>; levels?: readonly string[] }) {
  const levels = props.levels ?? SEVERITIES;
  const shown = levels.filter((l) => (props.counts[l] ?? 0) > 0);
  if (!shown.length) return <span class="muted">none</span>;
  return (
    <span class="sev-counts">
      {shown.map((l) => (
        <span key={l} class={`count sev-${l}`} title={`${props.counts[l]} ${l}`}>
          <b>{props.counts[l]}</b> {l[0]!.toUpperCase()}
        </span>
      ))}
    </span>
  );
}
