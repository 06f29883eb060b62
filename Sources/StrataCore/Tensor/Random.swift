/// Counter-based random numbers: every draw is a pure function of (key, counter), so a value depends only on
/// what it is for (seed, purpose, step, global sample index), never on how many draws came before it or on
/// which rank draws it. That is what makes 1 rank and N ranks see the same dropout masks and shuffles.
public struct CounterRandom: Sendable {
    public let key: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        key = CounterRandom.mix(seed &+ CounterRandom.mix(stream &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// A derived generator for a sub-purpose (e.g. one weight, one epoch, one step).
    public func derived(_ stream: UInt64) -> CounterRandom { CounterRandom(seed: key, stream: stream) }

    /// SplitMix64's finaliser: a bijective 64-bit mix with full avalanche.
    @inline(__always)
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits for `counter`.
    @inline(__always)
    public func bits(_ counter: UInt64) -> UInt64 { CounterRandom.mix(key ^ CounterRandom.mix(counter)) }

    /// Uniform in [0, 1) with 24 bits of precision (exactly representable in Float).
    @inline(__always)
    public func uniform(_ counter: UInt64) -> Float { Float(bits(counter) >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) as a Double with 53 bits.
    public func uniformDouble(_ counter: UInt64) -> Double { Double(bits(counter) >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Standard normal by Box-Muller on two counters.
    public func normal(_ counter: UInt64) -> Float {
        let u1 = max(uniformDouble(2 &* counter), 1e-300)
        let u2 = uniformDouble(2 &* counter &+ 1)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A random permutation of 0..<n (Fisher-Yates driven by counters).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(bits(UInt64(i)) % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// A fresh seed for runs that were given none (drawn from the system generator, printed and recorded).
    public static func freshSeed() -> UInt64 { UInt64.random(in: 1...UInt64(UInt32.max)) }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
    import Foundation
    @inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
