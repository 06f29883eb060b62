import TestSupport
import XCTest

@testable import StrataCore

/// The buffers a model lends its layers: input gradients alternate between two storages, and a model's backward
/// pass through them (gradients written in place into `dy`, shared im2col chunks) still gives the true gradient.
final class SharedBuffersTests: XCTestCase {
    /// Each input gradient avoids the storage of the `dy` it was given, so two storages serve a whole chain, and a
    /// storage grows when a larger layer input needs it.
    func testInputGradientsAlternateBetweenTwoStorages() throws {
        let shared = SharedBuffers()
        let loss = Tensor(zeros: [2, 3])
        let a = shared.inputGradient([2, 5], avoiding: loss)
        let b = shared.inputGradient([2, 7], avoiding: a)
        let c = shared.inputGradient([2, 4], avoiding: try b.reshaped([14]))
        let d = shared.inputGradient([2, 9], avoiding: c)
        XCTAssertFalse(a.storage === b.storage)
        XCTAssertTrue(c.storage === a.storage)
        XCTAssertFalse(d.storage === c.storage)  // b's storage was too small: replaced by a larger one
        XCTAssertGreaterThanOrEqual(d.storage.capacity, 18)
        XCTAssertTrue(shared.inputGradient([2, 8], avoiding: c).storage === d.storage)
        XCTAssertTrue(shared.scratch(.patches, [3, 3]).storage === shared.scratch(.patches, [2, 4]).storage)
        XCTAssertFalse(shared.scratch(.patches, [3, 3]).storage === shared.scratch(.patchGradients, [3, 3]).storage)
    }

    /// The model's backward pass (every layer's `dx` in the two shared storages, activation and dropout gradients
    /// written over `dy`, the im2col chunks shared by both convolutions) against central differences of
    /// `sum(c * model(x))` for every weight, with dropout active; a second pass over the now-used buffers gives
    /// the same gradients bit for bit.
    func testModelGradientsThroughSharedBuffersMatchFiniteDifferences() throws {
        let conv1 = Conv2D(3, kernelSize: (2, 2), activation: .tanh, inputShape: [6, 6, 2])
        let conv2 = Conv2D(4, kernelSize: (2, 2), padding: .same, activation: .sigmoid)
        conv1.packingBudget = 40  // several chunks per batch: the shared im2col scratch, repacked in backward
        conv2.packingBudget = 60
        let model = Sequential(
            [
                conv1, conv2, AveragePooling2D(poolSize: (2, 2)), Dropout(0.3), Flatten(),
                Dense(6, activation: .tanh), Activation(.sigmoid), Dropout(0.25),
                Dense(3, activation: .elu),
            ], seed: 5)
        try model.build()
        let p = model.parameters!
        p.values.assign(GradientCheck.random([p.count], seed: 11, low: -0.5, high: 0.5))
        let x = GradientCheck.random([3, 6, 6, 2], seed: 12)
        let c = GradientCheck.random([3, 3], seed: 13)

        func objective() -> Double {
            let y = model.forward(x, training: true, step: 4, firstRow: 0)
            var s = 0.0
            for i in 0..<y.count { s += Double(y[flat: i]) * Double(c[flat: i]) }
            return s
        }
        func analytic() -> [Float] {
            p.gradients.fill(0)
            _ = objective()
            model.backward(c.copy(), fromLogits: false, step: 4, firstRow: 0)  // the model may overwrite its dy
            return p.gradients.scalars
        }
        let dw = analytic()
        XCTAssertEqual(analytic(), dw, "a second pass over the used shared buffers")

        var worst = 0.0, largest = 0.0
        let numeric = GradientCheck.numericGradient(
            p.values, at: 0..<p.count, step: { 1e-2 * max(abs($0), 1) },
            objective: objective)
        for i in 0..<p.count {
            worst = max(worst, abs(numeric[i] - Double(dw[i])))
            largest = max(largest, abs(numeric[i]))
        }
        XCTAssertGreaterThan(largest, 1e-3)
        XCTAssertLessThan(worst / largest, 1e-2, "model gradient differs from finite differences")
    }

