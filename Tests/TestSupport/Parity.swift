import StrataCore
import XCTest

/// DESIGN.md's parity tolerances against Keras fixtures, and the one elementwise tolerance comparer of the tests.
public enum Parity {
    /// How far `a` is from the reference `b`: the largest `|a - b|`, and the largest `|a - b| / (absolute +
    /// relative |b|)` (at most 1 when every element is within tolerance; NaN counts as infinitely far).
    public struct Comparison {
        public let maxError: Float
        public let worstRatio: Double
        /// The element where `worstRatio` was found.
        public let worstIndex: Int
        /// Every element within `|a - b| <= absolute + relative |b|`.
        public var ok: Bool { worstRatio <= 1 }
    }

    /// Compares `a` with the reference `b` elementwise (same count).
    public static func compare(_ a: Tensor, _ b: Tensor, absolute: Float = 1e-6, relative: Float = 1e-5) -> Comparison {
        precondition(a.count == b.count, "compare \(a.shape) with \(b.shape)")
        var maxError: Float = 0, worst: Double = 0, at = 0
        for i in 0..<a.count {
            let d = abs(a[flat: i] - b[flat: i])
            maxError = d.isNaN ? .nan : max(maxError, d)
            let bound = Double(absolute) + Double(relative) * Double(abs(b[flat: i]))
            let r = d == 0 ? 0 : Double(d) / bound  // exact matches pass a zero tolerance
            if !(r <= worst) { worst = r.isNaN ? .infinity : r; at = i }
        }
        return Comparison(maxError: maxError, worstRatio: worst, worstIndex: at)
    }

    /// Asserts `a` is within `absolute + relative |b|` of the reference `b` everywhere; returns the largest `|a - b|`.
    @discardableResult
    public static func assertClose(
        _ a: Tensor, _ b: Tensor, absolute: Float, relative: Float, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Float {
        check(a, b, absolute: absolute, relative: relative, what, reference: "reference", file: file, line: line)?.maxError
            ?? .infinity
    }

    /// Forward outputs: every element within `|a - b| <= 1e-6 + 1e-5 |b|`. Returns the largest `|a - b| / (1e-6 + 1e-5 |b|)`
    /// (<= 1 passes), and records a failure naming `what` otherwise.
    @discardableResult
    public static func assertForward(
        _ a: Tensor, _ b: Tensor, _ what: String, absolute: Float = 1e-6, relative: Float = 1e-5,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Double {
        check(a, b, absolute: absolute, relative: relative, what, reference: "Keras", file: file, line: line)?.worstRatio
            ?? .infinity
    }

    /// `compare`, recording a failure naming `what` and the worst element; nil when the counts differ.
    private static func check(
        _ a: Tensor, _ b: Tensor, absolute: Float, relative: Float, _ what: String, reference: String,
        file: StaticString, line: UInt
    ) -> Comparison? {
        guard a.count == b.count else {
            XCTFail("\(what): shape \(a.shape) vs \(reference) \(b.shape)", file: file, line: line)
            return nil
        }
        let c = compare(a, b, absolute: absolute, relative: relative)
        if !c.ok {
            XCTFail(
                "\(what): element \(c.worstIndex) is \(a[flat: c.worstIndex]), \(reference) \(b[flat: c.worstIndex]) "
                    + "(max |diff| \(c.maxError), \(c.worstRatio)x the tolerance \(absolute) + \(relative)|\(reference)|)",
                file: file, line: line)
        }
        return c
    }

    /// Weights after k steps: `max|w - w_keras| / max|w_keras - w_start|` over all weights together must be <= `tolerance`
    /// (1e-3 in DESIGN.md). Returns the ratio.
    @discardableResult
    public static func assertUpdate(
        _ ours: [Tensor], keras: [Tensor], start: [Tensor], _ what: String, tolerance: Double = 1e-3,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Double {
        guard ours.count == keras.count, keras.count == start.count else {
            XCTFail("\(what): \(ours.count) weights vs Keras \(keras.count)", file: file, line: line)
            return .infinity
        }
        var diff: Double = 0, size: Double = 0
        for (o, (k, s)) in zip(ours, zip(keras, start)) {
            XCTAssertEqual(o.shape, k.shape, "\(what): weight shape", file: file, line: line)
            for i in 0..<min(o.count, k.count) {
                let d = Double(abs(o[flat: i] - k[flat: i]))
                diff = d.isNaN ? .infinity : max(diff, d)
                size = max(size, Double(abs(k[flat: i] - s[flat: i])))
            }
        }
        XCTAssertGreaterThan(size, 0, "\(what): Keras's update is zero, the fixture tests nothing", file: file, line: line)
        let ratio = diff / max(size, 1e-30)
        if !(ratio <= tolerance) {
            XCTFail(
                "\(what): max|w - w_keras| = \(diff) is \(ratio) of Keras's update \(size) (tolerance \(tolerance))",
                file: file, line: line)
        }
        return ratio
    }
}
