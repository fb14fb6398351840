import type { ComponentType } from 'preact';

/** The roles of the server, weakest first. */
export type Role = 'reader' | 'contributor' | 'owner';

/** Who is logged in (`GET /api/v1/me`). */
export interface Me {
  actor: string;
  role: Role;
}

/** True when `me` may do what needs `needed` (Reader < Contributor < Owner). */
export function allows(me: Me, needed: Role): boolean {
  const rank: Record<Role, number> = { reader: 0, contributor: 1, owner: 2 };
  return rank[me.role] >= rank[needed];
}

/** What a page component receives: the user, and the route's parameters (`/alerts/:id` -> `{ id }`) and query. */
export interface PageProps {
  me: Me;
  params: Record<string, string>;
  query: URLSearchParams;
}

/**
 * One dashboard page: a route pattern (`/recommendations/:checkId`), its title, whether it appears in the
 * navigation, and the least role that may open it.
 */
export interface PageDef {
  path: string;
  title: string;
  nav: boolean;
  minRole: Role;
  component: ComponentType<PageProps>;
}
