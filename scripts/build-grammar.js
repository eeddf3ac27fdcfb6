#!/usr/bin/env node
// Compiles every nearley grammar in src/dsl/*.ne to src/dsl/generated/<name>.ts.
// The generated files are build output: never edit them, never commit them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const dslDir = join(root, 'src', 'dsl');
const outDir = join(dslDir, 'generated');
const nearleyc = join(root, 'node_modules', 'nearley', 'bin', 'nearleyc.js');

const grammars = readdirSync(dslDir).filter((f) => f.endsWith('.ne'));
if (grammars.length > 0) mkdirSync(outDir, { recursive: true });
for (const file of grammars) {
  const src = join(dslDir, file);
  const out = join(outDir, basename(file, '.ne') + '.ts');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
  execFileSync(process.execPath, [nearleyc, src, '-o', out], { stdio: 'inherit' });
}
