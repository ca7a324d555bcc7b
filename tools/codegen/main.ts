/**
 * Protocol code generator.
 *
 *   node dist/tools/codegen/main.js [--specs DIR] [--out DIR] [--check] [--per-version]
 *
 * Reads every message definition in DIR/messages/*.json and DIR/error-codes.tsv (DIR defaults to
 * ../shared/kafka-protocol relative to the repository root) and writes src/protocol/generated/.
 * With --check it generates into a temporary directory, compares with the committed files and
 * exits 1 listing every file that differs, is missing or is stale. --per-version emits the
 * experimental variant (one straight-line function per struct and version) for measurements; it
 * is never committed.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';

/** The repository root: main.js lives in dist/tools/codegen/. */
function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

function writeAll(dir: string, files: Map<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.endsWith('.ts') && !files.has(old)) rmSync(join(dir, old));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
}

function main(argv: string[]): number {
  const root = repoRoot();
  let specs = resolve(root, '..', 'shared', 'kafka-protocol');
  let outDir = join(root, 'src', 'protocol', 'generated');
  let check = false;
  let perVersion = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '--specs') specs = resolve(argv[++i] ?? '');
    else if (a === '--out') outDir = resolve(argv[++i] ?? '');
    else if (a === '--per-version') perVersion = true;
    else {
      console.error(`unknown argument: ${a}`);
      return 2;
    }
  }
  if (!existsSync(join(specs, 'messages'))) {
    console.error(`codegen: no message definitions in ${join(specs, 'messages')} (use --specs DIR)`);
    return 2;
  }
  const files = generate(specs, perVersion);
  if (!check) {
    writeAll(outDir, files);
    console.log(`codegen: wrote ${files.size} files to ${outDir}`);
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gregor-codegen-'));
  try {
    writeAll(tmp, files);
    const differ: string[] = [];
    let committed: string[] = [];
    try {
      committed = readdirSync(outDir).filter((f) => f.endsWith('.ts'));
    } catch {
      committed = [];
    }
    for (const [name] of files) {
      let current: string | undefined;
      try {
        current = readFileSync(join(outDir, name), 'utf8');
      } catch {
        current = undefined;
      }
      const fresh = readFileSync(join(tmp, name), 'utf8');
      if (current === undefined) differ.push(`missing: ${name}`);
      else if (current !== fresh) differ.push(`differs: ${name}`);
    }
    for (const name of committed) if (!files.has(name)) differ.push(`stale: ${name}`);
    if (differ.length > 0) {
      console.error(`codegen --check: ${differ.length} file(s) out of date in ${outDir}:`);
      for (const d of differ) console.error(`  ${d}`);
      console.error('run `npm run codegen` and commit the result');
      return 1;
    }
    console.log(`codegen --check: ${files.size} files up to date`);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
