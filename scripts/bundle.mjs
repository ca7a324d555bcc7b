// Bundles the compiled CLI (dist/src/cli/main.js, written by tsc) into dist/bundle/ for bin/gregor.
// Why: loading ~105 ES modules one by one (resolve, read, parse, link each) was most of
// `gregor serve`'s start-up CPU; the bundle loads 5 files before 'listening'. Dynamic import()s stay
// split into chunks, so an API's codecs and each CLI command still load only when used.
// dist/src stays as tsc wrote it: it is the library API (`import { startBroker } from 'gregor'`).
// The npm dependencies are native addons loaded with createRequire; they stay outside the bundle.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });
let build;
try {
  ({ build } = await import('esbuild'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  // A checkout whose node_modules predates the esbuild devDependency: bin/gregor runs dist/src.
  console.warn(
    'bundle: esbuild is not installed (run `npm ci`); bin/gregor will load dist/src module by module',
  );
  process.exit(0);
}
await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${pkg.engines.node.replace(/[^0-9.]/g, '')}`,
  external: Object.keys(pkg.dependencies ?? {}),
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace only: V8 keeps every module's source text in the heap, so fewer bytes is less idle
  // memory and less to scan; names stay, so stack traces still name the functions.
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
});
