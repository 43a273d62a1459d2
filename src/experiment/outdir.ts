/**
 * The output folder's check (Node only): before any work, make sure results can be written there,
 * and say in one sentence why not otherwise.
 */
import { closeSync, mkdirSync, openSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** An output folder that cannot be used; the message says why, naming the path. */
export class OutDirError extends Error {}

/** statfs magic numbers of kernel file systems that are no place for files (proc, sysfs, …). */
const SPECIAL_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0xcafe4a11: 'bpf',
  0x62656570: 'configfs',
  0x6e736673: 'nsfs',
  0x50495045: 'pipefs',
  0x534f434b: 'sockfs',
  0xf97cff8c: 'selinuxfs',
  0x42494e4d: 'binfmt_misc',
};

function fsError(e: unknown, path: string, what: string): OutDirError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'EROFS' ? 'is on a read-only file system'
    : code === 'EACCES' || code === 'EPERM' ? 'is not writable (permission denied)'
    : code === 'ENOTDIR' ? 'has a file where a folder should be'
    : code === 'ENOSPC' ? 'has no space left'
    : `cannot be written (${code ?? (e as Error).message})`;
  return new OutDirError(`${what} ${path} ${why}`);
}

/**
 * Makes sure `dir` is a folder this process can write results into, creating it if needed, and
 * returns its absolute path. Throws an OutDirError at once, before any work, for an existing
 * regular file, a path on a special file system (/proc, /sys, …), a read-only file system or a
 * folder without write permission. Never uses a recursive mkdir (on /proc it never returns).
 */
export function prepareOutDir(dir: string): string {
  const abs = resolve(dir);
  // The nearest part of the path that exists.
  let existing = abs;
  const missing: string[] = [];
  for (;;) {
    let st;
    try {
      st = statSync(existing);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up; the walk finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(e, existing, 'the output folder');
      const up = dirname(existing);
      if (up === existing) throw new OutDirError(`the output folder ${abs}: no part of the path exists`);
      missing.unshift(existing);
      existing = up;
      continue;
    }
    if (!st.isDirectory()) {
      throw new OutDirError(existing === abs ? `the output folder ${abs} exists and is not a folder` : `the output folder ${abs} is inside a file (${existing} is not a folder)`);
    }
    break;
  }
  let type: number | undefined;
  try {
    type = Number(statfsSync(existing).type);
  } catch {
    // statfs is missing on some platforms; the write probe below still decides
  }
  if (type !== undefined && SPECIAL_FS[type]) throw new OutDirError(`the output folder ${abs} is on a special file system (${SPECIAL_FS[type]} at ${existing}), not a place for files`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, abs, 'the output folder');
    }
  }
  // Write permission is what a write shows (access() says yes to root even on a read-only mount).
  const probe = join(abs, `.papergrad-write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
  } catch (e) {
    throw fsError(e, abs, 'the output folder');
  }
  return abs;
}
