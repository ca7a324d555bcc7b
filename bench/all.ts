/**
 * Runs every benchmark in this folder (dist/bench/*.js except this one), one after the other, each
 * in its own process so one bench's heap and JIT state do not colour the next. Prints figures only.
 *
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== self)
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file.replace(/\.js$/, '')} ===`);
  const res = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    console.log(`(${file} exited with ${res.status ?? res.signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
