import type { AuditLogFormat, Unwrapped } from './format.js';
import { isObject, parseEmbeddedJson } from './format.js';

/** The AKS diagnostic categories that carry API server audit events. */
export const AKS_AUDIT_CATEGORIES = ['kube-audit', 'kube-audit-admin'];

function fromRecord(r: unknown, field: string): Unwrapped {
  if (!isObject(r)) return { error: 'record is not an object', field };
  const category = typeof r.category === 'string' ? r.category : typeof r.Category === 'string' ? r.Category : undefined;
  if (category !== undefined && !AKS_AUDIT_CATEGORIES.includes(category.toLowerCase())) return { skipped: true, field };
  // Storage-account and Event Hubs records carry properties.log; a Log Analytics AzureDiagnostics export has log_s.
  if (isObject(r.properties) && 'log' in r.properties) return { ...parseEmbeddedJson(r.properties.log, 'properties.log'), field: `${field}.properties.log` };
  if ('log_s' in r) return { ...parseEmbeddedJson(r.log_s, 'log_s'), field: `${field}.log_s` };
  return { error: `record of category ${category ?? '(none)'} has no properties.log`, field };
}

/**
 * AKS diagnostic logs of categories `kube-audit` and `kube-audit-admin`: Event Hubs / storage-account blobs
 * (`{"records": [...]}` documents, or one record per line), and Log Analytics AzureDiagnostics rows
 * (`Category`, `log_s`). `properties.log` holds the audit event as a JSON string; records of other categories
 * (kube-apiserver, guard, ...) are skipped.
 */
export const aksFormat = {
  id: 'aks',
  description: 'AKS diagnostic logs (categories kube-audit, kube-audit-admin): {"records": [...]} from Event Hubs or storage, one record per line, or AzureDiagnostics rows (log_s)',
  detect(value: unknown): boolean {
    if (!isObject(value)) return false;
    if (Array.isArray(value.records)) return true;
    const category = value.category ?? value.Category;
    return typeof category === 'string' && ((isObject(value.properties) && 'log' in value.properties) || 'log_s' in value || 'resourceId' in value || 'ResourceId' in value);
  },
  unwrap(value: unknown): Unwrapped[] {
    if (isObject(value) && Array.isArray(value.records)) return value.records.map((r, i) => fromRecord(r, `records[${i}]`));
    return [fromRecord(value, 'record')];
  },
} satisfies AuditLogFormat;
