#!/usr/bin/env node
// The `vigil` command. Runs the build in dist/ (made by `npm install`'s prepare script, `npm run build`, `npm start`
// and `npm test`); a checkout that was never built gets a sentence saying so instead of a module-resolution trace.
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
let cli;
try {
  cli = await import(entry.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(entry.pathname)) {
    process.stderr.write(`vigil: not built (no ${entry.pathname}); run \`npm install\` or \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
    process.exit(2);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
