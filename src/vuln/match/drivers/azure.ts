import { majorMinor, rpmDriver } from '../driver.js';

/**
 * Azure Linux, and CBL-Mariner as it was called up to 2.0, from Microsoft's vulnerability data (OVAL).
 *
 * Quirks:
 * - The namespace is `azurelinux:<major.minor>` for both names (`2.0.20240301` -> `azurelinux:2.0`).
 * - The data names **source** packages (`bind` for `bind-utils`), compared with the source version; binary
 *   names are looked up too.
 * - Rows without a fixed version are reported as unfixed. Epochs compare first; an epoch of 0 is left out
 *   of reported versions.
 */
export const azure = rpmDriver({
  id: 'azure',
  families: ['azurelinux'],
  eolFamily: () => 'azurelinux',
  namespaces(ctx) {
    const release = majorMinor(ctx.os.version.trim());
    if (!/^\d+\.\d+$/.test(release)) {
      ctx.note(`azurelinux ${ctx.os.version || '(no version)'}: no release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`azurelinux:${release}`], release };
  },
});
