import Foundation
import StrataCore
import XCTest

@testable import StrataMPI

/// The 16-bit kernels of the compressed all-reduce (compress_kernels.h, reached through `CompressedReduction`):
/// rounding, widening and the MPI_Op's sum, on the AVX-512 path (16 lanes) and the scalar one, against references
/// computed another way: Swift's `Float16` conversions and arithmetic for fp16, a Double-based round to 8
/// significant bits for bf16. Odd lengths, so the vector loops' partial last vectors are covered.
final class CompressedReductionTests: XCTestCase {
    /// Lanes of each path the machine can run (the scalar one always).
    private var paths: [Int] { [0] + (CompressedReduction.lanesAvailable >= 16 ? [16] : []) }

    /// Values that exercise the rounding: ties (to even, both ways), subnormals of each format and their ties, the
    /// overflow edges, zeros, inf and NaN, and ordinary numbers.
    private var values: [Float] {
        var v: [Float] = [
            0, -0, 1, -1, 0.1, -3.7, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-9, 2049, 2051,
            65504, 65519.99, 65520, -65520, 1e6, 3.4e38, -3.4e38, 0x1p-14, 0x1p-24, 0x1p-25, 0x1.8p-24, 3 * 0x1p-25,
            0x1p-26, 1e-7, -5e-8, 6e-5, 0x1p-126, 0x1p-133, 0x1.8p-133, 0x1p-149, .infinity, -.infinity, .nan,
            Float(bitPattern: 0x7FA0_1234),  // a signalling NaN
            Float.greatestFiniteMagnitude,
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 { v.append(Float.random(in: -4...4, using: &rng) * Float(pow(2.0, Double.random(in: -30...20, using: &rng)))) }
        return v
    }

    /// The bf16 nearest to `d` (ties to even) by Double arithmetic: scale to 8 significant bits (floats' exponent
    /// range, subnormals 2^-133 apart), round, scale back; past float's range, inf.
    private func bf16Reference(_ d: Double) -> UInt16 {
        if d.isNaN { return 0x7FC0 }
        guard d != 0, d.isFinite else { return UInt16(Float(d).bitPattern >> 16) }
        let ulp = pow(2.0, Double(max(Int(d.exponent), -126) - 7))
        let r = (d / ulp).rounded(.toNearestOrEven) * ulp
        let f = abs(r) > Double(Float.greatestFiniteMagnitude) ? (r < 0 ? -Float.infinity : .infinity) : Float(r)  // exact
        return UInt16(f.bitPattern >> 16)
    }

    /// `out` as `body` writes it from `input`'s bytes (the kernels take untyped buffers).
    private func apply<In, Out>(_ input: [In], _ out: [Out], _ body: (UnsafeRawPointer, UnsafeMutableRawPointer) -> Void) -> [Out] {
        var out = out
        input.withUnsafeBytes { i in out.withUnsafeMutableBytes { body(i.baseAddress!, $0.baseAddress!) } }
        return out
    }

    private func round(_ x: [Float], _ format: GradientCompression, lanes: Int) -> [UInt16] {
        apply(x, [UInt16](repeating: 0xFFFF, count: x.count)) {
            CompressedReduction.round($0.assumingMemoryBound(to: Float.self), into: $1, count: x.count, format, lanes: lanes)
        }
    }

    private func widen(_ h: [UInt16], _ format: GradientCompression, lanes: Int) -> [Float] {
        apply(h, [Float](repeating: 7, count: h.count)) {
            CompressedReduction.widen($0, into: $1.assumingMemoryBound(to: Float.self), count: h.count, format, lanes: lanes)
        }
    }

    private func sum(_ a: [UInt16], _ b: [UInt16], _ format: GradientCompression, lanes: Int) -> [UInt16] {
        apply(a, b) { CompressedReduction.sum($0, into: $1, count: a.count, format, lanes: lanes) }
    }

    /// Equal bits, or both NaN (a NaN's payload is not part of the contract).
    private func same(_ a: UInt16, _ b: UInt16, _ format: GradientCompression) -> Bool {
        let nan = { (h: UInt16) in format == .fp16 ? (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0 : (h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0
        }
        return a == b || (nan(a) && nan(b))
    }

    func testFp16RoundingAndWideningMatchSwiftFloat16() {
        let x = values
        let expected = x.map { Float16($0).bitPattern }
        for lanes in paths {
            for n in [x.count, 37, 17, 15, 1] {
                let h = round(Array(x.prefix(n)), .fp16, lanes: lanes)
                for i in 0..<n {
                    XCTAssertTrue(same(h[i], expected[i], .fp16), "fp16(\(x[i])) lanes \(lanes): \(h[i]) vs Float16's \(expected[i])")
                }
            }
            let halves = (0...UInt16.max).map { $0 }
            let w = widen(halves, .fp16, lanes: lanes)
            for (h, f) in zip(halves, w) {
                let ref = Float(Float16(bitPattern: h))
                XCTAssertTrue(f.bitPattern == ref.bitPattern || (f.isNaN && ref.isNaN), "widen fp16 \(h) lanes \(lanes): \(f) vs \(ref)")
            }
        }
    }

    func testBf16RoundingMatchesTheDoubleReference() {
        let x = values
        for lanes in paths {
            for n in [x.count, 33, 16, 3] {
                let h = round(Array(x.prefix(n)), .bf16, lanes: lanes)
                for i in 0..<n {
                    XCTAssertTrue(same(h[i], bf16Reference(Double(x[i])), .bf16), "bf16(\(x[i])) lanes \(lanes): \(h[i])")
                }
            }
            let halves = (0...UInt16.max).map { $0 }
            for (h, f) in zip(halves, widen(halves, .bf16, lanes: lanes)) {
                XCTAssertEqual(f.bitPattern, UInt32(h) << 16, "widen bf16 \(h)")
            }
        }
    }

    /// The MPI_Op's sum: round(widen(a) + widen(b)), against Float16 addition (fp16) and the Double-based rounding of
    /// the exact-in-Double sum (bf16); the same bits on both paths, and the same either way round (every rank).
    func testSumsMatchTheReferences() {
        let x = values
        let y = x.reversed().map { $0 * 0.75 }
        for format in [GradientCompression.fp16, .bf16] {
            var results: [[UInt16]] = []
            for lanes in paths {
                let a = round(x, format, lanes: lanes), b = round(y, format, lanes: lanes)
                let s = sum(a, b, format, lanes: lanes)
                XCTAssertTrue(zip(s, sum(b, a, format, lanes: lanes)).allSatisfy { same($0, $1, format) }, "\(format) commutes")
                for i in 0..<x.count {
                    let ref: UInt16
                    if format == .fp16 {
                        ref = (Float16(bitPattern: a[i]) + Float16(bitPattern: b[i])).bitPattern
                    } else {
                        ref = bf16Reference(Double(Float(bitPattern: UInt32(a[i]) << 16)) + Double(Float(bitPattern: UInt32(b[i]) << 16)))
                    }
                    XCTAssertTrue(same(s[i], ref, format), "\(format) \(a[i]) + \(b[i]) lanes \(lanes): \(s[i]) vs \(ref)")
                }
                results.append(s)
            }
            if results.count == 2 {
                XCTAssertTrue(zip(results[0], results[1]).allSatisfy { same($0, $1, format) }, "\(format): AVX-512 and scalar agree")
            }
        }
    }
}
