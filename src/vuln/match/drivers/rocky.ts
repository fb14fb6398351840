import { major, rpmDriver } from '../driver.js';

/**
 * Rocky Linux, from Rocky's errata (OSV's `Rocky Linux` ecosystem).
 *
 * Quirks:
 * - The namespace is the major release (`rocky:9`); binary names, source names looked up too.
 * - One erratum can fix each architecture in its own build (`bpftool` 4.18 on x86_64, 5.18 on aarch64):
 *   rows with architectures apply only to them.
 * - Module streams as on RHEL. Epochs compare first; an epoch of 0 is left out of reported versions.
 */
export const rocky = rpmDriver({
  id: 'rocky',
  families: ['rocky'],
  eolFamily: () => 'rocky',
  namespaces(ctx) {
    const release = major(ctx.os.version);
    if (!/^\d+$/.test(release)) {
      ctx.note(`rocky ${ctx.os.version || '(no version)'}: no major release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`rocky:${release}`], release };
  },
});
