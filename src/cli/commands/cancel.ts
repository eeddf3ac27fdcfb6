import { parseArgs } from 'node:util';
import { type Command, ExitCode } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { DEFAULT_SERVICE_URL, againstService, callService, serviceTarget } from '../service-client.js';

const usage = `usage: vigil cancel [--url ${DEFAULT_SERVICE_URL}]

Stops the running 'vigil serve' at --url (or VIGIL_URL) gracefully, as SIGTERM does: it stops consuming,
drains, checkpoints, commits its offsets and exits 0. Returns once the service has accepted (it may still be
draining). The bearer token comes from VIGIL_TOKEN.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({ args: [...args], options: { url: { type: 'string' }, ...HELP }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const target = serviceTarget(values.url, io.env);
  return againstService(io, 'cancel', async () => {
    await callService(target, { method: 'POST', path: '/api/job/cancel' });
    io.stderr(`vigil cancel: the service at ${target.url} is stopping (draining, checkpointing, committing)\n`);
    return ExitCode.ok;
  });
};
