import { z } from 'zod';
import { mitreSchema } from '../model/audit.js';
import { severitySchema } from '../model/severity.js';

/** List and macro names: snake_case identifiers, so they can stand in a CEL expression. */
const nameSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, 'names are snake_case identifiers (allowed_k8s_users)');

/** A named list of strings (users, images, namespaces, CIDRs), referenced by name in conditions. */
export const listDefSchema = z
  .object({
    name: nameSchema,
    description: z.string().optional(),
    items: z.array(z.string()),
  })
  .strict();
export type ListDef = z.infer<typeof listDefSchema>;

/** A named CEL snippet, referenced by name in conditions and other macros. */
export const macroDefSchema = z
  .object({
    name: nameSchema,
    description: z.string().optional(),
    condition: z.string().min(1),
  })
  .strict();
export type MacroDef = z.infer<typeof macroDefSchema>;

/** An exception: when its condition holds, the rule's alert is suppressed (and counted as suppressed). */
export const exceptionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    condition: z.string().min(1),
  })
  .strict();
export type RuleException = z.infer<typeof exceptionSchema>;

/** The same detection in other tools: Falco rule names, Defender for Containers alert types. */
export const ruleEquivalentsSchema = z
  .object({
    falco: z.array(z.string().min(1)).optional(),
    defender: z.array(z.string().regex(/^K8S[._]/, 'Defender alert types start with K8S_ (K8S_PrivilegedContainer)')).optional(),
  })
  .strict();

/** One threat rule. */
export const ruleDefSchema = z
  .object({
    /** Stable id, never reused: PAL-RT-001 for shipped rules; any UPPER-CASE-WITH-DASHES id for custom rules. */
    id: z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$/, 'ids are upper case with dashes (PAL-RT-001, ACME-001)'),
    slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'slugs are kebab-case'),
    title: z.string().min(1),
    description: z.string().min(1),
    severity: severitySchema,
    mitre: mitreSchema,
    /** Verbs and resources the rule can match; derived from the condition when absent. */
    match: z
      .object({
        verbs: z.array(z.string().min(1)).min(1).optional(),
        resources: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .optional(),
    condition: z.string().min(1),
    /** `{user.username} exec'd into {target.namespace}/{target.name}`: paths into the rule context. */
    output: z.string().min(1),
    nextSteps: z.array(z.string().min(1)).min(1, 'say what to check first'),
    enabled: z.boolean().default(true),
    tags: z.array(z.string().regex(/^[a-z0-9-]+$/)).default([]),
    exceptions: z.array(exceptionSchema).default([]),
    equivalents: ruleEquivalentsSchema.default({}),
  })
  .strict();
export type RuleDef = z.infer<typeof ruleDefSchema>;

/** A rule file under content/threat-rules/ (any of the three sections may be absent). */
export const ruleFileSchema = z
  .object({
    lists: z.array(listDefSchema).default([]),
    macros: z.array(macroDefSchema).default([]),
    rules: z.array(ruleDefSchema).default([]),
  })
  .strict();
export type RuleFile = z.infer<typeof ruleFileSchema>;

/** How an override changes a list: replace its items, append to them, or read them from a text file. */
export const listOverrideSchema = z
  .object({
    items: z.array(z.string()).optional(),
    append: z.array(z.string()).optional(),
    /** A text file (relative to the override file): one entry per line, `#` starts a comment. Replaces the items. */
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => !(o.items !== undefined && o.file !== undefined), 'give items or file, not both')
  .refine((o) => o.items !== undefined || o.append !== undefined || o.file !== undefined, 'give items, append or file');

/** How an override changes a rule (or every rule of a tag, `tag:activity`). Exceptions are appended. */
export const rulePatchSchema = z
  .object({
    enabled: z.boolean().optional(),
    severity: severitySchema.optional(),
    exceptions: z.array(exceptionSchema).optional(),
  })
  .strict();
export type RulePatch = z.infer<typeof rulePatchSchema>;

/**
 * A user's override file (`--rules-override`, or `threatRules.override` in palisade.yaml): change lists and
 * macros, enable, disable or re-rate rules and add exceptions without editing the shipped rules; add rules of
 * one's own. A list or macro named here that the shipped rules do not define is a new one (lists need items).
 */
export const overrideFileSchema = z
  .object({
    lists: z.record(z.string(), listOverrideSchema).default({}),
    macros: z.record(z.string(), z.union([z.string().min(1), z.object({ condition: z.string().min(1), description: z.string().optional() }).strict()])).default({}),
    rules: z.record(z.string(), rulePatchSchema).default({}),
    customRules: z.array(ruleDefSchema).default([]),
  })
  .strict();
export type OverrideFile = z.infer<typeof overrideFileSchema>;

/** An override with list files already read (the engine does no I/O). */
export interface ResolvedOverride {
  /** Where it came from, for messages. */
  file: string;
  /** Line of a field path in the file, when the caller kept positions. */
  locate?: (path: ReadonlyArray<string | number>) => number | undefined;
  lists: Record<string, { items?: string[]; append?: string[] }>;
  macros: Record<string, string>;
  rules: Record<string, RulePatch>;
  customRules: RuleDef[];
}
