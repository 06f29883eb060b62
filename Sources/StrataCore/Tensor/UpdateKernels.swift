import CStrataKernels

/// The per-parameter loops of the optimizers, over the flat buffers (`values`, `gradients`, slots of the same
/// layout): each optimizer file keeps its formula and scalar bookkeeping, and calls one function here. RMSprop's and
/// Adam's common cases run the C loops of Sources/CStrataKernels/include/update_kernels.h, bit-identical to the
/// Swift forms: Swift's `squareRoot()` keeps a loop scalar (a `sqrtf` call with an errno fallback), and the update
/// over every parameter is a large share of a step for big models (lstm_seq's 5.2M-parameter Embedding).
enum UpdateKernels {
    /// SGD without momentum: `p -= lr g`.
    static func sgd(values: Tensor, gradients: Tensor, lr: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        for i in 0..<n { p[i] -= lr * g[i] }
    }

    /// SGD with momentum: `m = mu m - lr g`, then `p += m`, or with Nesterov `p += mu m - lr g`.
    static func sgd(values: Tensor, gradients: Tensor, momentum slot: Tensor, lr: Float, momentum mu: Float,
                    nesterov: Bool) {
        let n = values.count, p = values.pointer, g = gradients.pointer, m = slot.pointer
        if nesterov {
            for i in 0..<n { let mi = mu * m[i] - lr * g[i]; m[i] = mi; p[i] += mu * mi - lr * g[i] }
        } else {
            for i in 0..<n { let mi = mu * m[i] - lr * g[i]; m[i] = mi; p[i] += mi }
        }
    }

    /// RMSprop without momentum, not centered: `a = rho a + (1 - rho) g^2; p -= lr g / sqrt(a + eps)` (C, vectorised).
    static func rmsprop(values: Tensor, gradients: Tensor, accumulator: Tensor, rho: Float, lr: Float, epsilon: Float) {
        strata_rmsprop_update(values.pointer, gradients.pointer, accumulator.pointer, values.count, rho, 1 - rho, lr, epsilon)
    }

    /// RMSprop with momentum and/or centered (each slot nil when off): `a = rho a + (1 - rho) g^2`; centered
    /// `mg = rho mg + (1 - rho) g` and denominator `a - mg^2 + eps`, else `a + eps`; `inc = lr g / sqrt(denominator)`;
    /// with momentum `v = momentum v + inc; p -= v`, else `p -= inc`.
    static func rmsprop(values: Tensor, gradients: Tensor, accumulator: Tensor, momentum momentumSlot: Tensor?,
                        averageGradient: Tensor?, rho r: Float, momentum: Float, lr: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, a = accumulator.pointer
        let mom = momentumSlot?.pointer, mg = averageGradient?.pointer
        for i in 0..<n {
            let gi = g[i]
            let ai = r * a[i] + (1 - r) * gi * gi
            a[i] = ai
            var denom = ai + eps
            if let mg {
                let m = r * mg[i] + (1 - r) * gi
                mg[i] = m
                denom = ai - m * m + eps
            }
            let inc = lr * gi / denom.squareRoot()
            if let mom {
                let v = momentum * mom[i] + inc
                mom[i] = v
                p[i] -= v
            } else {
                p[i] -= inc
            }
        }
    }

    /// `a *= rho`: plain RMSprop's accumulator after a zero gradient (the values do not move).
    static func scale(_ a: Tensor, by r: Float) {
        let pa = a.pointer
        for i in 0..<a.count { pa[i] = r * pa[i] }
    }

    /// Adagrad: `a += g^2; p -= lr g / sqrt(a + eps)`.
    static func adagrad(values: Tensor, gradients: Tensor, accumulator: Tensor, lr: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, a = accumulator.pointer
        for i in 0..<n {
            let gi = g[i]
            a[i] += gi * gi
            p[i] -= lr * gi / (a[i] + eps).squareRoot()
        }
    }

    /// Adadelta: `a = rho a + (1 - rho) g^2`, `delta = -sqrt(d + eps) / sqrt(a + eps) g`,
    /// `d = rho d + (1 - rho) delta^2`, `p += lr delta`.
    static func adadelta(values: Tensor, gradients: Tensor, accumulatedGrad: Tensor, accumulatedDelta: Tensor, rho r: Float,
                         lr: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        let a = accumulatedGrad.pointer, d = accumulatedDelta.pointer
        for i in 0..<n {
            let gi = g[i]
            a[i] = r * a[i] + (1 - r) * gi * gi
            let delta = -(d[i] + eps).squareRoot() / (a[i] + eps).squareRoot() * gi
            d[i] = r * d[i] + (1 - r) * delta * delta
            p[i] += lr * delta
        }
    }

    /// Adam without amsgrad: `m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2); p -= alpha m / (sqrt(v) + eps)` (C,
    /// vectorised).
    static func adam(values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, beta1: Float, beta2: Float,
                     alpha: Float, epsilon: Float) {
        strata_adam_update(values.pointer, gradients.pointer, m.pointer, v.pointer, values.count, 1 - beta1, 1 - beta2,
                           alpha, epsilon)
    }

    /// Adam with amsgrad: as `adam`, with `vhat = max(vhat, v)` used in place of `v`.
    static func amsgrad(values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, vHat: Tensor, beta1 b1: Float,
                        beta2 b2: Float, alpha: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        let pm = m.pointer, pv = v.pointer, vh = vHat.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pv[i] += (gi * gi - pv[i]) * (1 - b2)
            let vi = max(vh[i], pv[i])
            vh[i] = vi
            p[i] -= alpha * pm[i] / (vi.squareRoot() + eps)
        }
    }

    /// Adamax: `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`, `p -= lr m / (correction (u + eps))`.
    static func adamax(values: Tensor, gradients: Tensor, m: Tensor, u: Tensor, beta1 b1: Float, beta2 b2: Float,
                       lr: Float, correction: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, pm = m.pointer, pu = u.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pu[i] = max(b2 * pu[i], abs(gi))
            p[i] -= lr * pm[i] / (correction * (pu[i] + eps))
        }
    }

    /// Nadam's per-parameter step, its scalars computed by `Nadam.update`: `m += (g - m)(1 - b1)`,
    /// `v += (g^2 - v)(1 - b2)`, `mhat = ut1 m / (1 - productNext) + (1 - ut) g / (1 - product)`,
    /// `vhat = v / (1 - b2Power)`, `p -= lr mhat / (sqrt(vhat) + eps)`.
    static func nadam(values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, beta1 b1: Float, beta2 b2: Float, lr: Float,
                      ut: Float, ut1: Float, product: Float, productNext: Float, b2Power: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, pm = m.pointer, pv = v.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pv[i] += (gi * gi - pv[i]) * (1 - b2)
            let mHat = ut1 * pm[i] / (1 - productNext) + (1 - ut) * gi / (1 - product)
            let vHat = pv[i] / (1 - b2Power)
            p[i] -= lr * mHat / (vHat.squareRoot() + eps)
        }
    }
}