    /// Rules 5 and 6 on a VGG-like chain (relu convolutions, max pooling, dropout in place, Flatten, Dense): the input
    /// gradients that may go over their inputs do (relu convolutions read their output in backward, so the layer
    /// after one still takes a shared storage: on this chain the peak stays), and training gives the weights
    /// of the same run with the rules off bit for bit.
    func testInputGradientsOverInputsTrainIdentically() throws {
        func run(alias: Bool) throws -> (weights: [Float], sharedGradients: Int) {
            let model = Sequential(
                [
                    Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [10, 10, 2]),
                    Conv2D(16, kernelSize: (3, 3), activation: .relu),
                    MaxPooling2D(poolSize: (2, 2)), Dropout(0.25),
                    Conv2D(8, kernelSize: (2, 2), activation: .relu),
                    Flatten(), Dense(6, activation: .relu), Dropout(0.5), Dense(3, activation: .softmax),
                ], seed: 7)
            model.aliasInputGradients = alias
            model.compile(optimizer: SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
            let x = GradientCheck.random([20, 10, 10, 2], seed: 3)
            let y = try Tensor(shape: [20, 3], scalars: (0..<60).map { $0 % 3 == ($0 / 3) % 3 ? 1 : 0 })
            try model.fit(x, y, batchSize: 8, epochs: 2, verbose: 0)
            return (model.parameters!.values.scalars, model.sharedBuffers.gradientCapacity)
        }
        let on = try run(alias: true), off = try run(alias: false)
        XCTAssertEqual(on.weights, off.weights)
        XCTAssertGreaterThan(off.sharedGradients, 0)
        XCTAssertLessThanOrEqual(on.sharedGradients, off.sharedGradients, "rule 5 never adds shared gradient storage")
    }

    /// A relu convolution on the direct kernels keeps a 1-bit mask (written by the forward kernel, read by the kernel
    /// gradient) instead of its output: it no longer reads its output in backward, so rules 5 and 6 apply after it,
    /// and training gives the weights of the same run that keeps the outputs, bit for bit (the mask is `y > 0`,
    /// exactly the test the kept output answered).
    func testReluMaskInsteadOfOutputTrainsIdentically() throws {
        try XCTSkipIf(ConvKernels.cpuLanes == 0, "no direct convolution kernels on this CPU")
        func run(mask: Bool) throws -> (weights: [Float], readsOutput: [Bool]) {
            let convs = [
                Conv2D(8, kernelSize: (3, 3), activation: .relu, inputShape: [10, 10, 3]),
                Conv2D(16, kernelSize: (3, 3), padding: .same, activation: .relu),
                Conv2D(8, kernelSize: (2, 2), activation: .relu),
            ]
            let conv1d = Conv1D(8, kernelSize: 3, activation: .relu)
            for c in convs { c.engine.keepsReluMask = mask }
            conv1d.engine.keepsReluMask = mask
            let model = Sequential(
                [
                    convs[0], convs[1], MaxPooling2D(poolSize: (2, 2)), Dropout(0.25), convs[2],
                    Reshape([9, 8]), conv1d, Flatten(), Dense(6, activation: .relu), Dropout(0.5),
                    Dense(3, activation: .softmax),
                ], seed: 7)
            model.compile(optimizer: SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
            let x = GradientCheck.random([20, 10, 10, 3], seed: 3)
            let y = try Tensor(shape: [20, 3], scalars: (0..<60).map { $0 % 3 == ($0 / 3) % 3 ? 1 : 0 })
            try model.fit(x, y, batchSize: 8, epochs: 2, verbose: 0)
            return (model.parameters!.values.scalars, convs.map(\.backwardReadsOutput) + [conv1d.backwardReadsOutput])
        }
        let on = try run(mask: true), off = try run(mask: false)
        XCTAssertEqual(on.readsOutput, [false, false, false, false])
        XCTAssertEqual(off.readsOutput, [true, true, true, true])
        XCTAssertEqual(on.weights, off.weights)
    }
}
