import { ExitCode } from '../io.js';
import { callService, DEFAULT_SERVICE_URL, serviceCommand } from '../service-client.js';

const usage = `usage: vigil cancel [--url ${DEFAULT_SERVICE_URL}]

Stops the running 'vigil serve' at --url (or VIGIL_URL) gracefully, as SIGTERM does: it stops consuming,
drains, checkpoints, commits its offsets and exits 0. Returns once the service has accepted (it may still be
draining). The bearer token comes from VIGIL_TOKEN.
`;

export const run = serviceCommand('cancel', usage, [], async (_values, target, io) => {
  await callService(target, { method: 'POST', path: '/api/job/cancel' });
  io.stderr(`vigil cancel: the service at ${target.url} is stopping (draining, checkpointing, committing)\n`);
  return ExitCode.ok;
});
