#!/usr/bin/env python3
"""Fits the erf polynomials of src/autograd/math.ts (the other tables there came from the same method).

Weighted minimax in relative error by Lawson's iteration on a dense Chebyshev grid, against
40-digit mpmath references; then each coefficient is rounded to float32 in turn and the later ones
are refitted, so the rounding of the early, large terms is absorbed by the later ones. Prints the
coefficients and the largest relative error of the double-precision evaluation.

Run: /work/.venv-torch/bin/python scripts/fit-math.py   (numpy, mpmath)
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 40


def f32(v):
    return float(np.float32(v))


def lawson(A, y, w0, iters=200):
    """Coefficients c minimising max_i |w0_i (A c - y)_i| (Lawson: reweighted least squares)."""
    w = np.ones(len(y)) / len(y)
    c = None
    for _ in range(iters):
        sw = np.sqrt(w) * w0
        c, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
        e = np.abs((A @ c - y) * w0)
        w = w * e
        w /= w.sum()
    return c


def fit(xs, y, w0, degree, fixed=()):
    """Polynomial coefficients in xs of the given degree (after `fixed` leading ones), rounded one by one."""
    A = np.vander(xs, degree + 1, increasing=True)
    fixed = list(fixed)
    y = y - sum(c * xs ** k for k, c in enumerate(fixed))
    coeffs = list(fixed)
    for j in range(len(fixed), degree + 1):
        c = lawson(A[:, j:], y, w0)
        cj = f32(c[0])
        coeffs.append(cj)
        y = y - cj * xs ** j
    return coeffs


def cheb(lo, hi, n):
    k = np.arange(n)
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)


def horner(c, v):
    r = np.zeros_like(v)
    for a in reversed(c):
        r = r * v + a
    return r


# ---- erf x = x E(x^2) on |x| <= 1; E(0) = 2/sqrt(pi) kept in double (float32 would cost 0.5 ulp)
C0 = float(2 / mp.sqrt(mp.pi))
s = cheb(0, 1, 4000)
ref = np.array([float(mp.erf(mp.sqrt(v)) / mp.sqrt(v)) if v > 0 else C0 for v in s])
E = fit(s, ref, 1 / ref, 7, fixed=[C0])
xs = np.linspace(1e-6, 1, 200001)
refx = np.array([float(mp.erf(v)) for v in xs[::50]])
got = xs[::50] * horner(E, xs[::50] ** 2)
print('ERF_E =', E)
print('  max rel error', np.max(np.abs(got / refx - 1)))

# ---- erfc a = e^(-a^2) R(v) with v = 1/a, on 1 <= a <= 4 (a polynomial in 1/a^2 needs a higher
# degree for the same error: R is close to an asymptotic series there)
G = lambda a: float(mp.erfc(mp.mpf(a)) * mp.exp(mp.mpf(a) ** 2))
v = cheb(0.25, 1, 1500)
refR = np.array([G(1 / x) for x in v])
R = fit(v, refR, 1 / refR, 10)
vv = np.linspace(0.25, 1, 3001)
want = np.array([G(1 / x) for x in vv])
print('ERFC_R =', R)
print('  max rel error', np.max(np.abs(horner(R, vv) / want - 1)))
