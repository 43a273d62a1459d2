// The reproduce CLI (scripts/reproduce.ts): flags, the files it writes, and every way a run can
// fail without losing a result. The in-process tests call main() with fake experiments on a real
// file system; the last describe runs the real CLI as a child process.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromJson, toJson, writeIndex, RESULTS_SCHEMA, type Experiment, type ExperimentReport } from '../../src/experiment/node.js';
import { main, parseArgs, parseSeeds, seedsFor } from '../../scripts/reproduce.js';
import { all, byClass, checkSvg, parseXml } from '../helpers/xml.js';
import { fake, fakeResult, passing, Sink, tmp } from './fakes.js';

describe('reproduce CLI', () => {
  it('parses its flags', () => {
    expect(parseArgs([])).toMatchObject({ papers: [], mode: 'quick', seeds: [0], device: 'cpu', out: 'out', list: false, resume: false });
    expect(parseArgs(['--full']).seeds).toEqual([0, 1, 2]);
    expect(parseArgs(['--paper', 'a,b', '--paper=c', '--seeds', '4', '--device', 'webgpu', '--out', 'x', '--jobs', '2', '--resume'])).toMatchObject({
      papers: ['a', 'b', 'c'],
      seeds: [0, 1, 2, 3],
      device: 'webgpu',
      out: 'x',
      jobs: 2,
      resume: true,
    });
    // Every form of --seeds: a count, a list, a range, lists of ranges; --seed for one seed.
    expect(parseArgs(['--seeds', '3,7']).seeds).toEqual([3, 7]);
    expect(parseArgs(['--seeds', '10-13']).seeds).toEqual([10, 11, 12, 13]);
    expect(parseArgs(['--seeds=0,5-7']).seeds).toEqual([0, 5, 6, 7]);
    expect(parseSeeds('--seeds', '2')).toEqual({ count: 2 });
    expect(parseArgs(['--seed', '5']).seeds).toEqual([5]);
  });

  it('a usage error names the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--seeds', '0'], /^--seeds must be ≥ 1, got 0$/],
      [['--seeds', 'x'], /^--seeds: "x" in "x" is not a seed/],
      [['--seeds', '1,x'], /^--seeds: "x" in "1,x" is not a seed/],
      [['--seeds', '1,,2'], /^--seeds: an empty item in "1,,2"$/],
      [['--seeds', '1,1'], /^--seeds: seed 1 is given twice/],
      [['--seeds', '5-3'], /^--seeds: the range 5-3 runs backwards$/],
      [['--seed', '-1'], /^--seed needs a non-negative integer/],
      [['--device', 'tpu'], /^--device must be cpu or webgpu, got "tpu"$/],
      [['--bogus'], /^unknown flag --bogus$/],
      [['--full=yes'], /^--full takes no value/],
      [['stray'], /^unexpected argument "stray"/],
      [['--paper'], /^--paper needs a value$/],
      [['--paper='], /^--paper needs experiment names, got ""$/],
      [['--paper', 'a,'], /^--paper needs experiment names, got "a,"$/],
      [['--out='], /^--out needs a folder/],
      [['--jobs', '0'], /^--jobs must be ≥ 1/],
      [['--seeds', '99999999999999999999'], /^--seeds: 99999999999999999999 is too large$/],
      [['--seeds', '20000'], /^--seeds: 20000 seeds is more than 10000$/],
      [['--seed', '1.5'], /^--seed needs a non-negative integer, got "1.5"$/],
      [['--seeds', '-1'], /^--seeds: "-1" in "-1" is not a seed/],
      [['--jobs', '1e9'], /^--jobs needs a non-negative integer, got "1e9"$/],
    ];
    for (const [argv, msg] of cases) expect(() => parseArgs(argv), argv.join(' ')).toThrow(msg);
  });

  it('usage errors and --list', async () => {
    const out = new Sink();
    const err = new Sink();
    expect(await main(['--paper', 'nope'], { registry: [fake('f')], stdout: out, stderr: err })).toBe(2);
    expect(err.text).toMatch(/^reproduce: --paper: unknown experiment nope; registered: f\nusage:/);
    expect(await main(['--list'], { registry: [fake('f')], stdout: out, stderr: err })).toBe(0);
    expect(out.text).toMatch(/f {2}Fake f \(Tester, Nowhere 2024, arXiv:0000\.00000\)/);
    expect(out.text).toMatch(/- seed-small: seed < 2/);
  });

  it("an experiment's defaultSeeds raises the default count only: --seeds and --seed still decide", async () => {
    const many = passing('many', { defaultSeeds: 3 });
    const one = passing('one');
    expect(seedsFor(parseArgs([]), many)).toEqual([0, 1, 2]);
    expect(seedsFor(parseArgs([]), one)).toEqual([0]);
    expect(seedsFor(parseArgs(['--full']), passing('few', { defaultSeeds: 2 }))).toEqual([0, 1, 2]); // full's 3 is more
    expect(seedsFor(parseArgs(['--seeds', '2']), many)).toEqual([0, 1]);
    expect(seedsFor(parseArgs(['--seed', '7']), many)).toEqual([7]);
    const dir = tmp();
    const out = new Sink();
    expect(await main(['--out', dir], { registry: [many, one], stdout: out, stderr: out }), out.text).toBe(0);
    expect(out.text).toMatch(/many: seeds 0-2: their claims are stated over that many seeds\); 4 job\(s\)/);
    const seedsOf = (name: string) => fromJson<ExperimentReport>(readFileSync(join(dir, name, 'results.json'), 'utf8')).seeds;
    expect([seedsOf('many'), seedsOf('one')]).toEqual([[0, 1, 2], [0]]);
    // --resume finds the same jobs.
    const again = new Sink();
    expect(await main(['--out', dir, '--resume'], { registry: [many, one], stdout: again, stderr: again })).toBe(0);
    expect(again.text).toMatch(/0 job\(s\) \(4 more from the output folder, --resume\)/);
  });

  it('passing run: exit 0, results.json, well-formed SVGs and index.html', async () => {
    const dir = tmp();
    const out = new Sink();
    const code = await main(['--seeds', '2', '--out', dir], { registry: [passing('good')], stdout: out, stderr: out });
    expect(code, out.text).toBe(0);
    // Plain (non-TTY) progress lines and the printed report.
    expect(out.text).toMatch(/\[good seed=0\] 50% half/);
    expect(out.text).toMatch(/✓ acc: mean 0\.905 \(seeds: 0\.9, 0\.91\) \(need ≥ 0\.9\)/);
    expect(out.text).toMatch(/metrics \(mean ± s\.e\. over 2 seeds\)/);
    expect(out.text).toMatch(/✓ 1\/1 experiment\(s\) passed, 1\/1 claim checks pass/);

    const files = readdirSync(join(dir, 'good')).sort();
    expect(files).toEqual(['bars.svg', 'curve.svg', 'heat.svg', 'path.svg', 'points.svg', 'results.json', 'seeds']);
    expect(readdirSync(join(dir, 'good', 'seeds')).sort()).toEqual(['0.json', '1.json']);
    expect(readdirSync(dir).sort()).toEqual(['good', 'index.html']); // the staging folder is gone
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'good', 'results.json'), 'utf8'));
    expect(r.schema).toBe(RESULTS_SCHEMA);
    expect(r).toMatchObject({ name: 'good', mode: 'quick', device: 'cpu', seeds: [0, 1], pass: true, errors: [] });
    expect(r.paper.title).toBe('Fake good');
    expect(r.runs.map((x) => x.seed)).toEqual([0, 1]);
    expect(r.runs[1]!.result!.claims[0]!.value).toBeCloseTo(0.91, 12);
    expect(r.aggregate.claims[0]).toMatchObject({ name: 'acc', kind: 'seed', pass: true, comparison: '>=', threshold: 0.9 });
    expect(r.aggregate.series.map((s) => s.name)).toEqual(['curve', 'bars', 'heat', 'points', 'path']);
    expect(typeof r.seconds).toBe('number');

    const line = checkSvg(readFileSync(join(dir, 'good', 'curve.svg'), 'utf8'));
    expect(byClass(line, 'path', 'band')).toHaveLength(1); // the seeds' min–max band
    expect(byClass(line, 'path', 'line')).toHaveLength(1);
    const bars = checkSvg(readFileSync(join(dir, 'good', 'bars.svg'), 'utf8'));
    expect(byClass(bars, 'rect', 'bar')).toHaveLength(2);
    expect(byClass(bars, 'path', 'error').length).toBeGreaterThan(0);
    expect(byClass(checkSvg(readFileSync(join(dir, 'good', 'heat.svg'), 'utf8')), 'rect', 'cell')).toHaveLength(4);
    checkSvg(readFileSync(join(dir, 'good', 'points.svg'), 'utf8'));
    checkSvg(readFileSync(join(dir, 'good', 'path.svg'), 'utf8'));

    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const page = parseXml(html, { allowDoctype: true });
    expect(page.name).toBe('html');
    expect(all(page, (e) => e.name === 'h2').map((e) => e.text)).toEqual(['good']);
    expect(all(page, (e) => e.name === 'svg')).toHaveLength(5);
    expect(html).toContain('1 of 1 claims pass');
  });

  it('a failing claim gives exit 1 and the report marks it', async () => {
    const dir = tmp();
    const out = new Sink();
    const code = await main(['--seeds', '3', '--out', dir], { registry: [fake('bad')], stdout: out, stderr: out });
    expect(code).toBe(1);
    expect(out.text).toMatch(/✗ seed-small: mean 1 \(seeds: 0, 1, 2\) \(need < 2\) fails for seed 2/);
    expect(out.text).toMatch(/✗ 0\/1 experiment\(s\) passed, 1\/2 claim checks pass/);
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'bad', 'results.json'), 'utf8'));
    expect(r.pass).toBe(false);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('1 of 2 claims pass');
    expect(html).toContain('bad (FAILED)');
  });

  it('a throwing experiment is reported by name, the others still run, exit 1', async () => {
    const dir = tmp();
    const out = new Sink();
    const thrower = fake('thrower', {
      run: () => {
        throw new Error('deliberate failure');
      },
    });
    const code = await main(['--out', dir], { registry: [thrower, passing('after')], stdout: out, stderr: out });
    expect(code).toBe(1);
    expect(out.text).toMatch(/ERROR: experiment thrower \(seed 0\) threw:\nError: deliberate failure/);
    expect(existsSync(join(dir, 'after', 'results.json'))).toBe(true);
    expect(existsSync(join(dir, 'thrower', 'results.json'))).toBe(true);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    parseXml(html, { allowDoctype: true });
    expect(html).toContain('thrower (FAILED)');
    expect(html).toContain('deliberate failure');
  });

  it('index.html collects every results.json in the output folder, registry order first', async () => {
    const dir = tmp();
    const sink = new Sink();
    await main(['--out', dir], { registry: [passing('zeta')], stdout: sink, stderr: sink });
    await main(['--out', dir], { registry: [passing('alpha')], stdout: sink, stderr: sink });
    writeFileSync(join(dir, 'junk.json'), '{}');
    writeIndex(dir, ['zeta']);
    const page = parseXml(readFileSync(join(dir, 'index.html'), 'utf8'), { allowDoctype: true });
    expect(all(page, (e) => e.name === 'h2').map((e) => e.text)).toEqual(['zeta', 'alpha']);
    // A table of contents and a summary of every claim, both linking to each experiment's anchor.
    expect(all(page, (e) => e.name === 'section').map((e) => e.attrs.id)).toEqual(['zeta', 'alpha']);
    const toc = all(page, (e) => e.name === 'nav')[0]!;
    expect(all(toc, (e) => e.name === 'a').map((a) => a.attrs.href)).toEqual(['#zeta', '#alpha']);
    const summary = all(page, (e) => e.name === 'table' && e.attrs.class === 'summary-claims')[0]!;
    const rows = all(summary, (e) => e.name === 'tr' && e.parent?.name === 'tbody');
    expect(rows.map((r) => [all(r, (e) => e.name === 'a')[0]!.attrs.href, all(r, (e) => e.name === 'td')[1]!.text, r.attrs.class])).toEqual([
      ['#zeta', 'acc', 'pass'],
      ['#alpha', 'acc', 'pass'],
    ]);
  });

  it('sanity checks and findings get their own summary tables; findings never fail the run', async () => {
    const dir = tmp();
    const sink = new Sink();
    const exp = passing('kinds', {
      sanity: [{ name: 'identity', description: 'x = x' }],
      findings: [{ name: 'paper-gain', description: 'the paper reports a gain ≥ 0.1' }],
      run: ({ seed }) => {
        const r = fakeResult(seed);
        r.claims = r.claims.filter((c) => c.name === 'acc');
        r.sanity = [{ name: 'identity', value: 0, comparison: '<=', threshold: 1e-12, pass: true }];
        r.findings = [{ name: 'paper-gain', value: 0.01, comparison: '>=', threshold: 0.1, pass: false }];
        return r;
      },
    });
    expect(await main(['--out', dir], { registry: [exp], stdout: sink, stderr: sink }), sink.text).toBe(0);
    const page = parseXml(readFileSync(join(dir, 'index.html'), 'utf8'), { allowDoctype: true });
    const caption = (cls: string): string => all(page, (e) => e.name === 'table' && e.attrs.class === cls)[0]?.children.find((c) => c.name === 'caption')?.text ?? '';
    expect(caption('summary-claims')).toBe('Claims: all experiments');
    expect(caption('summary-sanity')).toMatch(/^Sanity checks/);
    expect(caption('summary-findings')).toMatch(/^Findings/);
    const finding = all(page, (e) => e.name === 'table' && e.attrs.class === 'summary-findings')[0]!;
    expect(all(finding, (e) => e.attrs.class === 'status').map((e) => e.text)).toEqual(['not reproduced']);
  });

  it("each run's folder holds only that run's files: figures and seeds of an earlier run are gone", async () => {
    const dir = tmp();
    const sink = new Sink();
    const drawing = (figs: string[]): Experiment =>
      passing('stale', {
        run: ({ seed }) => {
          const r = fakeResult(seed);
          r.claims = r.claims.filter((c) => c.name === 'acc');
          r.series = r.series.filter((s) => figs.includes(s.name));
          return r;
        },
      });
    expect(await main(['--out', dir, '--seeds', '3'], { registry: [drawing(['curve', 'bars'])], stdout: sink, stderr: sink })).toBe(0);
    expect(readdirSync(join(dir, 'stale')).sort()).toEqual(['bars.svg', 'curve.svg', 'results.json', 'seeds']);
    expect(await main(['--out', dir, '--seed', '1'], { registry: [drawing(['heat'])], stdout: sink, stderr: sink })).toBe(0);
    expect(readdirSync(join(dir, 'stale')).sort()).toEqual(['heat.svg', 'results.json', 'seeds']);
    expect(readdirSync(join(dir, 'stale', 'seeds'))).toEqual(['1.json']);
  });

  it('a failed run never overwrites a good earlier result, and --resume runs only the missing jobs', async () => {
    const dir = tmp();
    const ran: number[] = [];
    const counting = (failSeeds: number[]): Experiment =>
      passing('keep', {
        run: ({ seed }) => {
          ran.push(seed);
          if (failSeeds.includes(seed)) throw new Error('lost the device');
          const r = fakeResult(seed);
          r.claims = r.claims.filter((c) => c.name === 'acc');
          return r;
        },
      });
    const out = new Sink();
    expect(await main(['--out', dir, '--seeds', '2'], { registry: [counting([])], stdout: out, stderr: out })).toBe(0);
    const good = readFileSync(join(dir, 'keep', 'results.json'), 'utf8');

    // Seeds 1 and 2 throw: exit 1, one stack for the shared error, the earlier folder untouched.
    const out2 = new Sink();
    const err2 = new Sink();
    ran.length = 0;
    expect(await main(['--out', dir, '--seeds', '0-2'], { registry: [counting([1, 2])], stdout: out2, stderr: err2 })).toBe(1);
    expect(readFileSync(join(dir, 'keep', 'results.json'), 'utf8')).toBe(good);
    expect(readdirSync(join(dir, 'keep', 'seeds')).sort()).toEqual(['0.json', '1.json']);
    expect(out2.text.match(/threw:\n/g)).toHaveLength(1); // the stack once …
    expect(out2.text).toMatch(/ERROR: keep \(seed 2\): Error: lost the device \(as keep seed 1, stack above\)/); // … then one line
    expect(err2.text).toMatch(/^reproduce: 2 jobs failed:\n {2}Error: lost the device \(2 jobs, first keep seed 1\)\n/);
    expect(err2.text).toMatch(/reproduce: kept the earlier result of keep \(quick, cpu, seeds 0,1, finished .*\) in .*; this run failed/);

    // --resume: seed 0 of the failed run (saved when it ended) and seed 1 of the first run (in the
    // kept folder) are reused; only seed 2 runs again.
    ran.length = 0;
    const out3 = new Sink();
    expect(await main(['--out', dir, '--seeds', '0-2', '--resume'], { registry: [counting([])], stdout: out3, stderr: out3 }), out3.text).toBe(0);
    expect(ran).toEqual([2]);
    expect(out3.text).toMatch(/1 job\(s\) \(2 more from the output folder, --resume\)/);
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'keep', 'results.json'), 'utf8'));
    expect(r).toMatchObject({ seeds: [0, 1, 2], resumedSeeds: [0, 1], pass: true });
    expect(r.aggregate.claims[0]!.values.map((v) => v.seed)).toEqual([0, 1, 2]);
    expect(readdirSync(join(dir, 'keep', 'seeds')).sort()).toEqual(['0.json', '1.json', '2.json']);

    // Again with --resume: nothing left to run; a different mode is not reused.
    ran.length = 0;
    expect(await main(['--out', dir, '--seeds', '0-2', '--resume'], { registry: [counting([])], stdout: out3, stderr: out3 })).toBe(0);
    expect(ran).toEqual([]);
    expect(await main(['--out', dir, '--seeds', '0-2', '--resume', '--full'], { registry: [counting([])], stdout: out3, stderr: out3 })).toBe(0);
    expect(ran.sort()).toEqual([0, 1, 2]);
  });


  it('JSON keeps non-finite numbers', () => {
    const back = fromJson<{ a: number[] }>(toJson({ a: [NaN, Infinity, -Infinity, 1] }));
    expect(back.a).toEqual([NaN, Infinity, -Infinity, 1]);
  });
});

