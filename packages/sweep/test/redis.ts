// A real redis-server for the sweep tests and the speed-up measurement: started on 127.0.0.1 on a
// free port with packages/sweep/redis.conf (AOF on) and a fresh data folder; it can be killed
// and started again on the same port and folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SWEEP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Why the sweep tests cannot run here (redis-server or this package's dependencies missing), or null. */
export function sweepUnavailable(): string | null {
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status !== 0) return 'redis-server is not installed (Debian: apt-get install redis-server)';
  if (!existsSync(join(SWEEP_DIR, 'node_modules', 'bullmq', 'package.json'))) return "packages/sweep's dependencies are not installed (npm ci --prefix packages/sweep)";
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisOptions {
  /** requirepass */
  password?: string;
  /** Also listen with TLS (a self-signed certificate for 127.0.0.1, made with openssl). */
  tls?: boolean;
  /** Extra settings, e.g. ['--appendfsync', 'always']. */
  args?: string[];
}

export interface TestRedis {
  port: number;
  /** The TLS port, when tls was asked for and this redis-server and openssl can do it. */
  tlsPort?: number;
  /** The certificate to trust for TLS (NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  dir: string;
  /** SIGKILL (a crash: only what is in the AOF survives) or SIGTERM (a clean shutdown). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, or null without openssl. */
function makeCert(dir: string): { cert: string; key: string } | null {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? { cert, key } : null;
}

export async function startRedis(opts: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'papergrad-redis-'));
  const port = await freePort();
  const args = [join(SWEEP_DIR, 'redis.conf'), '--port', String(port), '--dir', dir, ...(opts.args ?? [])];
  if (opts.password) {
    // In a file, not on the command line, so that it is not in the process list.
    writeFileSync(join(dir, 'auth.conf'), `requirepass ${opts.password}\n`);
    args.splice(1, 0, '--include', join(dir, 'auth.conf'));
  }
  let tlsPort: number | undefined;
  let caFile: string | undefined;
  if (opts.tls) {
    const c = makeCert(dir);
    if (c) {
      tlsPort = await freePort();
      caFile = c.cert;
      args.push('--tls-port', String(tlsPort), '--tls-cert-file', c.cert, '--tls-key-file', c.key, '--tls-auth-clients', 'no');
    }
  }
  let proc: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let log = '';
    p.stdout!.on('data', (d) => (log += d));
    p.stderr!.on('data', (d) => (log += d));
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const check = (): void => {
        if (/Ready to accept connections/.test(log)) resolve();
        else if (p.exitCode !== null || Date.now() - t0 > 20_000) reject(new Error(`redis-server did not start:\n${log}`));
        else setTimeout(check, 20);
      };
      check();
    });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await gone;
  };
  await start();
  const r: TestRedis = { port, dir, start, stop, dispose: async () => (await stop('SIGKILL'), rmSync(dir, { recursive: true, force: true })) };
  if (tlsPort !== undefined) r.tlsPort = tlsPort;
  if (caFile !== undefined) r.caFile = caFile;
  return r;
}

/** The text of a file, or '' when it does not exist. */
export const readOr = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');
