#!/usr/bin/env python3
"""PyTorch reference timings for bench/webgpu.ts: the same workloads, float32, TF32 off.

Run on the same machine as the WebGPU benchmark (the GPU machine has python3 with PyTorch):
    python3 bench/torch_reference.py [--quick] [--reps N] [--device cuda|cpu]
Prints a table in the same format. Times are medians of wall time with torch.cuda.synchronize().
"""
import argparse
import math
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument('--quick', action='store_true', help='tiny sizes, as bench/webgpu.ts --quick')
p.add_argument('--reps', type=int, default=0)
p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
args = p.parse_args()
reps = args.reps or (3 if args.quick else 10)
dev = torch.device(args.device)

# Full float32 everywhere: no TF32 tensor cores, so the comparison with WebGPU's f32 is fair.
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision('highest')
torch.manual_seed(0)


def sync():
    if dev.type == 'cuda':
        torch.cuda.synchronize()


def timed(step, n=reps):
    step()
    step()
    sync()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        sync()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


rows = []

for n in ([64, 128, 256] if args.quick else [512, 1024, 2048, 4096]):
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    ms = timed(lambda: a @ b, min(reps, 5) if n >= 2048 else reps)
    rows.append(('matmul', f'{n}x{n} @ {n}x{n}', 2 * n ** 3 / 1e9, ms))


def mlp_step(batch, dims):
    ps = []
    for i in range(len(dims) - 1):
        ps.append((torch.randn(dims[i], dims[i + 1], device=dev) * math.sqrt(2 / dims[i])).requires_grad_())
        ps.append(torch.zeros(dims[i + 1], device=dev, requires_grad=True))
    x = torch.randn(batch, dims[0], device=dev)
    y = torch.randint(0, dims[-1], (batch, 1), device=dev)

    def step():
        h = x
        for i in range(len(ps) // 2):
            h = h @ ps[2 * i] + ps[2 * i + 1]
            if i < len(ps) // 2 - 1:
                h = h.relu()
        loss = -h.log_softmax(-1).gather(1, y).mean()
        loss.backward()
        with torch.no_grad():
            for q in ps:
                q -= 0.01 * q.grad
                q.grad = None
    return step


def layer_norm(x):
    d = x - x.mean(-1, keepdim=True)
    return d / (d.square().mean(-1, keepdim=True) + 1e-5).sqrt()


def transformer_step(B, T, D, H):
    def w(r, c):
        return (torch.randn(r, c, device=dev) / math.sqrt(r)).requires_grad_()
    ps = [w(D, 3 * D), w(D, D), w(D, 4 * D), w(4 * D, D)]
    x = torch.randn(B, T, D, device=dev)
    mask = torch.triu(torch.full((T, T), -1e9, device=dev), diagonal=1)
    dh = D // H

    def step():
        wqkv, wo, w1, w2 = ps
        qkv = (layer_norm(x) @ wqkv).reshape(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = ((q @ k.transpose(-1, -2)) * (1 / math.sqrt(dh)) + mask).softmax(-1) @ v
        x2 = x + att.transpose(1, 2).reshape(B, T, D) @ wo
        x3 = x2 + torch.nn.functional.gelu(layer_norm(x2) @ w1, approximate='tanh') @ w2
        loss = x3.square().mean()
        loss.backward()
        with torch.no_grad():
            for q_ in ps:
                q_ -= 0.01 * q_.grad
                q_.grad = None
    return step


batch, dims = (16 if args.quick else 128), [784, 256, 256, 10]
f = sum(2 * batch * dims[i] * dims[i + 1] for i in range(len(dims) - 1))
rows.append(('MLP train step', f'{"-".join(map(str, dims))}, batch {batch}', 3 * f / 1e9, timed(mlp_step(batch, dims))))
B, T, D, H = (2, 16, 32, 2) if args.quick else (8, 128, 256, 4)
f = 2 * B * T * (D * 3 * D + D * D + 8 * D * D) + 4 * B * T * T * D
rows.append(('transformer block train step', f'B{B} T{T} D{D} H{H}', 3 * f / 1e9, timed(transformer_step(B, T, D, H))))

name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'
print(f'device: {name} (PyTorch {torch.__version__}, float32, TF32 off)')
print('\n| workload | size | torch ms | torch GFLOP/s |')
print('| --- | --- | ---: | ---: |')
for w, s, gflop, ms in rows:
    print(f'| {w} | {s} | {ms:.2f} | {gflop / (ms / 1e3):.1f} |')
