// DataLoader: mini-batches over tensors that share their first dimension, with seeded shuffling
// (pg.randperm with a generator, a new permutation each epoch), dropLast, per-sample dataset indices
// and a resumable position.
import * as pg from '../../autograd/index.js';

type Tensor = pg.Tensor;

/** A dataset: named tensors with the same first dimension, or a list ([x, y, ...]). */
export type Dataset = Record<string, Tensor> | Tensor[];

type Named<D> = D extends Tensor[] ? { x: Tensor; y: Tensor; tensors: Tensor[] } : { [K in keyof D]: Tensor };

/**
 * One batch: a slice of every dataset tensor, plus `index` (int32 [B]), the dataset index of each
 * row, for per-sample bookkeeping. For list datasets, `tensors` holds the slices in order and `x`,
 * `y` are the first two. `dispose()` frees the batch's tensors.
 */
export type Batch<D> = Named<D> & { index: Tensor; dispose(): void };

export interface DataLoaderOptions<D extends Dataset> {
  dataset: D;
  batchSize: number;
  /** Reshuffle at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Source of the permutations (default: the global generator). */
  generator?: pg.Generator;
  /** Drop the last, incomplete batch (default false). */
  dropLast?: boolean;
}

/** A loader's position, as JSON-friendly plain data (see stateDict). */
export type DataLoaderState = {
  /** Epochs started so far. */
  epoch: number;
  /** Batches served in the current epoch. */
  position: number;
  /** Generator state just before the current epoch's permutation was drawn (null: no shuffle / no epoch yet). */
  permState: { seed: number; offset: number } | null;
  /** The loader generator's current state (null without shuffling). */
  generator: { seed: number; offset: number } | null;
};

/**
 * Iterating a loader yields the remaining batches of the current epoch, starting a new epoch (and,
 * with shuffle, drawing a new permutation) when none is in progress. So breaking out of a loop and
 * iterating again continues where it stopped, which is what makes a restored position resume
 * exactly; call `newEpoch()` to abandon the rest of an epoch.
 */
export class DataLoader<D extends Dataset = Record<string, Tensor>> implements Iterable<Batch<D>> {
  readonly dataset: D;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: pg.Generator | null;
  /** Number of samples. */
  readonly n: number;
  private readonly names: string[];
  private readonly tensors: Tensor[];
  private _epoch = 0;
  private _position = 0;
  private order: Int32Array | null = null;
  private permState: { seed: number; offset: number } | null = null;

