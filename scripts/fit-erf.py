"""Fits the erf polynomials ERF_P, ERF_R of src/autograd/math.ts (the CPU evaluates them in double, the WGSL library in float32).

Weighted minimax by Lawson iteration in float64 against 30-digit mpmath references:
  |x| < 1:      erf(x) = x + x * P(x^2), P fitted to erf(x)/x - 1 (relative error)
  1 <= |x| < 3.92:  erf(x) = 1 - exp(-x^2) * R(|x| - 1), R fitted to erfc(x) exp(x^2) (error in erf)
Run with the fixtures venv: /work/.venv-torch/bin/python scripts/fit-erf.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30


def lawson(xs, f, degree, weight, iters=60):
    A = np.vander(xs, degree + 1, increasing=True)
    w = np.ones(len(xs))
    for _ in range(iters):
        sw = np.sqrt(w) * weight
        c, *_ = np.linalg.lstsq(A * sw[:, None], f * sw, rcond=None)
        e = np.abs(A @ c - f) * weight
        w = w * e
        w /= w.sum()
    return c, (np.abs(A @ c - f) * weight).max()


def cheb(lo, hi, n=2000):
    return np.array([lo + (hi - lo) * (1 - np.cos(np.pi * (i + 0.5) / n)) / 2 for i in range(n)])


t = cheb(0.0, 1.0)
f = np.array([float(mp.erf(mp.sqrt(v)) / mp.sqrt(v)) for v in t])
p, err = lawson(t, f, 6, 1 / f)
p[0] -= 1.0  # erf(x) = x + x * (p0 - 1 + p1 t + ...): the leading term stays exact
print('ERF_P', [float(c) for c in p], 'max rel err', err)

a = cheb(1.0, 3.92)
f = np.array([float(mp.erfc(v) * mp.exp(v * v)) for v in a])
r, err = lawson(a - 1.0, f, 8, np.exp(-a * a))
print('ERF_R', [float(c) for c in r], 'max abs err in erf', err)
