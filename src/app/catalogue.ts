import type { CheckInfo } from '../model/check-info.js';
import { controlsByCheck } from '../compliance/frameworks.js';
import type { Check } from '../misconfig/check.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { loadFrameworks } from './content.js';

/** Catalogue data of a check (no code), with framework controls derived from content/frameworks. */
export function checkInfo(c: Check, controls = controlsByCheck(loadFrameworks())): CheckInfo {
  const info: CheckInfo = {
    id: c.id, slug: c.slug, title: c.title, description: c.description, remediation: c.remediation,
    severity: c.severity, category: c.category, kinds: c.kinds, equivalents: c.equivalents,
    frameworks: controls.get(c.id) ?? [],
  };
  if (c.parameters) info.parameters = c.parameters;
  return info;
}

/** The whole catalogue, sorted by id. */
export function catalogue(): CheckInfo[] {
  const controls = controlsByCheck(loadFrameworks());
  return [...ALL_CHECKS].sort((a, b) => a.id.localeCompare(b.id)).map((c) => checkInfo(c, controls));
}

/** Finds a check by id, slug, or a peer tool's id (case-insensitive). */
export function findCheck(ref: string): Check[] {
  const r = ref.trim().toLowerCase();
  const direct = ALL_CHECKS.filter((c) => c.id.toLowerCase() === r || c.slug === r);
  if (direct.length > 0) return direct;
  return ALL_CHECKS.filter((c) => Object.values(c.equivalents).some((ids) => ids?.some((id) => id.toLowerCase() === r)));
}
