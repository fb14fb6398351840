import { major, rpmDriver } from '../driver.js';

/**
 * Fedora, from Fedora's update advisories.
 *
 * Quirks: the namespace is the release number (`fedora:40`); binary names, source names looked up too;
 * module streams and architectures as on RHEL. Fedora releases live about 13 months, so most images past a
 * year old are past their end of life.
 */
export const fedora = rpmDriver({
  id: 'fedora',
  families: ['fedora'],
  eolFamily: () => 'fedora',
  namespaces(ctx) {
    const release = major(ctx.os.version);
    if (!/^\d+$/.test(release)) {
      ctx.note(`fedora ${ctx.os.version || '(no version)'}: no release number; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`fedora:${release}`], release };
  },
});
