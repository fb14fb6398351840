import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { Link } from './link.js';

/** The title row of a page: breadcrumbs, the h1 (which also titles the browser tab), and actions on the right. */
export function PageHeader(props: { title: string; crumbs?: Array<{ href: string; label: string }>; children?: ComponentChildren; subtitle?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} · Palisade`;
  }, [props.title]);
  return (
    <div class="page-head">
      <div>
        {props.crumbs && (
          <nav class="crumbs" aria-label="Breadcrumb">
            {props.crumbs.map((c) => (
              <span key={c.href}>
                <Link href={c.href}>{c.label}</Link>
                <span aria-hidden="true"> / </span>
              </span>
            ))}
          </nav>
        )}
        <h1>{props.title}</h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.children && <div class="page-actions">{props.children}</div>}
    </div>
  );
}

/** A titled panel. */
export function Card(props: { title?: string; children: ComponentChildren; class?: string; actions?: ComponentChildren; id?: string }) {
  const hid = props.id ? `${props.id}-title` : undefined;
  return (
    <section class={`card ${props.class ?? ''}`} aria-labelledby={hid}>
      {(props.title || props.actions) && (
        <header class="card-head">
          {props.title && <h2 id={hid}>{props.title}</h2>}
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      <div class="card-body">{props.children}</div>
    </section>
  );
}

/** Label/value pairs as a description list. */
export function Facts(props: { items: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {props.items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A big number with a caption, for summary strips. */
export function Stat(props: { label: string; value: ComponentChildren; tone?: string; href?: string }) {
  const body = (
    <>
      <span class="stat-value">{props.value}</span>
      <span class="stat-label">{props.label}</span>
    </>
  );
  return <div class={`stat ${props.tone ? `tone-${props.tone}` : ''}`}>{props.href ? <Link href={props.href}>{body}</Link> : body}</div>;
}

/** A segmented control between views of one page (by image / by CVE), as links so each view has a URL. */
export function ViewSwitch(props: { label: string; views: Array<{ href: string; label: string; current: boolean }> }) {
  return (
    <nav class="view-switch" aria-label={props.label}>
      {props.views.map((v) => (
        <Link key={v.href} href={v.href} class={v.current ? 'current' : undefined} aria-current={v.current ? 'page' : undefined}>
          {v.label}
        </Link>
      ))}
    </nav>
  );
}
