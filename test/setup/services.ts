/**
 * Vitest global setup: makes sure the backing services the integration tests use answer, starting the missing ones
 * with services/<name>/start.sh, so `npm test` needs no other set-up on a fresh machine.
 *
 * - Kafka counts as up when something accepts TCP on 127.0.0.1:$KAFKA_PORT (9092); Redis when PING on
 *   127.0.0.1:$REDIS_PORT (6379) answers PONG. One no test run started (a machine service, one you started) is
 *   used as it is and never stopped.
 * - A missing one is started with its (idempotent) start script, whose output is streamed to stderr with a prefix.
 *   If the script fails, the run stops at once with the script's last lines.
 * - Teardown stops what a test run started (services/<name>/stop.sh), unless another test run on this machine is
 *   still using it: runs take a lease per service and port under $TMPDIR/vigil-test-services, and the last one out
 *   stops it. A run interrupted before its teardown leaves the service up; the next run uses it and stops it.
 * - VIGIL_TEST_SERVICES=external: start and stop nothing (you run the services). VIGIL_TEST_KAFKA / VIGIL_TEST_REDIS
 *   set: that service is yours too. Otherwise they are set for the tests to 127.0.0.1 on KAFKA_PORT / REDIS_PORT.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PREFIX = '[services]';

interface Service {
  readonly name: 'kafka' | 'redis';
  readonly port: number;
  /** The variables the scripts read (KAFKA_* / REDIS_*), passed on to stop.sh so it finds the same instance. */
  readonly env: Record<string, string>;
  readonly answers: () => Promise<boolean>;
  /** Shell function in services/<name>/env.sh that prints the pid start.sh recorded, if that process still runs. */
  readonly pidFunction: string;
}

/** What the test run that started a service records, so whichever run is last out can stop it. */
interface Started {
  readonly pid: number;
  readonly root: string;
  readonly env: Record<string, string>;
}

const log = (line: string): void => {
  process.stderr.write(`${PREFIX} ${line}\n`);
};

function portFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${variable}=${raw} is not a port number`);
  return port;
}

function envWithPrefix(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith(prefix) && v !== undefined) out[k] = v;
  return out;
}

/** Resolves with the first bytes the peer sends back after `send` (or '' when it only accepts), or false. */
function probe(port: number, send: string | undefined, timeoutMs: number): Promise<string | false> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (result: string | false): void => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      if (send === undefined) finish('');
      else socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply);
    });
  });
}

function services(): Service[] {
  const out: Service[] = [];
  if (process.env['VIGIL_TEST_KAFKA'] === undefined) {
    const port = portFrom('KAFKA_PORT', 9092);
    process.env['VIGIL_TEST_KAFKA'] = `127.0.0.1:${port}`;
    out.push({
      name: 'kafka',
      port,
      env: envWithPrefix('KAFKA_'),
      answers: async () => (await probe(port, undefined, 1000)) !== false,
      pidFunction: 'broker_pid',
    });
  } else {
    log(`kafka: VIGIL_TEST_KAFKA=${process.env['VIGIL_TEST_KAFKA']} is set; using that broker as it is`);
  }
  if (process.env['VIGIL_TEST_REDIS'] === undefined) {
    const port = portFrom('REDIS_PORT', 6379);
    process.env['VIGIL_TEST_REDIS'] = `redis://127.0.0.1:${port}`;
    out.push({
      name: 'redis',
      port,
      env: envWithPrefix('REDIS_'),
      answers: async () => {
        const reply = await probe(port, 'PING\r\n', 2000);
        return reply !== false && reply.startsWith('+PONG');
      },
      pidFunction: 'redis_pid',
    });
  } else {
    log(`redis: VIGIL_TEST_REDIS=${process.env['VIGIL_TEST_REDIS']} is set; using that server as it is`);
  }
  return out;
}

/** Runs a services/ script, streaming its output with a prefix; rejects with its last lines when it fails. */
function runScript(root: string, relative: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(root, relative)], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const pipe = (stream: NodeJS.ReadableStream): void => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          process.stderr.write(`[${relative}] ${line}\n`);
          tail.push(line);
          if (tail.length > 40) tail.shift();
        }
      });
      stream.on('end', () => {
        if (pending !== '') {
          process.stderr.write(`[${relative}] ${pending}\n`);
          tail.push(pending);
        }
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.once('error', reject);
    // 'close' waits for the output pipes; both scripts detach their daemons from them.
    child.once('close', (code, signal) => {
      if (code === 0) return resolvePromise();
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      const last = tail.length > 0 ? `. Its last lines:\n${tail.map((l) => `  ${l}`).join('\n')}` : ' (no output)';
      reject(new Error(`bash ${relative} failed (${how})${last}`));
    });
  });
}

