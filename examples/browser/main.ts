// The browser example: trains a small classifier from pg.nn in the page, on WebGPU when the
// browser has an adapter and on the CPU otherwise, and redraws the loss curve (an SVG from
// pg.figures) while it trains. At the end it draws the learned decision regions.
// Served by serve.mjs (`npm run example:browser`), which bundles this file with esbuild.
import * as pg from '../../src/index.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const STEPS = 100;

/** What the page leaves for a test to read (test/browser/browser.test.ts). */
interface State {
  done: boolean;
  device: pg.Device;
  reason: string;
  losses: number[];
  accuracy?: number;
  error?: string;
}
const state: State = { done: false, device: 'cpu', reason: '', losses: [] };
(window as unknown as { __example: State }).__example = state;

async function train(): Promise<void> {
  // WebGPU if there is an adapter; otherwise the CPU backend, which needs nothing from the browser.
  const gpu = await pg.initWebGPU();
  state.device = gpu.ok ? 'webgpu' : 'cpu';
  state.reason = gpu.ok ? `${gpu.info.vendor} ${gpu.info.architecture}`.trim() || 'WebGPU adapter' : gpu.reason;
  $('device').textContent = gpu.ok ? `WebGPU (${state.reason})` : `the CPU (no WebGPU: ${gpu.reason})`;

  // Four Gaussian blobs in the plane, and an MLP with two hidden layers.
  const g = new pg.Generator(0);
  const data = pg.data.gaussianMixture({ numClasses: 4, dim: 2, n: 256, separation: 4, std: 0.8, generator: g });
  const x = data.x.to(state.device);
  const y = data.y.to(state.device);
  const model = new pg.nn.MLP([2, 32, 32, 4], { generator: g }).to(state.device);
  const opt = new pg.optim.Adam(model.parameters(), { lr: 0.03 });

  for (let step = 0; step < STEPS; step++) {
    const loss = pg.tidy(() => {
      const l = pg.nn.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l;
    });
    state.losses.push(await loss.item()); // an async readback: works on both devices
    loss.dispose();
    if (step % 5 === 4 || step === STEPS - 1) {
      $('step').textContent = `step ${step + 1} / ${STEPS}, loss ${state.losses[step]!.toFixed(4)}`;
      $('loss').innerHTML = pg.figures.linePlot({
        title: `Training loss on ${state.device}`,
        xLabel: 'step',
        yLabel: 'cross-entropy',
        logY: true,
        series: [{ name: 'loss', x: state.losses.map((_, i) => i + 1), y: state.losses }],
        width: 560,
        height: 340,
      });
      await new Promise((r) => requestAnimationFrame(r)); // let the page repaint
    }
  }

  // Accuracy, and the predicted class over a grid of the plane.
  const acc = pg.tidy(() => model.forward(x).argmax(-1).eq(y).float().mean());
  const accuracy = await acc.item();
  state.accuracy = accuracy;
  acc.dispose();
  const n = 32;
  const pts: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pts.push(-5 + (10 * j) / (n - 1), 5 - (10 * i) / (n - 1));
  const grid = pg.tensor(pts, { dtype: 'float32' }).reshape([n * n, 2]).to(state.device);
  const cls = pg.tidy(() => model.forward(grid).argmax(-1));
  const c = Array.from(await cls.data(), Number);
  cls.dispose();
  grid.dispose();
  $('regions').innerHTML = pg.figures.heatmap({
    title: `Predicted class (training accuracy ${(100 * accuracy).toFixed(1)}%)`,
    values: Array.from({ length: n }, (_, i) => c.slice(i * n, (i + 1) * n)),
    xLabels: [],
    yLabels: [],
    colorbarLabel: 'class',
    width: 560,
    height: 400,
  });
  $('step').textContent += ` — done, accuracy ${(100 * accuracy).toFixed(1)}%`;
}

train()
  .catch((e: unknown) => {
    state.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    $('step').textContent = `failed: ${state.error}`;
  })
  .finally(() => {
    state.done = true;
  });
