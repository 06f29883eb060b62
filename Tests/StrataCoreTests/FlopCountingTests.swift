import XCTest

@testable import StrataCore

final class FlopCountingTests: XCTestCase {
    /// The counts `strata-bench --profile` divides by the layers' time, against closed forms: a multiply-add is 2.
    func testCountsAreTwiceTheMultiplyAdds() throws {
        var w = WeightAllocator()
        let conv2 = Conv2D(4, kernelSize: (3, 2), padding: .same)
        _ = try conv2.build(inputShape: [5, 6, 3], weights: &w)  // 5 x 6 positions ("same"), patch 3 * 2 * 3
        XCTAssertEqual(conv2.forwardFlopsPerSample, 2 * 30 * 18 * 4)
        XCTAssertEqual(conv2.backwardFlopsPerSample(needsInputGradient: true), 2 * 2 * 30 * 18 * 4)
        XCTAssertEqual(conv2.backwardFlopsPerSample(needsInputGradient: false), 2 * 30 * 18 * 4)
        let conv1 = Conv1D(2, kernelSize: 3)
        _ = try conv1.build(inputShape: [7, 5], weights: &w)
        XCTAssertEqual(conv1.forwardFlopsPerSample, 2 * 5 * 15 * 2)
        let dense = Dense(6)
        _ = try dense.build(inputShape: [4, 3], weights: &w)  // 4 rows of 3 per sample
        XCTAssertEqual(dense.forwardFlopsPerSample, 2 * 4 * 3 * 6)
    }

    /// The layer timer counts the samples of every timed forward and backward pass (training and validation).
    func testTimerCountsSamples() throws {
        let model = Sequential([Dense(2, inputDim: 3), Dense(1)], seed: 1)
        model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
        let timer = LayerTimer()
        model.layerTimer = timer
        _ = try model.fit(
            normalTensor([10, 3], seed: 1), normalTensor([10, 1], seed: 2), batchSize: 4, epochs: 2, verbose: 0,
            validationData: (normalTensor([3, 3], seed: 3), normalTensor([3, 1], seed: 4)))
        XCTAssertEqual(timer.forwardSamples, 2 * (10 + 3))
        XCTAssertEqual(timer.backwardSamples, 2 * 10)
        XCTAssertEqual(timer.steps, 2 * (3 + 1))
    }
}
