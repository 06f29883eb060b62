/// Keras weight initialisers (keras/src/initializers). Draws come from a counter-based stream keyed by the
/// model seed and the weight's position, so the same seed gives the same weights on every rank.
public enum Initializer: Equatable, Sendable {
    /// `U(-L, L)`, `L = sqrt(6 / (fan_in + fan_out))` (VarianceScaling(1, "fan_avg", "uniform")).
    case glorotUniform
    /// `N(0, s)` truncated at 2s, `s = sqrt(2 / (fan_in + fan_out)) / 0.87962566` (Keras's truncated-normal correction).
    case glorotNormal
    /// `U(-L, L)`, `L = sqrt(6 / fan_in)`.
    case heUniform
    /// `U(minval, maxval)` (Keras RandomUniform; Embedding uses -0.05...0.05).
    case uniform(Float, Float)
    /// Orthogonal rows or columns with gain (LSTM recurrent kernels).
    case orthogonal(gain: Float)
    case zeros
    case ones
    case constant(Float)
    /// LSTM bias with `unit_forget_bias`: zeros, then ones for the forget gate block `[u, 2u)`.
    case unitForgetBias(units: Int)
    /// Given values, in row-major order (`Normalization`'s adapted mean and variance).
    case values([Float])

    /// Keras's name for configs.
    public var kerasName: String {
        switch self {
        case .glorotUniform: return "GlorotUniform"
        case .glorotNormal: return "GlorotNormal"
        case .heUniform: return "HeUniform"
        case .uniform: return "RandomUniform"
        case .orthogonal: return "Orthogonal"
        case .zeros, .unitForgetBias: return "Zeros"
        case .ones: return "Ones"
        case .constant, .values: return "Constant"
        }
    }

    /// Parses a Keras initializer name (snake_case or class name).
    public init(kerasName: String) throws {
        switch kerasName.lowercased().replacingOccurrences(of: "_", with: "") {
        case "glorotuniform": self = .glorotUniform
        case "glorotnormal": self = .glorotNormal
        case "heuniform": self = .heUniform
        case "randomuniform", "uniform": self = .uniform(-0.05, 0.05)
        case "orthogonal": self = .orthogonal(gain: 1)
        case "zeros", "zero": self = .zeros
        case "ones", "one": self = .ones
        case "constant": self = .constant(0)  // its `value` is read from the config (LayerConfig.initializer)
        default:
            throw StrataError.invalidArgument(
                "unknown initializer '\(kerasName)'",
                hint: "use glorot_uniform, glorot_normal, he_uniform, uniform, orthogonal, zeros or ones")
        }
    }

    /// Keras `compute_fans`: 2-D `(in, out)`; conv kernels multiply by the receptive field.
    public static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Double(shape[0]), Double(shape[0]))
        case 2: return (Double(shape[0]), Double(shape[1]))
        default:
            let receptive = Double(shape.dropLast(2).reduce(1, *))
            return (Double(shape[shape.count - 2]) * receptive, Double(shape[shape.count - 1]) * receptive)
        }
    }

    /// Fills `t` (shape `shape`) from `rng`.
    public func fill(_ t: Tensor, rng: CounterRandom) {
        let n = t.count
        switch self {
        case .zeros: t.fill(0)
        case .ones: t.fill(1)
        case let .constant(c): t.fill(c)
        case let .values(v): for i in 0..<min(n, v.count) { t[flat: i] = v[i] }
        case let .unitForgetBias(u):
            t.fill(0)
            for i in u..<min(2 * u, n) { t[flat: i] = 1 }
        case let .uniform(lo, hi):
            for i in 0..<n { t[flat: i] = lo + (hi - lo) * rng.uniform(UInt64(i)) }
        case .glorotUniform, .heUniform:
            let (fi, fo) = Initializer.fans(t.shape)
            let limit = Float(self == .glorotUniform ? (6 / max(1, fi + fo)).squareRoot() : (6 / max(1, fi)).squareRoot())
            for i in 0..<n { t[flat: i] = -limit + 2 * limit * rng.uniform(UInt64(i)) }
        case .glorotNormal:
            let (fi, fo) = Initializer.fans(t.shape)
            let s = Float((2 / max(1, fi + fo)).squareRoot() / 0.87962566103423978)
            var k: UInt64 = 0
            for i in 0..<n {
                var v = rng.normal(k); k += 1
                while abs(v) > 2 { v = rng.normal(k); k += 1 }
                t[flat: i] = v * s
            }
        case let .orthogonal(gain):
            // Keras: flat (rows = prod(shape[:-1]), cols = shape[-1]); QR of the taller orientation of an N(0,1)
            // matrix with q *= sign(diag(r)); here by modified Gram-Schmidt, which yields the same q.
            let cols = t.shape.last ?? 1
            let rows = cols == 0 ? 0 : n / cols
            let tall = max(rows, cols), short = min(rows, cols)
            var m = [[Float]](repeating: [Float](repeating: 0, count: tall), count: short)  // short vectors of length tall
            var k: UInt64 = 0
            for v in 0..<short { for i in 0..<tall { m[v][i] = rng.normal(k); k += 1 } }
            for v in 0..<short {
                for w in 0..<v {
                    var dot: Float = 0
                    for i in 0..<tall { dot += m[v][i] * m[w][i] }
                    for i in 0..<tall { m[v][i] -= dot * m[w][i] }
                }
                var norm: Float = 0
                for i in 0..<tall { norm += m[v][i] * m[v][i] }
                norm = max(norm.squareRoot(), 1e-12)
                for i in 0..<tall { m[v][i] /= norm }
            }
            for r in 0..<rows {
                for c in 0..<cols {
                    t[flat: r * cols + c] = gain * (rows >= cols ? m[c][r] : m[r][c])
                }
            }
        }
    }
}
