import Foundation
import StrataCore
import TestSupport
import XCTest

/// The vectorised RMSprop and Adam updates (Sources/CBLAS/update_kernels.h) give bit-identical results to the
/// plain Swift loops of Keras's formulas, over several steps and a length that is not a multiple of any SIMD width.
final class UpdateKernelsTests: XCTestCase {
    let n = 1037

    func testRMSpropMatchesScalarLoopBitForBit() {
        let opt = RMSprop(learningRate: 0.01, rho: 0.85, epsilon: 1e-6)
        let p = GradientCheck.random([n], seed: 1), a = Tensor(zeros: [n])
        var pr = p.scalars, ar = a.scalars
        var scalars: [Double] = []
        for step in 0..<4 {
            let g = GradientCheck.random([n], seed: UInt64(10 + step))
            if step == 2 { for i in stride(from: 0, to: n, by: 3) { g[flat: i] = 0 } }
            opt.update(values: p, gradients: g, slots: [a], scalars: &scalars, iteration: step, lr: 0.01)
            for i in 0..<n {
                let gi = g[flat: i]
                ar[i] = 0.85 * ar[i] + (1 - 0.85) * gi * gi
                pr[i] -= 0.01 * gi / (ar[i] + 1e-6).squareRoot()
            }
        }
        XCTAssertEqual(p.scalars.map(\.bitPattern), pr.map(\.bitPattern))
        XCTAssertEqual(a.scalars.map(\.bitPattern), ar.map(\.bitPattern))
    }

    func testAdamMatchesScalarLoopBitForBit() {
        let opt = Adam(learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-6)
        let p = GradientCheck.random([n], seed: 2), m = Tensor(zeros: [n]), v = Tensor(zeros: [n])
        var pr = p.scalars, mr = m.scalars, vr = v.scalars
        var scalars: [Double] = []
        for step in 0..<4 {
            let g = GradientCheck.random([n], seed: UInt64(20 + step))
            opt.update(values: p, gradients: g, slots: [m, v], scalars: &scalars, iteration: step, lr: 0.002)
            let t = Float(step + 1)
            let alpha = Float(0.002) * (1 - powf(0.99, t)).squareRoot() / (1 - powf(0.8, t))
            for i in 0..<n {
                let gi = g[flat: i]
                mr[i] += (gi - mr[i]) * (1 - 0.8)
                vr[i] += (gi * gi - vr[i]) * (1 - 0.99)
                pr[i] -= alpha * mr[i] / (vr[i].squareRoot() + 1e-6)
            }
        }
        XCTAssertEqual(p.scalars.map(\.bitPattern), pr.map(\.bitPattern))
        XCTAssertEqual(m.scalars.map(\.bitPattern), mr.map(\.bitPattern))
        XCTAssertEqual(v.scalars.map(\.bitPattern), vr.map(\.bitPattern))
    }
}
