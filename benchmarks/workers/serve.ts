/**
 * `wekeo serve` from the TypeScript sources (no build step, so the suite measures the work tree
 * as it is): node --import tsx benchmarks/workers/serve.ts --catalog DIR --port 0 ...
 */
import { run } from '../../src/cli/main.js';

process.exitCode = await run(['serve', ...process.argv.slice(2)]);
