// Sweeps on a Redis queue (packages/sweep) against a real redis-server on 127.0.0.1 and worker
// processes on this machine: the queued report equals the local one, enqueuing twice adds no
// work, the password never shows, and nothing is lost or counted twice when a worker is killed,
// a job throws or Redis restarts. Without redis-server or this package's dependencies the
// Redis tests print one "skipped" line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromJson, toJson, type ExperimentReport, type SeedRun } from '../../../src/experiment/node.js';
import { experiments } from '../../../src/papers/registry.js';
import { main, parseArgs } from '../../../scripts/reproduce.js';
import { parseQueueUrl, redact } from '../src/connection.js';
import { checkJobData, codeVersion, jobId, queueName } from '../src/jobs.js';
import { openQueue } from '../src/queue.js';
import { onlyHere, testExperiments } from './experiments.js';
import { REPO_ROOT, startRedis, sweepUnavailable, SWEEP_DIR, type TestRedis } from './redis.js';

const why = sweepUnavailable();
if (why) console.log(`Sweep (Redis queue) tests: skipped (${why})`);

const tmpDirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'papergrad-sweep-'));
  tmpDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('queue URLs and job ids (no Redis needed)', () => {
  it('parses redis:// and rediss:// URLs and never shows the password', () => {
    const plain = parseQueueUrl('redis://127.0.0.1:6390');
    expect(plain.options).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(plain.where).toBe('redis://127.0.0.1:6390');
    expect(parseQueueUrl('redis://queue.lan').where).toBe('redis://queue.lan:6379');

    const tls = parseQueueUrl('rediss://sweeper:p%40ss%20word@queue.example.org:6380/2');
    expect(tls.options).toEqual({ host: 'queue.example.org', port: 6380, db: 2, username: 'sweeper', password: 'p@ss word', tls: { servername: 'queue.example.org' } });
    expect(tls.where).toBe('rediss://sweeper:***@queue.example.org:6380/2');
    expect(redact('AUTH p@ss word / p%40ss%20word', tls)).toBe('AUTH *** / ***');
    expect(parseQueueUrl('rediss://:pw@[::1]:7000').options).toEqual({ host: '::1', port: 7000, password: 'pw', tls: {} });

    for (const [url, msg] of [
      ['http://u:hunter2x@host:1', /needs a redis:\/\/ or rediss:\/\/ URL, got a http: URL/],
      ['redis://u:hunter2x@host:1/db', /the database after the host must be a number/],
      ['redis://:hunter2x@host:1?tls=1', /no \?query/],
      ['hunter2x', /needs a Redis URL/],
    ] as const) {
      let message = '';
      try {
        parseQueueUrl(url);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, url).toMatch(msg);
      expect(message).not.toContain('hunter2x');
    }
  });

  it('reproduce --queue: usage errors never echo the URL', () => {
    expect(parseArgs(['--queue', 'redis://h:1']).queue).toBe('redis://h:1');
    expect(() => parseArgs(['--queue', 'http://u:hunter2x@h'])).toThrow(/^--queue needs a redis:\/\/ or rediss:\/\/ URL, e\.g\. redis:\/\/host:6379$/);
    expect(() => parseArgs(['--queue', 'redis://h:1', '--jobs', '2'])).toThrow(/--jobs does not apply with --queue/);
    expect(() => parseArgs(['--queue', 'redis://h:1', '--in-process'])).toThrow(/--in-process does not apply with --queue/);
  });

  it('without its dependencies, the loader says how to install them', async () => {
    // A copy of load.mjs where no node_modules can be found.
    const dir = tmp();
    copyFileSync(join(SWEEP_DIR, 'load.mjs'), join(dir, 'load.mjs'));
    const mod = (await import(pathToFileURL(join(dir, 'load.mjs')).href)) as { checkInstalled(): void };
    expect(() => mod.checkInstalled()).toThrow("the sweep package's dependencies are not installed (bullmq is missing): run `npm ci --prefix packages/sweep` once, then try again");
  });

  it('job ids are deterministic and name the code; job data is checked', () => {
    const v = codeVersion();
    expect(v).toMatch(/^[0-9a-f]{12}$/);
    expect(codeVersion()).toBe(v);
    const job = { code: v, experiment: 'example', mode: 'quick', device: 'cpu', seed: 3 } as const;
    expect(jobId(job)).toBe(`papergrad.${v}.example.quick.cpu.3`);
    expect(jobId({ ...job, code: 'other' })).not.toBe(jobId(job));
    expect(queueName('webgpu')).toBe('papergrad-webgpu');
    const good = { experiment: 'example', seed: 3, seeds: [3], mode: 'quick', device: 'cpu', code: v };
    expect(checkJobData(good)).toEqual(good);
    expect(checkJobData({ ...good, experiment: '../../etc' })).toMatch(/bad experiment name/);
    expect(checkJobData({ ...good, seed: -1 })).toMatch(/bad seed/);
    expect(checkJobData({ ...good, mode: 'slow' })).toMatch(/bad mode/);
    expect(checkJobData({ ...good, device: 'tpu' })).toMatch(/bad device/);
    expect(checkJobData('code')).toMatch(/no data object/);
  });
});

