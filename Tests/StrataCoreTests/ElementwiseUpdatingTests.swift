import XCTest

@testable import StrataCore

final class ElementwiseUpdatingTests: XCTestCase {
    /// The update split over 2 and 3 threads in ranges (sizes that do not divide evenly, ranges that do not start on
    /// a vector boundary) gives exactly the numbers of one call over the whole buffer: same values, same slots, for
    /// every optimizer that declares `ElementwiseUpdating`, over three steps.
    func testSplitUpdateEqualsOneCall() {
        let optimizers: [() -> ElementwiseUpdating] = [
            { SGD(learningRate: 0.01) }, { SGD(learningRate: 0.01, momentum: 0.9, nesterov: true) },
            { Adam() }, { Adam(amsgrad: true) }, { RMSprop() }, { RMSprop(momentum: 0.5, centered: true) },
            { Adagrad() }, { Adadelta() }, { Adamax() }, { Lion() },
        ]
        let n = 1001
        for (k, make) in optimizers.enumerated() {
            func run(threads: Int) -> [[Float]] {
                let opt = make()
                let values = normalTensor([n], seed: 1)
                let slots = opt.slotNames.indices.map { Tensor(zeros: [n], repeating: opt.slotInitialValue($0)) }
                var scalars = opt.initialScalars
                let pool = ThreadPool(threads: threads)
                for t in 0..<3 {
                    let g = normalTensor([n], seed: UInt64(10 + t))
                    opt.update(values: values, gradients: g, slots: slots, scalars: &scalars, iteration: t, lr: 0.01, pool: pool, grain: 7)
                }
                return [values.scalars] + slots.map(\.scalars)
            }
            let one = run(threads: 1)
            for threads in [2, 3] { XCTAssertEqual(run(threads: threads), one, "optimizer \(k), \(threads) threads") }
        }
    }
}
