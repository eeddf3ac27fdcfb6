#!/usr/bin/env node
// Builds Vigil into dist/: the nearley grammar, then tsc. Used by `npm run build`, `npm start`, `npm test` and
// `prepare` (so `npm install` leaves a working `vigil`). Everything it prints goes to stderr: `npm start`'s stdout is
// Vigil's output, not the compiler's.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(join(root, 'package.json'));

function step(what, args) {
  // stdout -> stderr: tsc prints its diagnostics on stdout.
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write(`vigil build: ${what} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // `npm install --omit=dev` runs prepare without the compiler: a shipped dist/ is then what runs.
  if (process.argv.includes('--prepare') && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
    process.stderr.write('vigil build: TypeScript is not installed (a production install); keeping the existing dist/\n');
    process.exit(0);
  }
  process.stderr.write('vigil build: TypeScript is not installed; run `npm install` (with dev dependencies) first\n');
  process.exit(1);
}
step('the grammar', [join(root, 'scripts', 'build-grammar.js')]);
step('tsc', [tsc, '-p', join(root, 'tsconfig.build.json')]);
