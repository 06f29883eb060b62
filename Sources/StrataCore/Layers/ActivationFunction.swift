/// Keras's activation functions, by their Keras names.
///
/// - `hard_sigmoid` is Keras 3's `relu6(x + 3) / 6`; `hardSigmoidLegacy` is Keras 2 / tf-keras's `clip(0.2x + 0.5, 0, 1)`,
///   used only for models loaded from files those versions wrote (so their predictions match).
/// - `elu(x) = x > 0 ? x : e^x - 1`; `selu(x) = 1.0507 * (x > 0 ? x : 1.6733 (e^x - 1))`; `softplus = log(1 + e^x)`;
///   `softsign = x / (1 + |x|)`; `softmax` is over the last axis.
/// - keras/src/activations/activations.py: `gelu(x) = 0.5 x (1 + erf(x / sqrt 2))` (Keras's default
///   `approximate=False`); `silu(x) = x sigmoid(x)` (`swish` is its other name); `relu6 = min(max(x, 0), 6)`;
///   `leaky_relu(x) = x > 0 ? x : 0.2 x`; `mish(x) = x tanh(softplus(x))`; `exponential = e^x`;
///   `log_softmax(x) = x - log(sum e^x)` over the last axis.
public enum ActivationFunction: String, CaseIterable, Sendable {
    case linear, relu, sigmoid, tanh, softmax, elu, selu, softplus, softsign
    case hardSigmoid = "hard_sigmoid"
    case hardSigmoidLegacy = "hard_sigmoid_legacy"
    case gelu, silu, relu6, mish, exponential
    case leakyRelu = "leaky_relu"
    case logSoftmax = "log_softmax"

    static let seluScale: Float = 1.0507009873554805
    static let seluAlpha: Float = 1.6732632423543772

    /// Parses a Keras activation name (`None` and `"linear"` both mean linear).
    public init(kerasName: String) throws {
        let n = kerasName.lowercased()
        if n == "none" || n.isEmpty { self = .linear; return }
        if n == "swish" { self = .silu; return }  // Keras's alias: it writes "silu" back
        guard let f = ActivationFunction(rawValue: n), f != .hardSigmoidLegacy else {
            throw StrataError.invalidArgument(
                "unknown activation '\(kerasName)'",
                hint: "use one of: "
                    + ActivationFunction.allCases.filter { $0 != .hardSigmoidLegacy }
                    .map(\.rawValue).joined(separator: ", "))
        }
        self = f
    }

    /// The name Keras writes in configs.
    public var kerasName: String { self == .hardSigmoidLegacy ? "hard_sigmoid" : rawValue }

    /// `y = f(x)`; `x` and `y` have the same shape and may be the same tensor (`ActivationKernels.apply`).
    public func apply(_ x: Tensor, into y: Tensor) { ActivationKernels.apply(self, x, into: y) }

    /// `dx = dy * f'(x)`, given the input `x` and output `y` of `apply`. `dx` may alias `dy`
    /// (`ActivationKernels.gradient`).
    public func gradient(x: Tensor, y: Tensor, dy: Tensor, into dx: Tensor) {
        ActivationKernels.gradient(self, x: x, y: y, dy: dy, into: dx)
    }
}
