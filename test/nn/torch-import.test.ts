// loadTorchStateDict: PyTorch modules saved with safetensors by test/fixtures/torch/make_fixtures.py,
// rebuilt layer for layer in papergrad, loaded, and run on the same input as in PyTorch (eval mode).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { expectAllClose, torchFixture, torchFixtureBytes } from '../helpers/torch.js';

const nn = pg.nn;
const input = (fx: any, k: string) => pg.tensor(fx.inputs[k].data, { dtype: 'float64', shape: fx.inputs[k].shape });
const f64 = { dtype: 'float64' as const };

function convnet(): pg.nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(3, 4, 3, { padding: 1, ...f64 }), new nn.BatchNorm2d(4, f64), new nn.ReLU(), new nn.MaxPool2d(2, { ceilMode: true }),
    new nn.Conv2d(4, 6, 3, f64), new nn.ReLU(), new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }), new nn.Flatten(),
    new nn.Linear(24, 5, f64), new nn.GELU(), new nn.Dropout(0.2), new nn.Linear(5, 3, f64));
}

describe('loadTorchStateDict', () => {
  it('a conv net (Conv2d, BatchNorm2d with running stats, pooling, Flatten, Linear, exact GELU) gives PyTorch\'s output', () => {
    const fx = torchFixture('convnet.json');
    const net = convnet();
    const report = nn.loadTorchStateDict(net, torchFixtureBytes('convnet.safetensors'));
    expect(report.missingKeys).toEqual([]);
    expect(report.unexpectedKeys).toEqual([]);
    expect(report.loaded['1.runningMean']).toBe('1.running_mean');
    expect(report.loaded['1.numBatchesTracked']).toBe('1.num_batches_tracked');
    expect((net[1] as pg.nn.BatchNorm2d).numBatchesTracked!.dataSync()[0]).toBe(3);
    net.eval();
    const y = net.forward(input(fx, 'x'));
    expect(y.shape).toEqual(fx.output.shape);
    expectAllClose(y.dataSync(), fx.output.data, { rtol: 1e-12, atol: 1e-14 });
  });

  for (const [tag, normFirst, activation] of [['post_relu', false, 'relu'], ['pre_gelu', true, 'gelu']] as const)
    it(`nn.TransformerEncoderLayer (norm_first=${normFirst}, ${activation}) -> TransformerBlock: in_proj split into q/k/v, renamed submodules`, () => {
      const fx = torchFixture(`encoder_layer_${tag}.json`);
      const block = new nn.TransformerBlock(8, 2, { dimFeedforward: 16, normFirst, activation, dropout: 0.1, activationDropout: 0.1, ...f64 });
      const report = nn.loadTorchStateDict(block, torchFixtureBytes(`encoder_layer_${tag}.safetensors`), { nameMap: nn.renameSegments(nn.TORCH_ENCODER_LAYER_NAMES) });
      expect(report.loaded['attn.kProj.weight']).toBe('self_attn.in_proj_weight');
      expect(report.loaded['attn.vProj.bias']).toBe('self_attn.in_proj_bias');
      block.eval();
      const y = block.forward(input(fx, 'x'), { causal: true });
      expectAllClose(y.dataSync(), fx.output.data, { rtol: 1e-12, atol: 1e-13 });
    });

  it('nn.MultiheadAttention with kdim / vdim: q_proj_weight, k_proj_weight, v_proj_weight', () => {
    const fx = torchFixture('mha_kdim_vdim.json');
    const mha = new nn.MultiHeadAttention(8, 4, { kdim: 5, vdim: 3, ...f64 });
    nn.loadTorchStateDict(mha, torchFixtureBytes('mha_kdim_vdim.safetensors'));
    const y = mha.forward(input(fx, 'q'), { key: input(fx, 'k'), value: input(fx, 'v') });
    expectAllClose(y.dataSync(), fx.output.data, { rtol: 1e-12, atol: 1e-13 });
  });

  it('transposes [in, out] weights (GPT-2 Conv1D layout) with an explicit name map', () => {
    const fx = torchFixture('conv1d_mlp.json');
    const mlp = new nn.Sequential(new nn.Linear(6, 12, f64), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(12, 4, f64));
    const nameMap = { 'c_fc.weight': '0.weight', 'c_fc.bias': '0.bias', 'c_proj.weight': '2.weight', 'c_proj.bias': '2.bias' };
    // Without the transpose the shapes disagree, and the error says which.
    expect(() => nn.loadTorchStateDict(mlp, torchFixtureBytes('conv1d_mlp.safetensors'), { nameMap }))
      .toThrow(/shape mismatches \(2\):\n {4}0\.weight: papergrad \[12, 6\], torch c_fc\.weight \[6, 12\]/);
    nn.loadTorchStateDict(mlp, torchFixtureBytes('conv1d_mlp.safetensors'), { nameMap, transpose: ['c_fc.weight', 'c_proj.weight'] });
    expectAllClose(mlp.forward(input(fx, 'x')).dataSync(), fx.output.data, { rtol: 1e-12, atol: 1e-14 });
  });

  it('strict by default: lists missing and unexpected names and changes nothing; non-strict reports them', () => {
    const bytes = torchFixtureBytes('convnet.safetensors');
    const net = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: 1, ...f64 }), new nn.BatchNorm2d(4, f64), new nn.Linear(2, 2, f64));
    const conv = net[0] as pg.nn.Conv2d;
    const before = Array.from(conv.weight.dataSync());
    let msg = '';
    try { nn.loadTorchStateDict(net, bytes); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/loadTorchStateDict: the state dict does not match Sequential/);
    expect(msg).toMatch(/missing \(2\): 2\.weight, 2\.bias/);
    expect(msg).toMatch(/unexpected \(6\): 11\.bias, 11\.weight, 4\.bias, 4\.weight, 8\.bias, 8\.weight/); // in the file's (sorted) order
    expect(Array.from(conv.weight.dataSync())).toEqual(before);

    const report = nn.loadTorchStateDict(net, bytes, { strict: false, nameMap: (k) => (k.startsWith('11.') ? null : undefined) });
    expect(report.missingKeys).toEqual(['2.weight', '2.bias']);
    expect(report.unexpectedKeys).toEqual(['4.bias', '4.weight', '8.bias', '8.weight']);
    expect(report.skipped).toEqual(['11.bias', '11.weight']);
    expect(Array.from(conv.weight.dataSync())).not.toEqual(before);
  });

  it('casts to the module dtype, takes loaded tensors, and leaves no tensors behind', () => {
    const tensors = pg.loadBytes(torchFixtureBytes('conv1d_mlp.safetensors'));
    const mlp = new nn.Sequential(new nn.Linear(6, 12), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(12, 4)); // float32
    const before = pg.memory().tensors;
    nn.loadTorchStateDict(mlp, tensors, { nameMap: nn.renameSegments({ c_fc: '0', c_proj: '2' }), transpose: (k) => k.endsWith('.weight') });
    expect(pg.memory().tensors).toBe(before);
    const w = (mlp[0] as pg.nn.Linear).weight;
    expect(w.dtype).toBe('float32');
    expect(Array.from(w.dataSync())).toEqual(Array.from(tensors['c_fc.weight'].transpose(0, 1).float().dataSync()));
    expect(tensors['c_fc.weight'].isDisposed).toBe(false); // the caller's tensors stay theirs
  });

  it('name rules', () => {
    expect(nn.torchToPapergradNames('layers.0.norm_1.running_mean')).toEqual([['layers.0.norm1.runningMean', null]]);
    expect(nn.torchToPapergradNames('blocks.1.attn.in_proj_bias')).toEqual([['blocks.1.attn.qProj.bias', 0], ['blocks.1.attn.kProj.bias', 1], ['blocks.1.attn.vProj.bias', 2]]);
    expect(nn.torchToPapergradNames('attn.v_proj_weight')).toEqual([['attn.vProj.weight', null]]);
    expect(nn.torchToPapergradNames('attn.outProj.weight')).toEqual([['attn.outProj.weight', null]]);
  });
});
