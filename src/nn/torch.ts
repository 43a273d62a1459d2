// Loading a PyTorch state_dict (saved with safetensors) into a papergrad module.
//
// Each torch name goes through: the caller's nameMap (an explicit rename, or null to skip it), then
// the default rules: every dotted segment snake_case -> camelCase (running_mean -> runningMean,
// out_proj -> outProj, ln_1 -> ln1), nn.MultiheadAttention's packed in_proj_weight / in_proj_bias
// [3E, ...] split into qProj / kProj / vProj, and its q_proj_weight / k_proj_weight / v_proj_weight
// (used when kdim or vdim differ) -> qProj.weight / kProj.weight / vProj.weight. papergrad's own
// names pass through the rules unchanged, so a nameMap may return either form. Tensors listed in
// `transpose` (layouts that differ, e.g. GPT-2's Conv1D weights stored [in, out]) are transposed
// first. Values are cast to each target's dtype. Strict by default: anything missing, unexpected or
// of the wrong shape is an error that lists all of them, and nothing is modified.
import * as pg from '../autograd/index.js';
import type { Tensor } from '../autograd/index.js';
import type { Module } from './module.js';
import { loadBytes } from './checkpoint.js';

export type TorchNameMap = Record<string, string | null> | ((torchName: string) => string | null | undefined);

export interface TorchLoadOptions {
  /** torch name -> papergrad-side name (null: leave that tensor out; undefined / absent: keep the torch name). */
  nameMap?: TorchNameMap;
  /** torch names of 2-D tensors stored transposed relative to papergrad (transposed on load). */
  transpose?: string[] | ((torchName: string) => boolean);
  /** Throw when a target is missing or a torch tensor matches nothing (default true). Shape mismatches always throw. */
  strict?: boolean;
}

export interface TorchLoadReport {
  /** papergrad name <- torch name (a packed in_proj tensor feeds three names). */
  loaded: Record<string, string>;
  /** papergrad parameters and buffers that received nothing. */
  missingKeys: string[];
  /** torch tensors that matched nothing, with the name they were looked up under. */
  unexpectedKeys: string[];
  /** torch tensors the nameMap left out (mapped to null). */
  skipped: string[];
}

