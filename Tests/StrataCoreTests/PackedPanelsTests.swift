import XCTest

@testable import StrataCore

final class PackedPanelsTests: XCTestCase {
    /// `c = (c0 +) a op(B)` against a Double product written from the definition, over every row tail of the 4-row
    /// tile (m = 1...9), column counts that are and are not multiples of the 8-float vector and the 16-column panel,
    /// odd and even inner dimensions, B read as is and transposed, stored and accumulated. Rows outside the range
    /// asked for stay untouched, and each row computed alone gives the same bits as computed with the others.
    func testProductMatchesADoubleReference() throws {
        guard PackedPanels.isAvailable else { throw XCTSkip("this CPU has no AVX2 + FMA: the recurrent layers use OpenBLAS") }
        var draws = Draws()
        for m in 1...9 {
            for k in [1, 6, 67] {
                for n in [5, 8, 16, 37, 48] {
                    for transposed in [false, true] {
                        for accumulate in [false, true] {
                            try check(m: m, k: k, n: n, transposed: transposed, accumulate: accumulate, draws: &draws)
                        }
                    }
                }
            }
        }
    }

    private func check(m: Int, k: Int, n: Int, transposed: Bool, accumulate: Bool, draws: inout Draws) throws {
        let a = try Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in draws.next() })
        let bValues = (0..<(k * n)).map { _ in draws.next() }
        let b = try Tensor(shape: transposed ? [n, k] : [k, n], scalars: bValues)
        let c0 = (0..<(m * n)).map { _ in draws.next() }
        // A storage larger than needed, filled with garbage: the kernel must overwrite every padded column.
        let storage = Tensor(zeros: [PackedPanels.count(k: k, n: n)])
        storage.fill(.nan)
        let packed = PackedPanels(b, k: k, n: n, transposed: transposed, storage: storage)
        // rows 1..<m (rows 0 untouched), then row 0 alone
        let first = m > 1 ? 1 : 0
        let c = try Tensor(shape: [m, n], scalars: c0)
        packed.multiply(a, into: c, rows: first..<m, accumulate: accumulate)
        let label = "m \(m) k \(k) n \(n) transposed \(transposed) accumulate \(accumulate)"
        if first == 1 {
            XCTAssertEqual(Array(c.scalars.prefix(n)), Array(c0.prefix(n)), "row 0 was written: \(label)")
            packed.multiply(a, into: c, rows: 0..<1, accumulate: accumulate)
        }
        let whole = try Tensor(shape: [m, n], scalars: c0)
        packed.multiply(a, into: whole, rows: 0..<m, accumulate: accumulate)
        XCTAssertEqual(c.scalars, whole.scalars, "rows computed apart differ from rows computed together: \(label)")
        let av = a.scalars, got = c.scalars
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c0[i * n + j]) : 0, magnitude = abs(sum)
                for kk in 0..<k {
                    let bkj = transposed ? bValues[j * k + kk] : bValues[kk * n + j]
                    sum += Double(av[i * k + kk]) * Double(bkj)
                    magnitude += abs(Double(av[i * k + kk]) * Double(bkj))
                }
                let tolerance = Double(k + 1) * 1.2e-7 * magnitude + 1e-30
                XCTAssertLessThanOrEqual(abs(Double(got[i * n + j]) - sum), tolerance, "c[\(i), \(j)]: \(label)")
            }
        }
    }

    /// Uniform draws in [-1, 1) from `CounterRandom`, one counter after another.
    private struct Draws {
        let rng = CounterRandom(seed: 7)
        var counter: UInt64 = 0
        mutating func next() -> Float {
            counter += 1
            return 2 * rng.uniform(counter) - 1
        }
    }
}
