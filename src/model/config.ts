import { z } from 'zod';
import { alertSinksSchema } from './alert-sinks.js';
import { severitySchema } from './severity.js';

const dateString = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T.*)?$/, 'expected a date like 2026-12-31')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid date');

/** An exemption written in the config file. Selectors are ANDed; an absent selector matches everything. */
export const configExemptionSchema = z
  .object({
    checks: z.array(z.string().min(1)).min(1, 'list at least one check id or slug'),
    namespace: z.string().optional(),
    kind: z.string().optional(),
    /** Glob on metadata.name (`web-*`). */
    name: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    container: z.string().optional(),
    reason: z.string().min(1, 'every exemption needs a reason'),
    expires: z.union([dateString, z.date().transform((d) => d.toISOString().slice(0, 10))]).optional(),
    owner: z.string().optional(),
  })
  .strict();
export type ConfigExemption = z.infer<typeof configExemptionSchema>;

function isRegex(s: string): boolean {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}

/** Allow-lists of the parameterised checks. Defaults live in content/defaults.yaml. */
export const parametersSchema = z
  .object({
    trustedRegistries: z.array(z.string().min(1)).optional(),
    allowedCapabilities: z.array(z.string().regex(/^[A-Z_0-9]+$/, 'capabilities are upper case, without CAP_ (NET_BIND_SERVICE)')).optional(),
    allowedAppArmorProfiles: z.array(z.string().min(1)).optional(),
    allowedServicePorts: z.array(z.number().int().min(1).max(65535)).optional(),
    allowedHostPaths: z.array(z.string().startsWith('/', 'host paths are absolute')).optional(),
    allowedHostPorts: z.array(z.number().int().min(1).max(65535)).optional(),
    /** Service spec.externalIPs that are allowed (exact addresses); every other external IP is reported. */
    allowedExternalIPs: z.array(z.string().min(1)).optional(),
    minReplicas: z.number().int().min(1).optional(),
    secretKeyPatterns: z.array(z.string().min(1).refine(isRegex, 'not a valid regular expression')).optional(),
    /** Kubernetes version the manifests target (`1.29`), or `latest`: decides which API versions count as deprecated. */
    kubernetesVersion: z.string().regex(/^(latest|v?\d+\.\d+(\.\d+)?)$/, 'expected a Kubernetes version like 1.29, or latest').optional(),
  })
  .strict();
export type Parameters = z.infer<typeof parametersSchema>;

/** palisade.yaml */
export const configSchema = z
  .object({
    checks: z
      .object({
        disabled: z.array(z.string()).default([]),
        /** When set, only these checks run. */
        enabled: z.array(z.string()).optional(),
        severity: z.record(z.string(), severitySchema).default({}),
      })
      .strict()
      .default({ disabled: [], severity: {} }),
    parameters: parametersSchema.default({}),
    exemptions: z.array(configExemptionSchema).default([]),
    annotationExemptions: z
      .object({
        /** Honour in-manifest exemptions at all. */
        enabled: z.boolean().default(true),
        /** Honour the annotations of peer tools (Polaris, kube-score, Checkov, Kubescape, KubeLinter). */
        foreign: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true, foreign: true }),
    failOn: severitySchema.optional(),
    /** Threat rules of `palisade audit scan`: override files (lists, macros, rule switches), relative to this file. */
    threatRules: z
      .object({
        overrides: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
    minScore: z.number().min(0).max(100).optional(),
    /** Alert delivery of `palisade audit`: sinks (webhook, slack, syslog, jsonl). */
    alerts: z
      .object({
        sinks: alertSinksSchema,
      })
      .strict()
      .optional(),
    /** Settings of `palisade scan image`. */
    vulnerabilities: z
      .object({
        /** Warn when the vulnerability database is older than this: `7d`, `36h`, `2w`, or a number of days. Default 7d. */
        maxDbAge: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?\s*[hdw]$/, 'expected a duration like 7d, 36h or 2w')]).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();
export type PalisadeConfig = z.infer<typeof configSchema>;