/** The pid the service's start.sh recorded in `root`, if that process is still the service. */
function servicePid(root: string, service: Service, env: Record<string, string>): number | undefined {
  const envSh = join(root, 'services', service.name, 'env.sh');
  const r = spawnSync('bash', ['-c', `source "$1" && ${service.pidFunction}`, 'pid', envSh], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const pid = Number(r.stdout.trim());
  return r.status === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per service and port, shared by every checkout and test run on this machine. */
class Leases {
  readonly dir: string;
  private readonly lockDir: string;
  private readonly markerFile: string;
  private readonly leaseFile: string;

  constructor(service: Service) {
    this.dir = join(tmpdir(), 'vigil-test-services', `${service.name}-${service.port}`);
    this.lockDir = join(this.dir, 'lock');
    this.markerFile = join(this.dir, 'started.json');
    this.leaseFile = join(this.dir, `run-${process.pid}`);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Holds the lock while `body` runs; waits while another live test run holds it (it may be starting the service). */
  async locked<T>(what: string, body: () => Promise<T>): Promise<T> {
    let told = false;
    for (;;) {
      try {
        mkdirSync(this.lockDir);
        writeFileSync(join(this.lockDir, 'pid'), String(process.pid));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = this.lockHolder();
      if (holder === 'stale') {
        rmSync(this.lockDir, { recursive: true, force: true });
        continue;
      }
      if (!told && holder !== undefined) {
        log(`${what}: waiting for test run pid ${holder}, which is starting or stopping it`);
        told = true;
      }
      await sleep(200);
    }
    try {
      return await body();
    } finally {
      rmSync(this.lockDir, { recursive: true, force: true });
    }
  }

  /** The live pid holding the lock, 'stale' when its holder is gone, undefined when it is being taken right now. */
  private lockHolder(): number | 'stale' | undefined {
    try {
      const pid = Number(readFileSync(join(this.lockDir, 'pid'), 'utf8'));
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : 'stale';
    } catch {
      try {
        // A holder writes its pid right after mkdir; a lock without one for long was left by a killed run.
        return Date.now() - statSync(this.lockDir).mtimeMs > 5000 ? 'stale' : undefined;
      } catch {
        return undefined;
      }
    }
  }

  take(): void {
    writeFileSync(this.leaseFile, '');
  }

  drop(): void {
    rmSync(this.leaseFile, { force: true });
  }

  /** Other test runs still holding a lease; leases of runs that died are removed. */
  others(): number[] {
    const out: number[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = /^run-(\d+)$/.exec(name);
      if (m === null) continue;
      const pid = Number(m[1]);
      if (pid === process.pid) continue;
      if (alive(pid)) out.push(pid);
      else rmSync(join(this.dir, name), { force: true });
    }
    return out;
  }

  readStarted(): Started | undefined {
    try {
      return JSON.parse(readFileSync(this.markerFile, 'utf8')) as Started;
    } catch {
      return undefined;
    }
  }

  writeStarted(started: Started): void {
    writeFileSync(this.markerFile, JSON.stringify(started));
  }

  clearStarted(): void {
    rmSync(this.markerFile, { force: true });
  }
}

async function ensure(service: Service): Promise<void> {
  const leases = new Leases(service);
  await leases.locked(service.name, async () => {
    leases.take();
    if (await service.answers()) {
      log(`${service.name}: answering on 127.0.0.1:${service.port}; using it`);
      return;
    }
    const script = `services/${service.name}/start.sh`;
    log(`${service.name}: nothing answers on 127.0.0.1:${service.port}; running bash ${script}`);
    try {
      await runScript(ROOT, script, service.env);
    } catch (error) {
      leases.drop();
      throw error;
    }
    const pid = servicePid(ROOT, service, service.env);
    if (pid === undefined) {
      log(`${service.name}: started, but no pid file of start.sh's found; it will not be stopped after the run`);
      leases.clearStarted();
    } else {
      leases.writeStarted({ pid, root: ROOT, env: service.env });
    }
  });
}

async function release(service: Service): Promise<void> {
  const leases = new Leases(service);
  await leases.locked(service.name, async () => {
    leases.drop();
    const started = leases.readStarted();
    if (started === undefined) return; // not started by a test run: never ours to stop
    const others = leases.others();
    if (others.length > 0) {
      log(`${service.name}: still used by test run pid ${others.join(', ')}; leaving it running for that run to stop`);
      return;
    }
    // Stop only the very process a test run started, not one somebody started since from the same folder.
    if (servicePid(started.root, service, started.env) === started.pid) {
      log(`${service.name}: stopping the instance a test run started (pid ${started.pid})`);
      try {
        await runScript(started.root, `services/${service.name}/stop.sh`, started.env);
      } catch (error) {
        log(`${service.name}: ${(error as Error).message}`);
      }
    }
    leases.clearStarted();
  });
}

export default async function setup(): Promise<() => Promise<void>> {
  const mode = process.env['VIGIL_TEST_SERVICES'] ?? '';
  if (mode !== '' && mode !== 'auto' && mode !== 'external') {
    throw new Error(`VIGIL_TEST_SERVICES=${mode}: expected "external" (start nothing) or unset/"auto" (start what is missing)`);
  }
  const wanted = services();
  if (mode === 'external') {
    log('VIGIL_TEST_SERVICES=external: not starting or stopping Kafka or Redis');
    return async () => {};
  }
  const managed: Service[] = [];
  const teardown = async (): Promise<void> => {
    for (const service of managed.reverse()) await release(service);
  };
  try {
    for (const service of wanted) {
      managed.push(service);
      await ensure(service);
    }
  } catch (error) {
    // Vitest runs no teardown when setup throws: give back what this run took before failing the run.
    await teardown().catch((e: unknown) => log(`while giving back: ${(e as Error).message}`));
    throw new Error(`${(error as Error).message}\n(or set VIGIL_TEST_SERVICES=external and run the services yourself)`);
  }
  return teardown;
}
