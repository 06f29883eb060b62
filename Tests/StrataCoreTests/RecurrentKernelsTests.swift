import Foundation
import XCTest

@testable import StrataCore

final class RecurrentKernelsTests: XCTestCase {
    /// The branch-free sigmoid and tanh against libm in Double, over the whole useful range.
    func testVectorizableActivationsMatchLibm() {
        var worstSigmoid = 0.0, worstTanh = 0.0
        var x: Float = -100
        while x <= 100 {
            let s = 1 / (1 + Foundation.exp(-Double(x))), t = Foundation.tanh(Double(x))
            worstSigmoid = max(worstSigmoid, abs(Double(Kernels.sigmoidVectorizable(x)) - s) / max(s, 1e-30))
            worstTanh = max(worstTanh, abs(Double(Kernels.tanhVectorizable(x)) - t) / max(abs(t), 1e-30))
            x += x > -10 && x < 10 ? 0.001 : 0.37
        }
        XCTAssertLessThan(worstSigmoid, 2e-6, "sigmoid relative error")
        XCTAssertLessThan(worstTanh, 2e-6, "tanh relative error")
        XCTAssertEqual(Kernels.tanhVectorizable(0), 0)
        XCTAssertEqual(Kernels.sigmoidVectorizable(0), 0.5)
    }

    func testTimeMajorRoundTripWithReverseAndMask() throws {
        let x = try Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        let xs = Tensor(zeros: [3, 2, 2])
        Kernels.toTimeMajor(x, rows: 2, steps: 3, features: 2, reverse: true, mask: nil, into: xs)
        // step 0 of the reversed sequence is time 2: sample 0 -> [4, 5], sample 1 -> [10, 11]
        XCTAssertEqual(Array(xs.scalars.prefix(4)), [4, 5, 10, 11])
        let back = Tensor(zeros: [2, 3, 2])
        let mask = try Tensor(shape: [2, 2], scalars: [1, 2, 0, 1])
        Kernels.fromTimeMajor(xs, rows: 2, steps: 3, features: 2, reverse: true, mask: mask, into: back)
        XCTAssertEqual(back.scalars, [0, 2, 2, 6, 4, 10, 0, 7, 0, 9, 0, 11])
    }
}
