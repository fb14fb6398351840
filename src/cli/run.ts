import { main } from './main.js';

// Entry point for running the CLI from source (`tsx src/cli/run.ts ...`); bin/palisade.js runs the build.
process.exitCode = await main(process.argv);