  constructor(opts: DataLoaderOptions<D>) {
    const { dataset, batchSize } = opts;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (Array.isArray(dataset)) {
      this.tensors = [...dataset];
      this.names = dataset.map((_, i) => (i === 0 ? 'x' : i === 1 ? 'y' : `t${i}`));
    } else if (dataset && typeof dataset === 'object') {
      this.names = Object.keys(dataset);
      this.tensors = this.names.map((k) => (dataset as Record<string, Tensor>)[k]);
      if (this.names.includes('index') || this.names.includes('dispose'))
        throw new Error("DataLoader: 'index' and 'dispose' are reserved batch keys; rename that dataset tensor");
    } else throw new Error('DataLoader: dataset must be {name: Tensor} or Tensor[]');
    if (this.tensors.length === 0) throw new Error('DataLoader: the dataset has no tensors');
    for (const [i, t] of this.tensors.entries()) {
      if (!(t instanceof pg.Tensor)) throw new Error(`DataLoader: dataset entry '${this.names[i]}' is not a Tensor`);
      if (t.rank === 0) throw new Error(`DataLoader: dataset tensor '${this.names[i]}' is 0-d (needs a sample dimension)`);
    }
    this.n = this.tensors[0].shape[0];
    for (const [i, t] of this.tensors.entries())
      if (t.shape[0] !== this.n)
        throw new Error(`DataLoader: dataset tensors differ in their first dimension ('${this.names[0]}' has ${this.n}, '${this.names[i]}' has ${t.shape[0]})`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = this.shuffle ? (opts.generator ?? pg.defaultGenerator()) : (opts.generator ?? null);
  }

  /** Batches per epoch. */
  get len(): number {
    return this.dropLast ? Math.floor(this.n / this.batchSize) : Math.ceil(this.n / this.batchSize);
  }
  get length(): number {
    return this.len;
  }
  /** Epochs started so far. */
  get epoch(): number {
    return this._epoch;
  }
  /** Batches served in the current epoch. */
  get position(): number {
    return this._position;
  }
  /** True while an epoch is started and not exhausted. */
  get inEpoch(): boolean {
    return this._epoch > 0 && this._position < this.len;
  }

  /** Starts a new epoch now (drawing its permutation), abandoning the rest of the current one. */
  newEpoch(): void {
    this._epoch += 1;
    this._position = 0;
    if (this.shuffle) {
      const g = this.generator!;
      this.permState = g.getState();
      this.order = drawPerm(this.n, g);
    } else {
      this.permState = null;
      this.order = null;
    }
  }

  /** The dataset indices of the current epoch, in serving order (a copy). */
  epochOrder(): Int32Array {
    if (this._epoch === 0) throw new Error('DataLoader: no epoch started yet');
    return this.order ? this.order.slice() : identity(this.n);
  }

  /** The next batch, rolling over into new epochs forever. */
  nextBatch(): Batch<D> {
    if (!this.inEpoch) this.newEpoch();
    if (this.len === 0) throw new Error(`DataLoader: no batches (n=${this.n}, batchSize=${this.batchSize}, dropLast=${this.dropLast})`);
    const start = this._position * this.batchSize;
    const end = Math.min(start + this.batchSize, this.n);
    this._position += 1;
    return this.makeBatch(start, end);
  }

  *[Symbol.iterator](): Iterator<Batch<D>> {
    if (!this.inEpoch) this.newEpoch();
    while (this._position < this.len) yield this.nextBatch();
  }

  private makeBatch(start: number, end: number): Batch<D> {
    const dev = this.tensors[0].device;
    const idxHost = this.order ? this.order.slice(start, end) : range(start, end);
    const order = this.order;
    // tidy: indexSelect's temporaries (the expanded index) are freed; the batch tensors survive.
    const { index, slices } = pg.tidy(() => {
      const index = pg.tensor(idxHost, { dtype: 'int32', device: dev, shape: [end - start] });
      const slices = this.tensors.map((t) => {
        if (!order) return t.narrow(0, start, end - start);
        const idx = t.device === dev ? index : pg.tensor(idxHost, { dtype: 'int32', device: t.device, shape: [end - start] });
        return t.indexSelect(0, idx);
      });
      return { index, slices };
    });
    const out: Record<string, unknown> = {};
    this.names.forEach((k, i) => (out[k] = slices[i]));
    if (Array.isArray(this.dataset)) out.tensors = slices;
    out.index = index;
    out.dispose = () => {
      index.dispose();
      for (const t of slices) t.dispose();
    };
    return out as Batch<D>;
  }

  stateDict(): DataLoaderState {
    return {
      epoch: this._epoch,
      position: this._position,
      permState: this.permState ? { ...this.permState } : null,
      generator: this.generator ? this.generator.getState() : null,
    };
  }

  /**
   * Restores a position saved by stateDict() on a loader over the same dataset: the current
   * epoch's permutation is redrawn from its saved generator state (a private copy, so a generator
   * shared with other draws is not disturbed) and the loader's generator is set to its saved state.
   */
  loadStateDict(sd: DataLoaderState): void {
    if (!sd || !Number.isInteger(sd.epoch) || sd.epoch < 0 || !Number.isInteger(sd.position) || sd.position < 0)
      throw new Error('DataLoader.loadStateDict: expected {epoch, position, permState, generator}');
    if (sd.position > this.len) throw new Error(`DataLoader.loadStateDict: position ${sd.position} is past the ${this.len} batches of an epoch`);
    if (this.shuffle && sd.epoch > 0 && !sd.permState) throw new Error('DataLoader.loadStateDict: a shuffling loader needs permState');
    this._epoch = sd.epoch;
    this._position = sd.position;
    if (this.shuffle && sd.permState) {
      const g = new pg.Generator(sd.permState.seed);
      g.setState(sd.permState);
      this.permState = { ...sd.permState };
      this.order = drawPerm(this.n, g);
    } else {
      this.permState = null;
      this.order = null;
    }
    if (this.generator && sd.generator) this.generator.setState(sd.generator);
  }
}

function drawPerm(n: number, g: pg.Generator): Int32Array {
  const t = pg.randperm(n, { generator: g, device: 'cpu' });
  const a = t.dataSync() as Int32Array;
  t.dispose();
  return a;
}

function range(start: number, end: number): Int32Array {
  const a = new Int32Array(end - start);
  for (let i = 0; i < a.length; i++) a[i] = start + i;
  return a;
}

function identity(n: number): Int32Array {
  return range(0, n);
}