// ---------------------------------------------------------------------------
// The real CLI, as a child process, on a real file system
// ---------------------------------------------------------------------------

const ROOT = resolve(import.meta.dirname, '../..');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, ['scripts/run-ts.mjs', 'scripts/reproduce.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
/** Our own lines on stderr (Dawn may add its own warnings there). */
const ours = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('reproduce:'));
/** A JavaScript stack frame: a failure must come as a message, not a trace. */
const STACK = /^\s+at .*\.(ts|js|mjs):\d+/m;

describe('the reproduce CLI as a child process', () => {
  it('usage errors: exit 2 with one line naming the flag', () => {
    for (const [args, msg] of [
      [['--paper='], 'reproduce: --paper needs experiment names, got ""'],
      [['--paper', 'no-such-paper'], 'reproduce: --paper: unknown experiment no-such-paper; registered: example'],
      [['--seeds', '1,x'], 'reproduce: --seeds: "x" in "1,x" is not a seed'],
      [['--bogus'], 'reproduce: unknown flag --bogus'],
    ] as [string[], string][]) {
      const res = cli(args);
      expect(res.status, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(ours(res.stderr)).toHaveLength(1);
      expect(ours(res.stderr)[0]).toContain(msg);
      expect(res.stderr).not.toMatch(STACK);
      expect(res.stdout).toBe('');
    }
  });

  it('--out that cannot take files: exit 2 at once, before any work', () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const cases: [string, RegExp][] = [
      [file, /exists and is not a folder/],
      [join(file, 'sub'), /is inside a file \(.*a-file is not a folder\)/],
      ['/proc/papergrad-out', /is on a special file system \(proc at \/proc\)/], // mkdir -p here used to spin forever
      ['/sys/papergrad-out', /is on a special file system \(sysfs at \/sys\)|not writable|read-only/],
    ];
    // A real read-only mount, where this machine allows one (root ignores chmod, not a read-only mount).
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]).status === 0;
    if (mounted) cases.push([join(ro, 'out'), /is on a read-only file system/], [ro, /is on a read-only file system/]);
    else console.log('cli: read-only mount skipped (mount -t tmpfs -o ro is not allowed here)');
    try {
      for (const [out, msg] of cases) {
        const res = cli(['--paper', 'example', '--out', out]);
        expect(res.status, `--out ${out}: ${res.stderr}`).toBe(2);
        expect(ours(res.stderr)).toHaveLength(1);
        expect(ours(res.stderr)[0]).toMatch(msg);
        expect(res.stdout).toBe(''); // nothing ran
      }
      expect(readFileSync(file, 'utf8')).toBe('not a folder');
    } finally {
      if (mounted) spawnSync('umount', [ro]);
      rmdirSync(ro);
    }
  });

  it('an interrupted run continues with --resume; a device that is not there changes nothing', async () => {
    const dir = tmp();
    // One job at a time; SIGINT once seed 0 has ended.
    const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'scripts/reproduce.ts', '--paper', 'example', '--seeds', '2', '--jobs', '1', '--out', dir], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/\[example seed=0\] done/.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => done(c));
    });
    expect(code, stdout + stderr).toBe(130);
    expect(ours(stderr)).toEqual(['reproduce: interrupted; the finished jobs are saved: run the same command with --resume to continue']);
    expect(existsSync(join(dir, 'example'))).toBe(false); // no half-finished experiment folder
    expect(readdirSync(join(dir, '.partial', 'example', 'seeds'))).toEqual(['0.json']);

    const res = cli(['--paper', 'example', '--seeds', '2', '--jobs', '1', '--out', dir, '--resume']);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\[example seed=0\] from the earlier run in .* \(--resume\)/);
    expect(res.stdout).not.toMatch(/\[example seed=0\] started/);
    expect(res.stdout).toMatch(/\[example seed=1\] started/);
    const results = readFileSync(join(dir, 'example', 'results.json'), 'utf8');
    expect(fromJson<ExperimentReport>(results)).toMatchObject({ schema: RESULTS_SCHEMA, seeds: [0, 1], resumedSeeds: [0], pass: true });
    expect(readdirSync(dir).sort()).toEqual(['example', 'index.html']);

    // No WebGPU adapter (Vulkan pointed at no driver): one message, exit 2, the result untouched.
    const gpu = cli(['--paper', 'example', '--device', 'webgpu', '--out', dir], { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(gpu.status, gpu.stderr).toBe(2);
    expect(ours(gpu.stderr)).toHaveLength(1);
    expect(ours(gpu.stderr)[0]).toMatch(/^reproduce: --device webgpu: (no WebGPU adapter was found|the 'webgpu' package did not load.*); nothing was run$/);
    expect(gpu.stderr).not.toMatch(STACK);
    expect(readFileSync(join(dir, 'example', 'results.json'), 'utf8')).toBe(results);
  }, 120_000);
});
