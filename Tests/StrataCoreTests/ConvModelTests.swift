import TestSupport
import XCTest

@testable import StrataCore

/// Small versions of the Keras guide's VGG-like convnet and 1-D convolution classifier: they train (loss goes
/// down) and their summaries have Keras's shapes and parameter counts.
final class ConvModelTests: XCTestCase {
    /// Images whose class (0...3) is the quadrant of channel 0 that is brighter.
    func quadrantImages(_ n: Int, side: Int, seed: UInt64) throws -> (Tensor, Tensor) {
        let data = RandomData(seed: seed)
        let x = data.uniform([n, side, side, 3])
        let labels = data.integers(4, count: n)
        let half = side / 2
        for (i, k) in labels.enumerated() {
            for r in 0..<half { for c in 0..<half { x[i, (k / 2) * half + r, (k % 2) * half + c, 0] += 1 } }
        }
        return (x, try toCategorical(labels, numClasses: 10))
    }

    /// Keras fixture sets `conv_model_2d` / `conv_model_1d`: predictions with fixed weights, then the weights after
    /// 3 SGD(0.1, momentum 0.9) steps, within 1e-3 of the size of Keras's own update.
    func checkModel(_ set: String, _ model: Sequential, loss: String) throws {
        let n = Int(try Fixtures.manifest(set)["weights"]!.intValue!)
        let start = try (0..<n).map { try Fixtures.npy(set, "w\($0)") }
        try model.build()
        try model.setWeights(start)
        let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
        let pred = try model.predict(x, batchSize: 4)
        let p = Parity.compare(pred, try Fixtures.npy(set, "pred"))
        XCTAssertTrue(p.ok, "\(set): predictions differ from Keras by up to \(p.maxError)")
        model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: loss)
        try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, shuffle: false)
        var worst: Float = 0
        for (i, w) in model.getWeights().enumerated() {
            let keras = try Fixtures.npy(set, "trained\(i)")
            var diff: Float = 0, update: Float = 0
            for j in 0..<w.count {
                diff = max(diff, abs(w[flat: j] - keras[flat: j]))
                update = max(update, abs(keras[flat: j] - start[i][flat: j]))
            }
            worst = max(worst, diff / update)
        }
        XCTAssertLessThan(worst, 1e-3, "\(set): weights after 3 steps differ from Keras's")
        print("fixture \(set): prediction max error \(p.maxError), weights after 3 steps \(worst) of Keras's update")
    }

    func testSmallModelsMatchKerasEndToEnd() throws {
        let m2 = Sequential(seed: 1)
        m2.add(Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [8, 8, 2]))
        m2.add(Conv2D(3, kernelSize: (2, 2), padding: .same, activation: .tanh))
        m2.add(MaxPooling2D(poolSize: (2, 2)))
        m2.add(Flatten())
        m2.add(Dense(5, activation: .softmax))
        try checkModel("conv_model_2d", m2, loss: "categorical_crossentropy")
        let m1 = Sequential(seed: 1)
        m1.add(Conv1D(4, kernelSize: 3, activation: .relu, inputShape: [10, 3]))
        m1.add(MaxPooling1D(poolSize: 2))
        m1.add(Conv1D(3, kernelSize: 2, padding: .same))
        m1.add(GlobalAveragePooling1D())
        m1.add(Dense(1, activation: .sigmoid))
        try checkModel("conv_model_1d", m1, loss: "binary_crossentropy")
    }

    /// Issue 15's convolution variants in two small models (Tests/Fixtures/gen_conv2.py): a convolutional
    /// autoencoder holding every 2-D one, and a 1-D model holding every 1-D one.
    func testConvolutionVariantModelsMatchKerasEndToEnd() throws {
        let m2 = Sequential(
            [
                Conv2D(4, kernelSize: (3, 3), padding: .same, activation: .relu, inputShape: [8, 8, 1]),
                MaxPooling2D(poolSize: (2, 2)),
                SeparableConv2D(4, kernelSize: (3, 3), padding: .same, depthMultiplier: 2, activation: .relu),
                UpSampling2D(size: (2, 2), interpolation: .bilinear),
                DepthwiseConv2D(kernelSize: (3, 3), padding: .same),
                ZeroPadding2D((1, 1)),
                Cropping2D(cropping: ((2, 0), (1, 1))),
                MaxPooling2D(poolSize: (2, 2)),
                Conv2DTranspose(3, kernelSize: (3, 3), strides: (2, 2), padding: .same, activation: .relu),
                UpSampling2D(size: (1, 1)),
                Conv2D(1, kernelSize: (3, 3), padding: .same, activation: .sigmoid),
            ], seed: 1)
        try checkModel("conv2_model_2d", m2, loss: "binary_crossentropy")
        let m1 = Sequential(
            [
                Conv1D(3, kernelSize: 3, activation: .relu, inputShape: [10, 2]),
                Conv1DTranspose(3, kernelSize: 3, strides: 2, padding: .same, outputPadding: 1),
                UpSampling1D(size: 2),
                ZeroPadding1D(padding: (1, 2)),
                Cropping1D(cropping: (2, 3)),
                SeparableConv1D(2, kernelSize: 3, strides: 2, activation: .tanh),
                GlobalAveragePooling1D(),
                Dense(1),
            ], seed: 1)
        try checkModel("conv2_model_1d", m1, loss: "mse")
    }

    /// configs/mnist_autoencoder.yaml's model: Keras's summary shapes and parameter counts (Keras 3.15.1 prints
    /// Total params: 3,217 for it; per layer 160, 1,160, 584, 1,168, 145).
    func testAutoencoderSummaryHasKerasCounts() throws {
        let specs: [(String, [String: JSONValue])] = [
            ("Conv2D", ["filters": 16, "kernel_size": [3, 3], "activation": "relu", "padding": "same", "input_shape": [28, 28, 1]]),
            ("MaxPooling2D", ["pool_size": [2, 2]]),
            ("Conv2D", ["filters": 8, "kernel_size": [3, 3], "activation": "relu", "padding": "same"]),
            ("MaxPooling2D", ["pool_size": [2, 2]]),
            ("Conv2DTranspose", ["filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu", "padding": "same"]),
            ("UpSampling2D", ["size": [2, 2]]),
            ("Conv2D", ["filters": 16, "kernel_size": [3, 3], "activation": "relu", "padding": "same"]),
            ("Conv2D", ["filters": 1, "kernel_size": [3, 3], "activation": "sigmoid", "padding": "same"]),
        ]
        let m = Sequential(try specs.map { try LayerRegistry.make(className: $0.0, config: $0.1) }, seed: 1)
        let text = try m.summaryText()
        for needle in ["(None, 14, 14, 8)", "(None, 28, 28, 8)", "584", "Total params: 3,217", "Non-trainable params: 0"] {
            XCTAssertTrue(text.contains(needle), "summary lacks \(needle):\n\(text)")
        }
    }

    func testEmptyBatchPassesThroughEveryLayer() throws {
        // A rank with no rows still runs forward and backward (it joins the all-reduce).
        let cases: [(Layer, [Int])] = [
            (Conv2D(2, kernelSize: (2, 2), padding: .same), [4, 4, 3]), (Conv1D(2, kernelSize: 2), [5, 3]),
            (MaxPooling2D(), [4, 4, 3]), (AveragePooling1D(), [4, 3]), (GlobalMaxPooling2D(), [4, 4, 3]),
            (GlobalAveragePooling1D(), [4, 3]), (Reshape([-1]), [4, 3]),
        ]
        for (layer, shape) in cases {
            let h = try LayerHarness(layer, inputShape: shape)
            let y = h.forward(Tensor(zeros: [0] + shape))
            XCTAssertEqual(y.shape, [0] + h.outputShape, layer.className)
            XCTAssertEqual(layer.backward(Tensor(zeros: [0] + h.outputShape), context: h.context).shape, [0] + shape)
            XCTAssertEqual(h.parameters.gradients.scalars.filter { $0 != 0 }, [], layer.className)
        }
    }

    func testSmallVGGLikeTrains() throws {
        let (x, y) = try quadrantImages(64, side: 16, seed: 5)
        let model = Sequential(seed: 42)
        model.add(Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [16, 16, 3]))
        model.add(Conv2D(4, kernelSize: (3, 3), activation: .relu))
        model.add(MaxPooling2D(poolSize: (2, 2)))
        model.add(Dropout(0.25))
        model.add(Conv2D(8, kernelSize: (3, 3), activation: .relu))
        model.add(Conv2D(8, kernelSize: (3, 3), activation: .relu))
        model.add(MaxPooling2D(poolSize: (2, 2)))
        model.add(Dropout(0.25))
        model.add(Flatten())
        model.add(Dense(16, activation: .relu))
        model.add(Dropout(0.5))
        model.add(Dense(10, activation: .softmax))
        model.compile(
            optimizer: SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, decay: 1e-6),
            loss: "categorical_crossentropy")
        let history = try model.fit(x, y, batchSize: 16, epochs: 12, verbose: 0)
        XCTAssertEqual(
            model.layerOutputShapes,
            [
                [14, 14, 4], [12, 12, 4], [6, 6, 4], [6, 6, 4], [4, 4, 8], [2, 2, 8],
                [1, 1, 8], [1, 1, 8], [8], [16], [16], [10],
            ])
        // Keras count_params: 3*3*3*4+4, 3*3*4*4+4, 3*3*4*8+8, 3*3*8*8+8, 8*16+16, 16*10+10.
        XCTAssertEqual(model.countParams(), 112 + 148 + 296 + 584 + 144 + 170)
        let loss = history["loss"]!
        print("\(name) loss per epoch:", loss.map { ($0 * 1000).rounded() / 1000 })
        XCTAssertLessThan(loss.last!, 0.7 * loss.first!, "loss per epoch: \(loss)")
    }

    func testSmallConv1DClassifierTrains() throws {
        // Class 1 when channel 0 rises along the sequence, 0 when it falls.
        let n = 64, steps = 24, channels = 8
        let data = RandomData(seed: 9)
        let x = data.uniform([n, steps, channels])
        let labels = data.integers(2, count: n)
        for (i, l) in labels.enumerated() {
            for t in 0..<steps { x[i, t, 0] += Float(l == 1 ? t : steps - t) / Float(steps) * 2 }
        }
        let y = try Tensor(shape: [n, 1], scalars: labels.map(Float.init))
        let model = Sequential(seed: 42)
        model.add(Conv1D(8, kernelSize: 3, activation: .relu, inputShape: [steps, channels]))
        model.add(Conv1D(8, kernelSize: 3, activation: .relu))
        model.add(MaxPooling1D(poolSize: 3))
        model.add(Conv1D(16, kernelSize: 3, activation: .relu))
        model.add(Conv1D(16, kernelSize: 3, activation: .relu))
        model.add(GlobalAveragePooling1D())
        model.add(Dropout(0.5))
        model.add(Dense(1, activation: .sigmoid))
        model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])
        let history = try model.fit(x, y, batchSize: 16, epochs: 15, verbose: 0)
        XCTAssertEqual(model.layerOutputShapes, [[22, 8], [20, 8], [6, 8], [4, 16], [2, 16], [16], [16], [1]])
        let loss = history["loss"]!
        print("\(name) loss per epoch:", loss.map { ($0 * 1000).rounded() / 1000 })
        XCTAssertLessThan(loss.last!, 0.7 * loss.first!, "loss per epoch: \(loss)")
    }
}