// ---------------------------------------------------------------------------------------------

/** Resolves once cond() holds; rejects when broken() gives a reason, or after a minute. */
async function until(cond: () => boolean, broken: () => string | null, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    const why = broken();
    if (why !== null) throw new Error(why);
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A child process whose output is collected; waitFor() resolves when a pattern shows up. */
class Proc {
  out = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.out += d));
    child.stderr!.on('data', (d) => (this.out += d));
    this.exited = new Promise((r) => child.on('exit', (code) => r(code)));
  }
  waitFor(re: RegExp): Promise<void> {
    return until(() => re.test(this.out), () => (this.child.exitCode !== null ? `exited (${this.child.exitCode}) before ${re}:\n${this.out}` : null), `${re}:\n${this.out}`);
  }
  count(re: RegExp): number {
    return this.out.match(new RegExp(re.source, 'g'))?.length ?? 0;
  }
}

const spawnNode = (args: string[], env: NodeJS.ProcessEnv = {}): Proc =>
  new Proc(spawn(process.execPath, ['--enable-source-maps', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));

class Sink {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}


/** results.json without what may differ between runs: timings and the workers' names. */
function normalized(text: string): string {
  const r = fromJson<ExperimentReport>(text);
  delete (r as Partial<ExperimentReport>).seconds;
  delete (r as Partial<ExperimentReport>).finishedAt;
  for (const run of r.runs) stripRun(run);
  return toJson(r);
}
function stripRun(run: Partial<SeedRun>): void {
  delete run.seconds;
  delete run.worker;
}
const normalizedSeed = (text: string): string => {
  const f = fromJson<{ run: SeedRun }>(text);
  stripRun(f.run);
  return toJson(f);
};
const readJson = <T>(p: string): T => fromJson<T>(readFileSync(p, 'utf8'));

describe.skipIf(!!why)('sweeps on a real Redis queue', { timeout: 180_000 }, () => {
  const procs: Proc[] = [];
  const redises: TestRedis[] = [];
  let bundle: (entry: string) => Promise<string>;
  let realWorker: string; // the bundle of src/sweep-worker.ts (papergrad's registry)
  let testWorker: string; // test/worker-entry.ts: the registry plus the test-only experiments

  beforeAll(async () => {
    const mod = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/bundle-ts.mjs')).href)) as { bundleTs(entry: string): Promise<string> };
    bundle = mod.bundleTs;
    realWorker = await bundle(join(SWEEP_DIR, 'src/sweep-worker.ts'));
    testWorker = await bundle(join(SWEEP_DIR, 'test/worker-entry.ts'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    for (const r of redises) await r.dispose();
  });

  describe('the real commands, with a password (and TLS where redis-server has it)', () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    let r: TestRedis;
    let url: string;
    let env: NodeJS.ProcessEnv;
    let workers: Proc[];
    const local = tmp();
    const queued = tmp();
    const cli = (args: string[]): Proc => spawnNode(['scripts/run-ts.mjs', 'scripts/reproduce.ts', ...args], env);

    beforeAll(async () => {
      r = await startRedis({ password, tls: true });
      redises.push(r);
      if (r.tlsPort === undefined) console.log('Sweep tests: TLS skipped (openssl or a TLS-enabled redis-server is missing); the password is tested over plain TCP');
      url = r.tlsPort !== undefined ? `rediss://:${password}@127.0.0.1:${r.tlsPort}` : `redis://:${password}@127.0.0.1:${r.port}`;
      env = r.caFile ? { NODE_EXTRA_CA_CERTS: r.caFile } : {};
      workers = ['alpha', 'beta'].map((name) => spawnNode([realWorker, '--queue', url, '--concurrency', '1', '--name', name], env));
      procs.push(...workers);
      await Promise.all(workers.map((w) => w.waitFor(/running cpu jobs from papergrad-cpu/)));
    });

    it('a queued sweep writes the same files as a local run (apart from timings and worker names)', async () => {
      const sink = new Sink();
      expect(await main(['--paper', 'example', '--seeds', '2', '--in-process', '--out', local], { stdout: sink, stderr: sink }), sink.text).toBe(0);
      const q = cli(['--paper', 'example', '--seeds', '2', '--queue', url, '--out', queued]);
      expect(await q.exited, q.out).toBe(0);
      expect(q.out).toContain(`on the queue at ${url.replace(password, '***')}`);
      expect(q.out).toMatch(/\[example seed=1\] done/);

      const a = readFileSync(join(local, 'example', 'results.json'), 'utf8');
      const b = readFileSync(join(queued, 'example', 'results.json'), 'utf8');
      expect(normalized(b)).toBe(normalized(a));
      // Only timings and worker names differ: take them out of the text and the bytes agree.
      const scrub = (t: string): string => t.replace(/\n\s*"worker": "[^"]*",?/g, '').replace(/"(seconds|finishedAt)": [^,\n]*/g, '"$1": 0').replace(/,(\n\s*})/g, '$1');
      expect(scrub(b)).toBe(scrub(a));
      const ran = fromJson<ExperimentReport>(b).runs.map((x) => x.worker);
      for (const w of ran) expect(['alpha', 'beta']).toContain(w);
      for (const f of readdirSync(join(local, 'example'))) {
        if (f.endsWith('.svg')) expect(readFileSync(join(queued, 'example', f), 'utf8'), f).toBe(readFileSync(join(local, 'example', f), 'utf8'));
      }
      for (const f of ['0.json', '1.json']) {
        expect(normalizedSeed(readFileSync(join(queued, 'example', 'seeds', f), 'utf8'))).toBe(normalizedSeed(readFileSync(join(local, 'example', 'seeds', f), 'utf8')));
      }
      const html = (d: string): string => readFileSync(join(d, 'index.html'), 'utf8').replace(/[\d.]+ s, finished [^<]*?Z\./g, 'T');
      expect(html(queued)).toBe(html(local));
      expect(workers.reduce((n, w) => n + w.count(/\[example seed=\d\] started/), 0)).toBe(2);
      for (const text of [q.out, ...workers.map((w) => w.out)]) expect(text).not.toContain(password);
    });

    it('enqueuing the same sweep again does no work: the stored results are used', async () => {
      const again = tmp();
      const q = cli(['--paper', 'example', '--seeds', '2', '--queue', url, '--out', again]);
      expect(await q.exited, q.out).toBe(0);
      expect(q.out).toMatch(/2 already done by an earlier sweep of the same code/);
      expect(workers.reduce((n, w) => n + w.count(/\[example seed=\d\] started/), 0)).toBe(2);
      expect(normalized(readFileSync(join(again, 'example', 'results.json'), 'utf8'))).toBe(normalized(readFileSync(join(queued, 'example', 'results.json'), 'utf8')));
      expect(q.out).not.toContain(password);
    });

    it('a wrong password: exit 2 before any work, and neither password is shown', async () => {
      const wrong = `bad-${randomBytes(8).toString('hex')}`;
      const sink = new Sink();
      const out = tmp();
      const code = await main(['--paper', 'example', '--queue', `redis://:${wrong}@127.0.0.1:${r.port}`, '--out', out], { stdout: sink, stderr: sink, openQueue: (u) => openQueue(u) });
      expect(code, sink.text).toBe(2);
      expect(sink.text).toMatch(new RegExp(`^reproduce: --queue: cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${r.port}: .*(WRONGPASS|NOAUTH|invalid).*; nothing was run\\n$`));
      expect(sink.text).not.toContain(wrong);
      expect(readdirSync(out)).toEqual([]);
    });

    it('workers stop cleanly on SIGTERM', async () => {
      for (const w of workers) w.child.kill('SIGTERM');
      for (const w of workers) expect(await w.exited, w.out).toBe(0);
      for (const w of workers) expect(w.out).not.toContain(password);
    });
  });

  describe('faults (test-only experiments, locks of 2 s)', () => {
    let r: TestRedis;
    let url: string;
    const marks = tmp();
    const registry = [...experiments, ...testExperiments, onlyHere];
    const worker = (name: string): Proc => {
      const p = spawnNode([testWorker, '--queue', url, '--concurrency', '1', '--name', name, '--lock-ms', '2000', '--stalled-ms', '500'], {
        PAPERGRAD_TEST_MARKS: marks,
        PAPERGRAD_TEST_SLOW_MS: '2000',
      });
      procs.push(p);
      return p;
    };
    /** reproduce --queue in this process, with the test registry. */
    const sweep = (args: string[], sink: Sink): Promise<number> =>
      main([...args, '--queue', url], { registry, stdout: sink, stderr: sink, openQueue: (u) => openQueue(u, { pollMs: 200 }) });
    let w2: Proc;
    let w3: Proc;

    beforeAll(async () => {
      r = await startRedis({ args: ['--appendfsync', 'always'] });
      redises.push(r);
      url = `redis://127.0.0.1:${r.port}`;
    });

    it('a worker killed mid-job (SIGKILL): another worker runs the job again, it counts once', async () => {
      const w1 = worker('w1');
      await w1.waitFor(/running cpu jobs/);
      const sink = new Sink();
      const out = tmp();
      const done = sweep(['--paper', 'slow', '--seeds', '0,1', '--out', out], sink);
      await w1.waitFor(/\[slow seed=0\] started on w1/);
      w1.child.kill('SIGKILL');
      expect(await w1.exited).toBe(null);
      w2 = worker('w2');
      w3 = worker('w3');
      expect(await done, sink.text).toBe(0);
      const rep = readJson<ExperimentReport>(join(out, 'slow', 'results.json'));
      expect(rep.runs.map((x) => x.seed)).toEqual([0, 1]);
      expect(rep.pass).toBe(true);
      expect(rep.runs[0]!.worker).toMatch(/^w[23]$/);
      expect(w2.count(/\[slow seed=0\] started/) + w3.count(/\[slow seed=0\] started/)).toBeGreaterThanOrEqual(1);
      expect(readdirSync(join(out, 'slow', 'seeds')).sort()).toEqual(['0.json', '1.json']);
      // --resume takes the results from the output folder: nothing goes on the queue.
      const resumed = new Sink();
      expect(await sweep(['--paper', 'slow', '--seeds', '0,1', '--out', out, '--resume'], resumed), resumed.text).toBe(0);
      expect(resumed.text).toMatch(/\[slow seed=1\] from the earlier run in .* \(--resume\)/);
      expect(resumed.text).toMatch(/queue: 0 job\(s\) on papergrad-cpu/);
      expect(readJson<ExperimentReport>(join(out, 'slow', 'results.json')).resumedSeeds).toEqual([0, 1]);
    });

    it('a job that throws is tried 3 times, then reported failed with its error; a first-try failure is retried once', async () => {
      const sink = new Sink();
      const out = tmp();
      expect(await sweep(['--paper', 'fails,flaky,only-here', '--seed', '0', '--out', out], sink), sink.text).toBe(1);
      const failed = readJson<ExperimentReport>(join(out, 'fails', 'results.json'));
      expect(failed.pass).toBe(false);
      expect(failed.errors).toHaveLength(1);
      expect(failed.errors[0]).toMatch(/^seed 0: Error: deliberate failure \(seed 0\)\n/);
      expect(failed.errors[0]).toMatch(/experiments\.ts:\d+/); // the experiment's own stack trace
      expect(failed.errors[0]).toMatch(/\(failed on 3 of 3 tries, the last on w[23]\)$/);
      expect(w2.count(/\[fails seed=0\] started/) + w3.count(/\[fails seed=0\] started/)).toBe(3);
      const flaky = readJson<ExperimentReport>(join(out, 'flaky', 'results.json'));
      expect(flaky.pass).toBe(true);
      expect(flaky.runs).toHaveLength(1);
      expect(w2.count(/\[flaky seed=0\] started/) + w3.count(/\[flaky seed=0\] started/)).toBe(2);
      const unknown = readJson<ExperimentReport>(join(out, 'only-here', 'results.json'));
      expect(unknown.errors[0]).toMatch(/^seed 0: no experiment named "only-here" is registered on worker w[23] \(registered: example, .*\)\n\(failed on 1 of 3 tries, the last on w[23]\)$/);
      expect(sink.text).toMatch(/ERROR: experiment fails \(seed 0\) threw:\nError: deliberate failure/);
      expect(sink.text).toMatch(/reproduce: 2 jobs failed:/);
    });

    it('Redis killed and restarted during a sweep: finished results are kept, the sweep completes', async () => {
      const sink = new Sink();
      const out = tmp();
      const seeds = [2, 3, 4, 5];
      const done = sweep(['--paper', 'slow', '--seeds', seeds.join(','), '--out', out], sink);
      await until(() => (sink.text.match(/\[slow seed=\d\] done/g) ?? []).length >= 2, () => null, sink.text);
      const before = [...sink.text.matchAll(/\[slow seed=(\d)\] done/g)].map((m) => Number(m[1]));
      await r.stop('SIGKILL');
      await new Promise((res) => setTimeout(res, 1000));
      await r.start();
      expect(await done, sink.text).toBe(0);
      // (progress lines of jobs that ran on may come between the two)
      expect(sink.text).toMatch(/queue: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+( \(.*\))?; waiting for it to come back\n(?:.*\n)*?queue: connected to Redis at redis:\/\/127\.0\.0\.1:\d+ again/);
      expect(w2.out + w3.out).toMatch(/sweep-worker w[23]: lost the connection to Redis/);
      const rep = readJson<ExperimentReport>(join(out, 'slow', 'results.json'));
      expect(rep.runs.map((x) => x.seed)).toEqual(seeds);
      expect(rep.pass).toBe(true);
      // The jobs finished before the crash were not run again.
      for (const s of before) expect(w2.count(new RegExp(`\\[slow seed=${s}\\] started`)) + w3.count(new RegExp(`\\[slow seed=${s}\\] started`)), `seed ${s}`).toBe(1);
      // And all four results are still on the queue: a second sweep takes them from there.
      const again = new Sink();
      expect(await sweep(['--paper', 'slow', '--seeds', seeds.join(','), '--out', tmp()], again), again.text).toBe(0);
      expect(again.text).toMatch(/4 already done by an earlier sweep/);
    });

    it('a worker with other code puts the job back and stops', async () => {
      for (const w of [w2, w3]) w.child.kill('SIGTERM');
      for (const w of [w2, w3]) expect(await w.exited, w.out).toBe(0);
      const { Queue } = await import('bullmq');
      const { Redis } = await import('ioredis');
      const conn = new Redis({ host: '127.0.0.1', port: r.port, maxRetriesPerRequest: null });
      const q = new Queue(queueName('cpu'), { connection: conn });
      const data = { experiment: 'slow', seed: 99, seeds: [99], mode: 'quick', device: 'cpu', code: 'other0000000' };
      await q.add('run', data, { jobId: jobId(data as Parameters<typeof jobId>[0]), attempts: 3 });
      const w4 = worker('w4');
      expect(await w4.exited, w4.out).toBe(2);
      expect(w4.out).toMatch(/was enqueued from papergrad code other0000000, but this worker runs code [0-9a-f]{12} \(its src\/ differs\): it went back on the queue/);
      expect(['delayed', 'waiting', 'wait']).toContain(await q.getJobState(jobId(data as Parameters<typeof jobId>[0])));
      await q.close();
      conn.disconnect();
    });
  });
});
