import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { toolVersion } from '../../app/content.js';
import { inventoryImage } from '../../app/scan-image.js';
import { renderCycloneDx } from '../../report/cyclonedx.js';
import { renderSpdx } from '../../report/spdx.js';
import { addImageOptions, layerProgress, registryOptions, type ImageFlags } from '../image-options.js';
import { EXIT, reportError, type Io } from '../io.js';

export const SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;

interface SbomFlags extends ImageFlags {
  output: (typeof SBOM_FORMATS)[number];
  outputFile?: string;
}

/**
 * `palisade sbom <ref|path>`: the packages of an image (or a root folder, or another SBOM, converted) as
 * CycloneDX 1.6 or SPDX 2.3 JSON. Needs no vulnerability database.
 */
export function sbomCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('sbom')
    .description('Write the software bill of materials of a container image (CycloneDX 1.6 or SPDX 2.3 JSON)')
    .argument('<image>', 'registry reference, OCI layout folder, docker save archive, root folder, or a CycloneDX/SPDX JSON file to convert')
    .addOption(new Option('-o, --output <format>', 'SBOM format').choices(SBOM_FORMATS).default('cyclonedx'))
    .option('--output-file <file>', 'write the SBOM to a file instead of stdout');
  addImageOptions(cmd);
  return cmd.action(async (image: string, flags: SbomFlags) => {
    try {
      const registry = await registryOptions(flags, io);
      const bar = layerProgress(io);
      let inv;
      try {
        inv = await inventoryImage({ source: image, platform: flags.platform, registry, onProgress: bar.onProgress });
      } finally {
        bar.done();
      }
      const opts = { toolVersion: toolVersion(), generatedAt: new Date().toISOString() };
      const text = flags.output === 'spdx' ? renderSpdx(inv.inventory, opts) : renderCycloneDx(inv.inventory, opts);
      if (flags.outputFile) writeFileSync(flags.outputFile, text);
      else io.stdout(text);
      for (const w of inv.warnings) io.stderr(`palisade: warning: ${w}\n`);
      for (const e of inv.errors) io.stderr(`palisade: ${e.analyzer ?? 'sbom'}: ${e.path}: ${e.message}\n`);
      setExit(inv.errors.length > 0 ? EXIT.inputErrors : EXIT.ok);
    } catch (e) {
      setExit(reportError(e, io));
    }
  });
}
