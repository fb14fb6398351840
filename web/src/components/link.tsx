import type { ComponentChildren } from 'preact';
import { onLinkClick } from '../router.js';

/** An in-app link: a real anchor (copyable, opens in a new tab) that navigates without reloading. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string; 'aria-current'?: 'page' | undefined }) {
  const { href, children, ...rest } = props;
  return (
    <a href={href} onClick={(e) => onLinkClick(e, href)} {...rest}>
      {children}
    </a>
  );
}
