import CBLAS

/// Vectorised optimizer updates (Sources/CBLAS/update_kernels.h): the C side of `RMSprop` and `Adam`'s common
/// cases, bit-identical to their Swift loops. Swift's `squareRoot()` keeps those loops scalar (a `sqrtf` call
/// with an errno fallback), and the update over every parameter is a large share of a step for big models
/// (lstm_seq's 5.2M-parameter Embedding).
enum UpdateKernels {
    /// `a = rho a + (1 - rho) g^2; p -= lr g / sqrt(a + eps)` over the whole buffers.
    static func rmsprop(values: Tensor, gradients: Tensor, accumulator: Tensor, rho: Float, lr: Float, epsilon: Float) {
        strata_rmsprop_update(values.pointer, gradients.pointer, accumulator.pointer, values.count, rho, 1 - rho, lr, epsilon)
    }

    /// `m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2); p -= alpha m / (sqrt(v) + eps)`.
    static func adam(values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, beta1: Float, beta2: Float,
                     alpha: Float, epsilon: Float) {
        strata_adam_update(values.pointer, gradients.pointer, m.pointer, v.pointer, values.count, 1 - beta1, 1 - beta2,
                           alpha, epsilon)
    }
}
