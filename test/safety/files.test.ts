// Safety, class "files": saves are atomic (write a temporary file, then rename), and the optional
// checksum turns every kind of damage to a file (each byte flipped, each truncation) into an error.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pg from '../../src/index.js';
import { load, loadBytes, loadBytesWithMetadata, loadTrainingState, save, saveBytes, saveTrainingState } from '../../src/nn/checkpoint.js';
import { crc32 } from '../../src/nn/checksum.js';

const small = () => ({ a: pg.tensor([1.5, -2, 3], { dtype: 'float32' }), b: pg.tensor([[1, 2], [3, 4]], { dtype: 'int32' }), c: pg.tensor([true, false]) });
const disposeAll = (sd: Record<string, pg.Tensor>) => Object.values(sd).forEach((t) => t.dispose());

describe('checksum', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
    // Incremental = one pass.
    const b = new TextEncoder().encode('hello, world');
    expect(crc32(b, crc32(b, 0, 0, 5), 5)).toBe(crc32(b));
  });

  it('every flipped bit and every truncation of a checksummed file is an error; without a checksum some are silent', () => {
    const sd = small();
    const good = saveBytes(sd, { note: 'x' }, { checksum: true });
    const plain = saveBytes(sd, { note: 'x' });
    const back = loadBytesWithMetadata(good);
    expect(back.metadata).toEqual({ note: 'x' }); // the checksum entry is not handed back
    expect(Array.from(back.tensors.a.dataSync())).toEqual([1.5, -2, 3]);
    disposeAll(back.tensors);
    const live = pg.memory().tensors;
    const KEY = '"papergrad.crc32"';
    const keyAt = new TextDecoder().decode(good).indexOf(KEY);
    expect(keyAt).toBeGreaterThan(8);
    let silentWithout = 0;
    for (let i = 0; i < good.length; i++)
      for (const bit of [0, 3, 7]) {
        const bad = good.slice();
        bad[i] ^= 1 << bit;
        // 'require': a flip inside the checksum's own key would otherwise read as "no checksum".
        expect(() => loadBytes(bad, { checksum: 'require' }), `byte ${i} bit ${bit}`).toThrow(/^(checkpoint|safetensors): /);
        if (i < keyAt || i >= keyAt + KEY.length) expect(() => loadBytes(bad), `byte ${i} bit ${bit}`).toThrow(/^(checkpoint|safetensors): /);
        if (i < plain.length) {
          const p = plain.slice();
          p[i] ^= 1 << bit;
          try {
            disposeAll(loadBytes(p));
            silentWithout++;
          } catch {
            // caught by the format checks
          }
        }
      }
    for (let n = 0; n < good.length; n++) expect(() => loadBytes(good.subarray(0, n)), `truncated to ${n}`).toThrow(/^(checkpoint|safetensors): /);
    expect(pg.memory().tensors).toBe(live); // refused loads allocate nothing that survives
    expect(silentWithout).toBeGreaterThan(0);
    disposeAll(sd);
  });

  it("'require' refuses a file without a checksum, 'skip' ignores a wrong one; the key is reserved", () => {
    const sd = small();
    const plain = saveBytes(sd);
    expect(() => loadBytes(plain, { checksum: 'require' })).toThrow(/has no checksum/);
    const good = saveBytes(sd, undefined, { checksum: true });
    disposeAll(loadBytes(good, { checksum: 'require' }));
    const dataByte = good.length - 2 - 16 - 1; // inside tensor b's int32 data
    const bad2 = good.slice();
    bad2[dataByte] ^= 4;
    expect(() => loadBytes(bad2)).toThrow(/checksum mismatch/);
    disposeAll(loadBytes(bad2, { checksum: 'skip' }));
    expect(() => loadBytes(good, { checksum: 'sometimes' as any })).toThrow(/checksum must be/);
    expect(() => saveBytes(sd, { 'papergrad.crc32': '00000000' })).toThrow(/reserved/);
    // Training states carry it too.
    const st = saveTrainingState({ model: sd, step: 3 }, { checksum: true });
    const loaded = loadTrainingState<{ model: Record<string, pg.Tensor>; step: number }>(st, { checksum: 'require' });
    expect(loaded.step).toBe(3);
    disposeAll(loaded.model);
    const st2 = st.slice();
    st2[st2.length - 20] ^= 1;
    expect(() => loadTrainingState(st2)).toThrow(/^(checkpoint|safetensors): /);
    disposeAll(sd);
  });
});

describe('atomic save', () => {
  it('a failed save leaves the old file and no temporary file; errors name the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-files-'));
    try {
      const sd = small();
      const path = join(dir, 'ck.safetensors');
      await save(path, sd, undefined, { checksum: true });
      const before = readFileSync(path);
      // The target is a folder: the rename fails after the bytes were written.
      const folder = join(dir, 'folder.safetensors');
      mkdirSync(folder);
      writeFileSync(join(folder, 'keep'), 'x');
      await expect(save(folder, sd)).rejects.toThrow(/could not write ".*folder\.safetensors"/);
      // A folder that does not exist.
      await expect(save(join(dir, 'missing', 'ck.safetensors'), sd)).rejects.toThrow(/could not write .*missing/);
      await expect(save('', sd)).rejects.toThrow(/expected a file path/);
      expect(readdirSync(dir).sort()).toEqual(['ck.safetensors', 'folder.safetensors']);
      expect(readFileSync(path).equals(before)).toBe(true);
      // Overwriting a good file works, and the result loads.
      await save(path, { a: pg.zeros([2]) }, undefined, { checksum: true });
      const back = await load(path, { checksum: 'require' });
      expect(Object.keys(back)).toEqual(['a']);
      disposeAll(back);
      disposeAll(sd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process killed while saving leaves a whole checkpoint (old or new), never a fragment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-kill-'));
    try {
      const path = join(dir, 'ck.safetensors');
      for (const delayMs of [5, 40, 150]) {
        const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'test/fixtures/save-loop.ts', path], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          child.on('exit', (code) => reject(new Error(`save loop exited early (${code})`)));
        });
        await new Promise((r) => setTimeout(r, delayMs));
        child.kill('SIGKILL');
        await new Promise((r) => child.on('exit', r));
        const got = await load(path, { checksum: 'require' });
        const v = got.w.dataSync();
        expect(v.length).toBe(4 << 20);
        expect(v[0] === 1 || v[0] === 2).toBe(true);
        expect(v[v.length - 1]).toBe(v[0]);
        disposeAll(got);
        // Leftover temporary files (the kill prevents their cleanup) never replace the checkpoint.
        for (const f of readdirSync(dir)) if (f !== 'ck.safetensors') rmSync(join(dir, f));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
