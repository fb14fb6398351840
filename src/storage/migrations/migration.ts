/** One numbered schema change, written for both dialects side by side. */
export interface Migration {
  /** Applied in ascending order; never reused or renumbered once released. */
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}
