import XCTest

@testable import StrataCore

/// The relu mask a relu convolution keeps instead of its output (aliasing rule 5).
final class ReluMaskTests: XCTestCase {
    /// `apply` gives relu's gradient `y > 0 ? dy : 0` bit for bit (positive, zero, negative zero, negative and NaN
    /// outputs; lengths around the 16-lane blocks), into another tensor and over `dy`; one mask serves a longer
    /// then a shorter batch.
    func testApplyEqualsTheReluGradient() throws {
        var mask = ReluMask()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let k = Int((state >> 33) % 2001) - 1000
            return Float(k) / 1000
        }
        for n in [1000, 1, 15, 16, 17, 33, 100] {
            let special: [Float] = [0, -0.0, .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude]
            var ys: [Float] = [], dys: [Float] = []
            for i in 0..<n {
                ys.append(i % 9 < special.count && i % 5 == 0 ? special[i % 9] : next())
                dys.append(i % 7 == 3 ? -0.0 : next())
            }
            let y = Tensor(ys), dy = Tensor(dys)
            let expected: [UInt32] = (0..<n).map { (ys[$0] > 0 ? dys[$0] : 0).bitPattern }
            mask.record(y)
            XCTAssertEqual(mask.count, n)
            let dz = Tensor(zeros: [n], repeating: 7)
            mask.apply(dy, into: dz)
            XCTAssertEqual(dz.scalars.map(\.bitPattern), expected, "n = \(n)")
            mask.apply(dy, into: dy)
            XCTAssertEqual(dy.scalars.map(\.bitPattern), expected, "n = \(n), over dy")
        }
    }
}
