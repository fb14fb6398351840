import { major, rpmDriver } from '../driver.js';

/**
 * Amazon Linux, from the Amazon Linux Security Center (ALAS).
 *
 * Quirks:
 * - Namespaces are `amazon:2`, `amazon:2022`, `amazon:2023`; everything else is Amazon Linux 1 (its versions
 *   are dates such as `2018.03`). `2023.3.20240304` is `amazon:2023`.
 * - ALAS names binary packages; source names are looked up too.
 * - A package without a version is not compared.
 * - Epochs compare first; an epoch of 0 is left out of reported versions.
 */
export const amazon = rpmDriver({
  id: 'amazon',
  families: ['amazon'],
  eolFamily: () => 'amazon',
  namespaces(ctx) {
    const first = major(ctx.os.version.trim().split(/\s+/)[0] ?? '');
    const release = first === '2' || first === '2022' || first === '2023' ? first : '1';
    return { namespaces: [`amazon:${release}`], release };
  },
});
