/**
 * The example Experiment: on two interleaved spirals a ReLU MLP trained with SGD separates the
 * classes almost perfectly while a linear classifier stays near chance. Not a paper: it shows
 * the shape of an Experiment (the method in index.ts, its wiring to tables, figures and claims
 * here) and exercises the core (matmul, relu, logSoftmax, gather, backward, in-place SGD under
 * noGrad, tidy) end to end. See README.md.
 */
import * as pg from '../../autograd/index.js';
import { check, type Experiment, type Result, type RunOptions } from '../../experiment/index.js';
import { accuracy, crossEntropy, linearModel, makeSpirals, mlpModel, probabilityGrid, train, type Model, type SpiralConfig, type TrainConfig } from './index.js';

export const SETTINGS = {
  quick: {
    data: { nTrain: 512, nTest: 512, turns: 1, noise: 0.03 } satisfies SpiralConfig,
    mlp: { hidden: 32, steps: 600, batch: 64, lr: 0.05, momentum: 0.9, logEvery: 10 } satisfies TrainConfig,
    linear: { hidden: 0, steps: 300, batch: 64, lr: 0.05, momentum: 0.9, logEvery: 10 } satisfies TrainConfig,
    grid: 32,
  },
  full: {
    data: { nTrain: 2048, nTest: 2048, turns: 1, noise: 0.03 } satisfies SpiralConfig,
    mlp: { hidden: 64, steps: 3000, batch: 64, lr: 0.05, momentum: 0.9, logEvery: 25 } satisfies TrainConfig,
    linear: { hidden: 0, steps: 1000, batch: 64, lr: 0.05, momentum: 0.9, logEvery: 25 } satisfies TrainConfig,
    grid: 48,
  },
};

/** The claims' names, defined once: the checks, the README table and the tests use these. */
export const CLAIM = {
  mlpAccuracy: 'mlp-accuracy',
  linearNearChance: 'linear-near-chance',
  mlpBeatsLinear: 'mlp-beats-linear',
} as const;

/** Thresholds of the claims (chance is 0.5). */
export const MLP_MIN_ACC = 0.95;
export const LINEAR_MAX_ACC = 0.65;
export const MIN_GAP = 0.3;

