/// NumPy-style random arrays for examples, tests and synthetic configs (`np.random.random`, `np.random.randint`),
/// drawn from a counter-based stream so that the same seed gives the same data everywhere.
public final class RandomData {
    private let rng: CounterRandom
    private var counter: UInt64 = 0

    public init(seed: UInt64) { rng = CounterRandom(seed: seed, stream: 0x4441_5441) }  // "DATA"

    /// Uniform values in [0, 1) (`np.random.random(shape)`).
    public func uniform(_ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t[flat: i] = rng.uniform(counter); counter += 1 }
        return t
    }

    /// Integers in [0, high) (`np.random.randint(high, size=count)`).
    public func integers(_ high: Int, count: Int) -> [Int] {
        (0..<count).map { _ in
            defer { counter += 1 }
            return Int(rng.bits(counter) % UInt64(high))
        }
    }

    /// Integers in [0, high) as a Float tensor of `shape` (labels).
    public func integerTensor(_ high: Int, shape: [Int]) -> Tensor {
        Tensor(exactly: shape, scalars: integers(high, count: shape.reduce(1, *)).map(Float.init))
    }
}

extension Tensor {
    /// Mean over one axis (negative counts from the end), dropping it; throws for an axis the tensor lacks.
    public func mean(axis: Int) throws -> Tensor {
        let a = axis < 0 ? shape.count + axis : axis
        guard a >= 0 && a < shape.count else {
            throw StrataError.invalidArgument(
                "mean(axis: \(axis)) of a tensor of shape \(shape), which has axes 0..<\(shape.count)",
                hint: "use an axis in \(-shape.count)..<\(shape.count) (-1 is the last)")
        }
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape.remove(at: a)
        let out = Tensor(zeros: outShape)
        for o in 0..<outer {
            for i in 0..<inner {
                var s: Float = 0
                for k in 0..<n { s += self[flat: (o * n + k) * inner + i] }
                out[flat: o * inner + i] = s / Float(max(n, 1))
            }
        }
        return out
    }
}
