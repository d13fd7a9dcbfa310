/**
 * `npm run bench [-- SUITE [CASE...]] [--rounds N] [--max-gb N]`: runs the benchmark suites
 * (all of them by default), writes `benchmarks/results/<suite>.{json,md,png}` per suite and
 * regenerates `benchmarks/README.md`. `benchmarks/run.sh` installs what is needed first.
 */
import { parseArgs } from 'node:util';
import { decodeSuite } from '../suites/decode.js';
import { exportSuite } from '../suites/export.js';
import { memorySuite } from '../suites/memory.js';
import { rowsSuite } from '../suites/rows.js';
import { scalingSuite } from '../suites/scaling.js';
import { sparkSuite } from '../suites/spark.js';
import { transportSuite } from '../suites/transport.js';
import { baseVersions, machineInfo } from './machine.js';
import { mergeWithPrevious, writeReadme, writeSuite } from './report.js';
import type { SuiteResult } from './results.js';
import type { Suite } from './suite.js';

const SUITES: Suite[] = [decodeSuite, rowsSuite, transportSuite, memorySuite, scalingSuite, sparkSuite, exportSuite];

function log(msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      'max-gb': { type: 'string', default: '8' },
      readme: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench [-- SUITE [CASE...]] [--rounds N] [--max-gb N] [--readme]\n` +
        `suites: ${SUITES.map((s) => s.name).join(', ')}\n--readme only regenerates benchmarks/README.md from the results files\n`,
    );
    return 0;
  }
  if (values.readme) {
    writeReadme(SUITES);
    return 0;
  }
  const rounds = Number(values.rounds ?? 5);
  const maxGb = Number(values['max-gb']);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  if (!(maxGb > 0)) throw new Error(`--max-gb must be positive, got ${values['max-gb']}`);
  const [suiteName, ...filter] = positionals;
  const chosen = suiteName ? SUITES.filter((s) => s.name === suiteName) : SUITES;
  if (!chosen.length) throw new Error(`unknown suite "${suiteName}"; suites: ${SUITES.map((s) => s.name).join(', ')}`);

  let failed = 0;
  for (const suite of chosen) {
    log(`suite ${suite.name}: ${suite.title}`);
    const t0 = Date.now();
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    const machine = machineInfo();
    const versions = baseVersions();
    try {
      const out = await suite.run({ rounds, roundsGiven: values.rounds !== undefined, filter, maxGb, log: (m) => log(`[${suite.name}] ${m}`), versions });
      const result: SuiteResult = {
        suite: suite.name,
        title: suite.title,
        description: suite.description,
        date,
        durationSeconds: (Date.now() - t0) / 1000,
        rounds: out.rounds ?? rounds,
        machine,
        versions,
        notes: [...(filter.length ? [`only cases matching: ${filter.join(', ')}`] : []), ...out.notes],
        cases: out.cases,
      };
      writeSuite(filter.length ? mergeWithPrevious(result) : result, log);
    } catch (e) {
      failed++;
      log(`suite ${suite.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    log(`suite ${suite.name} done in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  writeReadme(SUITES);
  log('benchmarks/README.md regenerated');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