const camel = (segment: string) => segment.replace(/(?<=[^_])_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

/** papergrad names for one (already renamed) torch name: [name, part of a 3-way split along dim 0 or null]. */
export function torchToPapergradNames(name: string): [string, number | null][] {
  const parts = name.split('.');
  const last = parts.pop()!;
  const prefix = parts.map(camel).map((p) => p + '.').join('');
  const packed = /^in_proj_(weight|bias)$/.exec(last);
  if (packed) return ['qProj', 'kProj', 'vProj'].map((p, i) => [`${prefix}${p}.${packed[1]}`, i]);
  const separate = /^([qkv])_proj_weight$/.exec(last);
  if (separate) return [[`${prefix}${separate[1]}Proj.weight`, null]];
  return [[prefix + camel(last), null]];
}

/** A nameMap that renames whole dotted segments, e.g. {self_attn: 'attn', linear1: 'fc1'}. */
export function renameSegments(map: Record<string, string>): (torchName: string) => string {
  return (name) => name.split('.').map((s) => (Object.prototype.hasOwnProperty.call(map, s) ? map[s] : s)).join('.');
}

/** nn.TransformerEncoderLayer's submodule names -> TransformerBlock's (use with renameSegments). */
export const TORCH_ENCODER_LAYER_NAMES: Readonly<Record<string, string>> = Object.freeze({
  self_attn: 'attn', linear1: 'fc1', linear2: 'fc2', norm1: 'ln1', norm2: 'ln2',
});

function mapped(map: TorchNameMap | undefined, name: string): string | null {
  if (!map) return name;
  const v = typeof map === 'function' ? map(name) : Object.prototype.hasOwnProperty.call(map, name) ? map[name] : undefined;
  if (v === undefined) return name;
  if (v !== null && typeof v !== 'string') throw new Error(`loadTorchStateDict: nameMap gave ${typeof v} for ${JSON.stringify(name)} (expected a string, null or undefined)`);
  return v;
}

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/**
 * Loads a PyTorch state_dict into `module`: `source` is safetensors bytes (torch's
 * safetensors.torch.save_file) or tensors already loaded (pg.load(path)). See the file comment for
 * the name rules. Returns what was loaded and what did not match (non-strict).
 */
export function loadTorchStateDict(module: Module, source: Record<string, Tensor> | Uint8Array | ArrayBuffer, opts: TorchLoadOptions = {}): TorchLoadReport {
  const strict = opts.strict ?? true;
  return pg.tidy(() => {
    const sd = source instanceof Uint8Array || source instanceof ArrayBuffer ? loadBytes(source instanceof Uint8Array ? source : new Uint8Array(source)) : source;
    const targets = new Map<string, Tensor>([
      ...module.namedParameters({ removeDuplicate: false }),
      ...module.namedBuffers({ removeDuplicate: false, persistentOnly: true }),
    ]);
    const transposed = (k: string) => (typeof opts.transpose === 'function' ? opts.transpose(k) : (opts.transpose ?? []).includes(k));
    const values: Record<string, Tensor> = {};
    const report: TorchLoadReport = { loaded: {}, missingKeys: [], unexpectedKeys: [], skipped: [] };
    const problems: string[] = [];
    for (const [key, tensor] of Object.entries(sd)) {
      if (!(tensor instanceof pg.Tensor)) throw new Error(`loadTorchStateDict: ${JSON.stringify(key)} is not a Tensor`);
      const name = mapped(opts.nameMap, key);
      if (name === null) {
        report.skipped.push(key);
        continue;
      }
      let t = tensor;
      if (transposed(key)) {
        if (t.rank !== 2) throw new Error(`loadTorchStateDict: ${key} ${shapeStr(t)} is listed in transpose but is not 2-D`);
        t = t.transpose(0, 1);
      }
      for (const [target, part] of torchToPapergradNames(name)) {
        const dst = targets.get(target);
        if (!dst) {
          report.unexpectedKeys.push(target === key ? key : `${key} (as ${target})`);
          continue;
        }
        if (report.loaded[target] !== undefined) throw new Error(`loadTorchStateDict: ${report.loaded[target]} and ${key} both map to ${target}`);
        let v = t;
        if (part !== null) {
          if (v.shape[0] % 3) throw new Error(`loadTorchStateDict: ${key} ${shapeStr(v)} does not split into q, k, v along dim 0`);
          const n = v.shape[0] / 3;
          v = v.slice(0, part * n, (part + 1) * n);
        }
        if (v.shape.join() !== dst.shape.join()) {
          problems.push(`${target}: papergrad ${shapeStr(dst)}, torch ${key} ${part === null ? '' : `(part ${'qkv'[part]}) `}${shapeStr(v)}`);
          continue;
        }
        values[target] = (v.dtype === dst.dtype ? v : v.cast(dst.dtype)).contiguous();
        report.loaded[target] = key;
      }
    }
    report.missingKeys = [...targets.keys()].filter((k) => report.loaded[k] === undefined);
    if (problems.length || (strict && (report.missingKeys.length || report.unexpectedKeys.length))) {
      const lines = [`loadTorchStateDict: the state dict does not match ${module.constructor.name}:`];
      if (problems.length) lines.push(`  shape mismatches (${problems.length}):`, ...problems.map((p) => `    ${p}`));
      if (strict && report.missingKeys.length) lines.push(`  missing (${report.missingKeys.length}): ${report.missingKeys.join(', ')}`);
      if (strict && report.unexpectedKeys.length) lines.push(`  unexpected (${report.unexpectedKeys.length}): ${report.unexpectedKeys.join(', ')}`);
      if (strict) lines.push('  (pass a nameMap to rename, transpose for [in, out] weights, or strict: false to load what matches)');
      throw new Error(lines.join('\n'));
    }
    module.loadStateDict(values, { strict: false });
    return report;
  });
}
