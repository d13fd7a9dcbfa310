/** CLI for writeBigNetcdf (hand measurements and the benchmark): gen-big-netcdf.ts OUT.nc STEPS */
import { writeBigNetcdf } from './big-netcdf.js';

const [out, steps] = process.argv.slice(2);
if (!out || !steps) {
  process.stderr.write('usage: gen-big-netcdf.ts OUT.nc STEPS\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(writeBigNetcdf(out, Number(steps)))}\n`);
