#!/usr/bin/env node
// Rewrites the function reference in docs/language.md (between its functions:begin/end markers) from the function
// tables, as built in dist/ (run through `npm run docs:functions`, which builds first). test/docs checks that the
// committed page equals what this writes, so a function added to a table without its doc fails the tests.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { regenerateLanguageDoc } = await import(new URL('../dist/src/app/function-reference.js', import.meta.url).href);
const path = join(root, 'docs', 'language.md');
const before = readFileSync(path, 'utf8');
let after;
try {
  after = regenerateLanguageDoc(before);
} catch (error) {
  process.stderr.write(`docs:functions: ${error.message}\n`);
  process.exit(1);
}
if (after === before) process.stderr.write('docs/language.md: the function reference is up to date\n');
else {
  writeFileSync(path, after);
  process.stderr.write('docs/language.md: the function reference was regenerated\n');
}
