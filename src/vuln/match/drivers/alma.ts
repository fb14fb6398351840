import { major, rpmDriver } from '../driver.js';

/**
 * AlmaLinux, from AlmaLinux errata (OSV's `AlmaLinux` ecosystem).
 *
 * Quirks:
 * - The namespace is the major release (`alma:9`); binary names, source names looked up too.
 * - Module streams as on RHEL. A package whose release says it was built in a module
 *   (`.module_el8...`) but that carries no module label cannot be matched to the right stream, and is
 *   skipped rather than compared with the non-modular package of the same name.
 * - Epochs compare first; an epoch of 0 is left out of reported versions.
 */
export const alma = rpmDriver({
  id: 'alma',
  families: ['alma'],
  eolFamily: () => 'alma',
  namespaces(ctx) {
    const release = major(ctx.os.version);
    if (!/^\d+$/.test(release)) {
      ctx.note(`alma ${ctx.os.version || '(no version)'}: no major release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`alma:${release}`], release };
  },
  skip: (pkg) => (pkg.version.includes('.module_el') && !pkg.module ? 'built in a module, but has no module label' : undefined),
});
