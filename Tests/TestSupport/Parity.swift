import StrataCore
import XCTest

/// DESIGN.md's parity tolerances against Keras fixtures.
public enum Parity {
    /// Forward outputs: every element within `|a - b| <= 1e-6 + 1e-5 |b|`. Returns the largest `|a - b| / (1e-6 + 1e-5 |b|)`
    /// (<= 1 passes), and records a failure naming `what` otherwise.
    @discardableResult
    public static func assertForward(_ a: Tensor, _ b: Tensor, _ what: String, absolute: Float = 1e-6, relative: Float = 1e-5,
                                     file: StaticString = #filePath, line: UInt = #line) -> Double {
        guard a.count == b.count else {
            XCTFail("\(what): shape \(a.shape) vs Keras \(b.shape)", file: file, line: line)
            return .infinity
        }
        var worst: Double = 0
        var at = 0
        for i in 0..<a.count {
            let bound = Double(absolute) + Double(relative) * Double(abs(b[flat: i]))
            let r = Double(abs(a[flat: i] - b[flat: i])) / bound
            if !(r <= worst) { worst = r; at = i }   // NaN counts as worst
        }
        if !(worst <= 1) {
            XCTFail("\(what): element \(at) is \(a[flat: at]), Keras \(b[flat: at]) (\(worst)x the tolerance)", file: file, line: line)
        }
        return worst
    }

    /// Weights after k steps: `max|w - w_keras| / max|w_keras - w_start|` over all weights together must be <= `tolerance`
    /// (1e-3 in DESIGN.md). Returns the ratio.
    @discardableResult
    public static func assertUpdate(_ ours: [Tensor], keras: [Tensor], start: [Tensor], _ what: String, tolerance: Double = 1e-3,
                                    file: StaticString = #filePath, line: UInt = #line) -> Double {
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
            XCTFail("\(what): max|w - w_keras| = \(diff) is \(ratio) of Keras's update \(size) (tolerance \(tolerance))",
                    file: file, line: line)
        }
        return ratio
    }
}
