import { z } from 'zod';

/** Default name of the vulnerability ignore file, looked for in the working directory. */
export const DEFAULT_IGNORE_FILE = '.palisadeignore.yaml';

const dateString = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T.*)?$/, 'expected a date like 2026-12-31')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid date');

/**
 * One entry of `.palisadeignore.yaml`: a vulnerability id (or any of its aliases), optionally only in one
 * package (name, source package name, or a purl with or without version), with a mandatory reason and an
 * optional expiry date after which the entry stops applying and is reported.
 */
export const vulnIgnoreEntrySchema = z
  .object({
    id: z.string().min(1, 'id must name a vulnerability (CVE-2024-1234, GHSA-...)'),
    package: z.string().min(1).optional(),
    reason: z.string().min(1, 'every ignore entry needs a reason'),
    // YAML reads an unquoted 2026-12-31 as a date.
    expires: z.union([dateString, z.date().transform((d) => d.toISOString().slice(0, 10))]).optional(),
  })
  .strict();
export type VulnIgnoreEntry = z.infer<typeof vulnIgnoreEntrySchema>;

/** The ignore file: `vulnerabilities:` with a list of entries (a bare list is accepted too). */
export const vulnIgnoreFileSchema = z.object({ vulnerabilities: z.array(vulnIgnoreEntrySchema).default([]) }).strict();
export const vulnIgnoreListSchema = z.array(vulnIgnoreEntrySchema);
