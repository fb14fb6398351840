import { majorMinor, rpmDriver } from '../driver.js';

/**
 * VMware Photon OS, from Photon's CVE metadata.
 *
 * Quirks: the namespace is `photon:<major.minor>` (`photon:5.0`); Photon names packages by their spec
 * (source) name, which is usually the binary name too: both are looked up. Epochs compare first.
 */
export const photon = rpmDriver({
  id: 'photon',
  families: ['photon'],
  eolFamily: () => 'photon',
  namespaces(ctx) {
    const v = ctx.os.version.trim();
    const release = /^\d+$/.test(v) ? `${v}.0` : majorMinor(v);
    if (!/^\d+\.\d+$/.test(release)) {
      ctx.note(`photon ${v || '(no version)'}: no release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`photon:${release}`], release };
  },
});
