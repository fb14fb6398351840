/**
 * Small hand-written SVG charts. Each is an `img` for assistive technology with a text summary as its label,
 * and every mark has a `<title>` tooltip; colours follow the severity palette of the stylesheet.
 */

const W = 640;

/** Short day label: `01-07` for `2026-01-07`. */
function dayLabel(day: string): string {
  return day.length >= 10 ? day.slice(5, 10) : day;
}

/**
 * A line of values over time on a fixed 0..`max` scale (100: the secure score). `format` writes a value in the
 * label and tooltips (default: one decimal in tooltips, none in the label).
 */
export function LineChart(props: { points: Array<{ at: string; value: number }>; label: string; height?: number; max?: number; format?: (v: number) => string }) {
  const H = props.height ?? 180;
  const max = props.max ?? 100;
  const pad = { l: 32, r: 12, t: 10, b: 22 };
  const pts = props.points;
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const t0 = pts.length ? Date.parse(pts[0]!.at) : 0;
  const t1 = pts.length ? Date.parse(pts[pts.length - 1]!.at) : 1;
  const x = (at: string) => pad.l + (t1 === t0 ? iw / 2 : ((Date.parse(at) - t0) / (t1 - t0)) * iw);
  const y = (v: number) => pad.t + ih - (Math.max(0, Math.min(max, v)) / max) * ih;
  const line = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const area = pts.length > 1 ? `${line} L${x(pts[pts.length - 1]!.at).toFixed(1)},${y(0)} L${x(pts[0]!.at).toFixed(1)},${y(0)} Z` : '';
  const ticks = [0, 25, 50, 75, 100].map((v) => (v / 100) * max);
  const first = pts[0];
  const last = pts[pts.length - 1];
  const short = props.format ?? ((v: number) => v.toFixed(0));
  const summary = last ? `${props.label}: ${short(last.value)} now${first && first !== last ? `, ${short(first.value)} at ${first.at.slice(0, 10)}` : ''}` : `${props.label}: no data`;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
      {ticks.map((v) => (
        <g key={v}>
          <line class="grid" x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} />
          <text class="axis" x={pad.l - 6} y={y(v) + 4} text-anchor="end">
            {v}
          </text>
        </g>
      ))}
      {area && <path class="line-area" d={area} />}
      <path class="line" d={line} />
      {pts.map((p) => (
        <circle key={p.at} class="dot" cx={x(p.at)} cy={y(p.value)} r={pts.length > 60 ? 1.5 : 3}>
          <title>{`${p.at.slice(0, 16).replace('T', ' ')}: ${props.format ? props.format(p.value) : p.value.toFixed(1)}`}</title>
        </circle>
      ))}
      {first && (
        <text class="axis" x={pad.l} y={H - 4}>
          {dayLabel(first.at)}
        </text>
      )}
      {last && last !== first && (
        <text class="axis" x={W - pad.r} y={H - 4} text-anchor="end">
          {dayLabel(last.at)}
        </text>
      )}
    </svg>
  );
}

/** Stacked bars per day, one segment per series (alerts per day by severity). */
export function StackedBars(props: { days: Array<{ day: string; values: Record<string, number> }>; series: readonly string[]; label: string; height?: number; width?: number }) {
  const H = props.height ?? 180;
  const W = props.width ?? 640;
  const pad = { l: 32, r: 8, t: 10, b: 22 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const totals = props.days.map((d) => props.series.reduce((n, s) => n + (d.values[s] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = props.days.length ? iw / props.days.length : iw;
  const bw = Math.max(2, Math.min(40, step * 0.7));
  const y = (v: number) => (v / max) * ih;
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    <figure class="chart-figure">
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.label}: ${sum} over ${props.days.length} days`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={pad.l} x2={W - pad.r} y1={pad.t + ih - f * ih} y2={pad.t + ih - f * ih} />
            <text class="axis" x={pad.l - 6} y={pad.t + ih - f * ih + 4} text-anchor="end">
              {Math.round(f * max)}
            </text>
          </g>
        ))}
        {props.days.map((d, i) => {
          let base = pad.t + ih;
          const cx = pad.l + step * i + (step - bw) / 2;
          return (
            <g key={d.day}>
              {props.series.map((s) => {
                const v = d.values[s] ?? 0;
                if (!v) return null;
                const h = y(v);
                base -= h;
                return (
                  <rect key={s} class={`bar fill-${s}`} x={cx} y={base} width={bw} height={h}>
                    <title>{`${d.day}: ${v} ${s}`}</title>
                  </rect>
                );
              })}
              {(props.days.length <= 14 || i % Math.ceil(props.days.length / 10) === 0) && (
                <text class="axis" x={cx + bw / 2} y={H - 6} text-anchor="middle">
                  {dayLabel(d.day)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        {props.series.map((s) => (
          <span key={s}>
            <i class={`swatch fill-${s}`} aria-hidden="true" />
            {s}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Horizontal bars with their values (assets by type). */
export function Bars(props: { items: Array<{ label: string; value: number; href?: string }>; label: string }) {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  const row = 22;
  const H = props.items.length * row + 4;
  const labelW = 150;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.label}: ${props.items.map((i) => `${i.label} ${i.value}`).join(', ')}`}>
      {props.items.map((it, i) => {
        const w = ((W - labelW - 60) * it.value) / max;
        return (
          <g key={it.label} transform={`translate(0, ${i * row + 2})`}>
            <text class="axis axis-label" x={labelW - 8} y={row / 2 + 4} text-anchor="end">
              {it.label}
            </text>
            <rect class="bar fill-accent" x={labelW} y={3} width={Math.max(1, w)} height={row - 8} rx={2}>
              <title>{`${it.label}: ${it.value}`}</title>
            </rect>
            <text class="axis" x={labelW + w + 6} y={row / 2 + 4}>
              {it.value.toLocaleString('en-US')}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** A score as a ring gauge with the number in the middle (0..100). */
export function ScoreRing(props: { score: number | null; size?: number }) {
  const s = props.size ?? 120;
  const r = s / 2 - 8;
  const c = 2 * Math.PI * r;
  const v = props.score === null ? 0 : Math.max(0, Math.min(100, props.score));
  const tone = props.score === null ? 'none' : v >= 80 ? 'good' : v >= 50 ? 'fair' : 'poor';
  return (
    <svg class={`score-ring tone-${tone}`} width={s} height={s} viewBox={`0 0 ${s} ${s}`} role="img" aria-label={props.score === null ? 'Secure score: not computed yet' : `Secure score ${v.toFixed(0)} of 100`}>
      <circle class="ring-bg" cx={s / 2} cy={s / 2} r={r} />
      <circle class="ring-fg" cx={s / 2} cy={s / 2} r={r} stroke-dasharray={`${(c * v) / 100} ${c}`} transform={`rotate(-90 ${s / 2} ${s / 2})`} />
      <text class="ring-text" x="50%" y="50%" dominant-baseline="central" text-anchor="middle">
        {props.score === null ? '—' : v.toFixed(0)}
      </text>
    </svg>
  );
}
