/**
 * `wekeo serve` for the suites, run from the compiled work tree (benchmarks/data/build, made by
 * run.sh), so the bridge measured is the production one:
 *   node benchmarks/data/build/benchmarks/workers/serve.js --catalog DIR --port 0 ...
 */
import { run } from '../../src/cli/main.js';

process.exitCode = await run(['serve', ...process.argv.slice(2)]);