async function meanLoss(model: Model, x: pg.Tensor, y: pg.Tensor): Promise<number> {
  const l = pg.noGrad(() => pg.tidy(() => crossEntropy(model.forward(x), y)));
  const v = await l.item();
  l.dispose();
  return v;
}

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const g = new pg.Generator(opts.seed);
  const trainSet = makeSpirals(s.data.nTrain, s.data, g);
  const testSet = makeSpirals(s.data.nTest, s.data, g);
  const linear = linearModel(g);
  const mlp = mlpModel(s.mlp.hidden, g);
  // Progress in units of work: a linear step costs about half an MLP step (measured on the CPU).
  const totalWork = 0.5 * s.linear.steps + s.mlp.steps;
  try {
    const linLog = await train(linear, trainSet, s.linear, g, (step) => {
      if (step % 10 === 0) opts.onProgress((0.5 * step) / totalWork, `linear step ${step}/${s.linear.steps}`);
    });
    const mlpLog = await train(mlp, trainSet, s.mlp, g, (step) => {
      if (step % 10 === 0) opts.onProgress((0.5 * s.linear.steps + step) / totalWork, `MLP step ${step}/${s.mlp.steps}`);
    });
    opts.onProgress(1, 'evaluating');

    const rows: (string | number)[][] = [];
    const acc: Record<string, { train: number; test: number }> = {};
    for (const m of [linear, mlp]) {
      const tr = await accuracy(m, trainSet);
      const te = await accuracy(m, testSet);
      acc[m.name] = { train: tr, test: te };
      const nParams = m.params.reduce((a, p) => a + p.size, 0);
      rows.push([m.name, nParams, tr, te, await meanLoss(m, testSet.x, testSet.y)]);
    }
    const grid = await probabilityGrid(mlp, s.grid, 1.2);

    // Test points by class, for the scatter plot.
    const xs = Array.from(await testSet.x.data());
    const ys = Array.from(await testSet.y.data());
    const pts = [0, 1].map((c) => ({ name: `class ${c}`, x: [] as number[], y: [] as number[] }));
    ys.forEach((c, i) => {
      pts[c]!.x.push(xs[2 * i]!);
      pts[c]!.y.push(xs[2 * i + 1]!);
    });

    const mlpAcc = acc['MLP']!.test;
    const linAcc = acc['linear']!.test;
    return {
      tables: [{ name: 'accuracy', columns: ['model', 'parameters', 'train accuracy', 'test accuracy', 'test loss'], rows }],
      series: [
        {
          name: 'loss',
          kind: 'line',
          title: 'Training loss (minibatch cross-entropy)',
          xLabel: 'SGD step',
          yLabel: 'loss',
          data: {
            logY: true,
            series: [
              { name: 'linear', x: linLog.steps, y: linLog.loss },
              { name: `MLP (2×${s.mlp.hidden} ReLU)`, x: mlpLog.steps, y: mlpLog.loss },
            ],
          },
        },
        {
          name: 'accuracy',
          kind: 'bar',
          title: 'Accuracy on two spirals',
          yLabel: 'accuracy',
          data: {
            categories: ['linear', `MLP (2×${s.mlp.hidden} ReLU)`],
            groups: [
              { name: 'train', values: [acc['linear']!.train, acc['MLP']!.train] },
              { name: 'test', values: [linAcc, mlpAcc] },
            ],
          },
        },
        {
          name: 'decision',
          kind: 'heatmap',
          title: 'MLP: P(class 1) over the input plane',
          xLabel: 'x₁ ∈ [−1.2, 1.2]',
          yLabel: 'x₂ ∈ [−1.2, 1.2]',
          data: { values: grid, vmin: 0, vmax: 1, colorbarLabel: 'P(class 1)', xLabels: [], yLabels: [], width: 560, height: 520 },
        },
        {
          name: 'data',
          kind: 'scatter',
          title: 'Test set',
          xLabel: 'x₁',
          yLabel: 'x₂',
          data: { series: pts, radius: 2.5, width: 560, height: 520 },
        },
      ],
      claims: [
        check(CLAIM.mlpAccuracy, mlpAcc, '>=', MLP_MIN_ACC, `MLP test accuracy on ${s.data.nTest} held-out points`),
        check(CLAIM.linearNearChance, linAcc, '<=', LINEAR_MAX_ACC, 'linear test accuracy (chance is 0.5)'),
        check(CLAIM.mlpBeatsLinear, mlpAcc - linAcc, '>=', MIN_GAP, 'MLP minus linear test accuracy'),
      ],
      notes: [`${s.data.nTrain} training / ${s.data.nTest} test points, ${s.data.turns} turn per arm, noise σ = ${s.data.noise}`],
    };
  } finally {
    for (const t of [...linear.params, ...mlp.params, trainSet.x, trainSet.y, testSet.x, testSet.y]) t.dispose();
  }
}

export const example: Experiment = {
  name: 'example',
  paper: {
    title: 'Example: a hidden layer is what separates two spirals',
    authors: 'papergrad (not a paper: the reference example of an Experiment)',
  },
  summary:
    'Two interleaved spirals (one turn each, arm 1 is arm 0 rotated by π). A linear softmax classifier and a ' +
    'two-hidden-layer ReLU MLP are trained with the same minibatch SGD (momentum 0.9), written directly on the core ops.',
  claims: [
    { name: CLAIM.mlpAccuracy, description: `the MLP reaches test accuracy ≥ ${MLP_MIN_ACC}` },
    { name: CLAIM.linearNearChance, description: `the linear model stays near chance: test accuracy ≤ ${LINEAR_MAX_ACC}` },
    { name: CLAIM.mlpBeatsLinear, description: `the MLP beats the linear model by ≥ ${MIN_GAP} test accuracy` },
  ],
  run,
};
