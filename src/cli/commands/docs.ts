import { relative } from 'node:path';
import { Command } from 'commander';
import { staleDocs, writeDocs } from '../../app/docs.js';
import { EXIT, reportError, type Io } from '../io.js';

/** `palisade docs`: regenerates README's checks catalogue, docs/checks.md and docs/frameworks.md. */
export function docsCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('docs')
    .description('Regenerate the checks catalogue in README.md and docs/ from the registry (--check: only verify)')
    .option('--check', 'exit 1 when a generated file is out of date, without writing')
    .action((flags: { check?: boolean }) => {
      try {
        if (flags.check) {
          const stale = staleDocs();
          for (const p of stale) io.stderr(`out of date: ${relative(process.cwd(), p)} (run npm run docs)\n`);
          setExit(stale.length > 0 ? EXIT.policy : EXIT.ok);
          return;
        }
        for (const p of writeDocs()) io.stdout(`wrote ${relative(process.cwd(), p)}\n`);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
}
