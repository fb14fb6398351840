import { z } from 'zod';

/**
 * The end-of-life table (`content/vuln/eol.yaml`): when each distribution release stops receiving security
 * updates. The caller reads and parses the file; the matcher only consults it.
 */

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

const releaseSchema = z
  .object({
    release: z.string().min(1),
    codename: z.string().min(1).optional(),
    /** Last day of security updates for everyone. */
    eol: isoDate.optional(),
    /** Last day of paid extended support (Ubuntu Pro ESM, RHEL ELS), where there is one. */
    extendedEol: isoDate.optional(),
  })
  .strict();

/** The file's shape: `families.<namespace family>.{source, releases[]}`. */
export const eolTableSchema = z
  .object({
    families: z.record(
      z.string().min(1),
      z.object({ source: z.url(), releases: z.array(releaseSchema) }).strict(),
    ),
  })
  .strict();

export type EolTable = z.infer<typeof eolTableSchema>;
export type EolRelease = z.infer<typeof releaseSchema>;

/**
 * Validates the parsed YAML of the table. Throws an Error naming `file` and the first bad field, so a broken
 * table never ships.
 */
export function parseEolTable(data: unknown, file: string): EolTable {
  const parsed = eolTableSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid end-of-life table'}`);
  }
  for (const [family, f] of Object.entries(parsed.data.families)) {
    const seen = new Set<string>();
    for (const r of f.releases) {
      if (seen.has(r.release)) throw new Error(`${file}: families.${family}: release ${r.release} listed twice`);
      seen.add(r.release);
    }
  }
  return parsed.data;
}

/** The row of `release` (exact match) in `family`, if the table has one. */
export function eolRelease(table: EolTable | undefined, family: string, release: string): EolRelease | undefined {
  return table?.families[family]?.releases.find((r) => r.release === release);
}

/** The release whose codename is `codename` (Debian `bookworm` -> 12). */
export function releaseOfCodename(table: EolTable | undefined, family: string, codename: string): string | undefined {
  return table?.families[family]?.releases.find((r) => r.codename === codename.toLowerCase())?.release;
}

/** True when `date` (YYYY-MM-DD, the last supported day) is before `now`. */
export function isPast(date: string | undefined, now: Date): boolean {
  if (!date) return false;
  return Date.parse(`${date}T23:59:59.999Z`) < now.getTime();
}
