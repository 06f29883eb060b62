import Foundation
import Strata
import TestSupport
import XCTest

@testable import StrataHDF5

final class CheckpointTests: XCTestCase {
    func trainedModel(optimizer: Optimizer = Adam(learningRate: 0.02)) throws -> (Sequential, Tensor, Tensor) {
        let x = try TestFiles.tensor(40, 4)
        let y = try toCategorical((0..<40).map { x[$0, 0] > 0 ? 1 : (x[$0, 1] > 0 ? 2 : 0) }, numClasses: 3)
        let m = Sequential([Dense(6, activation: .relu, inputShape: [4]), Dropout(0.2), Dense(3, activation: .softmax)], seed: 11)
        m.compile(optimizer: optimizer, loss: "categorical_crossentropy", metrics: ["accuracy"])
        try m.fit(x, y, batchSize: 8, epochs: 2, verbose: 0)
        return (m, x, y)
    }

    /// save + load: same weights, same optimizer state (iterations, slots, learning rate), same predictions.
    func testRoundTripKeepsWeightsAndOptimizerState() throws {
        let (m, x, _) = try trainedModel()
        let path = try TestFiles.directory() + "/model.h5"
        try m.save(path)
        let back = try Sequential.load(path)
        XCTAssertEqual(back.layers.map(\.name), ["dense", "dropout", "dense_1"])
        XCTAssertEqual(back.parameters!.values.scalars, m.parameters!.values.scalars)
        XCTAssertEqual(back.optimizer?.name, "Adam")
        XCTAssertEqual(back.optimizer?.learningRate, 0.02)
        XCTAssertEqual(back.optimizerState?.iterations, m.optimizerState?.iterations)
        XCTAssertEqual(back.optimizerState?.iterations, 10)
        for (a, b) in zip(back.optimizerState!.slots, m.optimizerState!.slots) { XCTAssertEqual(a.scalars, b.scalars) }
        XCTAssertEqual(try back.predict(x).scalars, try m.predict(x).scalars)
        // No temp file is left behind.
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path), ["model.h5"])
    }

    /// Keras's attribute chunking past 64 KB (`layer_names0`, `layer_names1`, ...) round-trips.
    func testLargeAttributesAreChunkedLikeKeras() throws {
        let path = try TestFiles.directory() + "/attrs.h5"
        let names = (0..<3000).map { String(format: "layer_with_a_long_name_%05d", $0) }
        do { try HDF5.File.create(path).setChunkedStrings("layer_names", names) }
        let f = try HDF5.File.open(path)
        XCTAssertFalse(f.hasAttribute("layer_names"))
        XCTAssertTrue(f.hasAttribute("layer_names0") && f.hasAttribute("layer_names1"))
        XCTAssertFalse(f.hasAttribute("layer_names2"))  // 84 000 bytes -> 2 chunks, as Keras writes (keras-format.md 1.7)
        XCTAssertEqual(try f.chunkedStrings("layer_names"), names)
    }

    /// Missing, non-HDF5, truncated and weights-less files: each a clear error naming the file.
    func testBadModelFiles() throws {
        let (m, _, _) = try trainedModel()
        let dir = try TestFiles.directory()
        try m.save(dir + "/good.h5")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/good.h5"))
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: dir + "/cut.h5"))
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: dir + "/text.h5"))
        do { let f = try HDF5.File.create(dir + "/data.h5"); try f.write("x", TestFiles.tensor(2, 2)) }
        for (name, expected) in [
            ("missing.h5", "no such file"), ("text.h5", "not an HDF5 file"), ("cut.h5", "cut.h5"),
            ("data.h5", "no model_config"),
        ] {
            XCTAssertThrowsError(try Sequential.load(dir + "/" + name), name) {
                let text = ($0 as? LocalizedError)?.errorDescription ?? "\($0)"
                XCTAssertTrue(text.contains(expected) && text.contains(name), text)
            }
        }
    }

    /// A checkpoint from a different model is refused with both descriptions.
    func testResumeIntoADifferentModelFails() throws {
        let (m, x, y) = try trainedModel()
        let path = try TestFiles.directory() + "/ckpt.h5"
        m.trainingState = TrainingState(seed: 11)
        try m.save(path)
        let other = Sequential([Dense(7, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)], seed: 11)
        other.compile(optimizer: Adam(), loss: "categorical_crossentropy")
        XCTAssertThrowsError(try other.fit(TensorDataset(x: x, y: y), epochs: 1, verbose: 0, resumeFrom: path)) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(text.contains("different model") || text.contains("weights"), text)
            XCTAssertTrue(text.contains("ckpt.h5"), text)
        }
        let sgd = Sequential([Dense(6, activation: .relu, inputShape: [4]), Dropout(0.2), Dense(3, activation: .softmax)], seed: 11)
        sgd.compile(optimizer: SGD(), loss: "categorical_crossentropy")
        XCTAssertThrowsError(try sgd.fit(TensorDataset(x: x, y: y), epochs: 1, verbose: 0, resumeFrom: path)) {
            XCTAssertTrue((($0 as? LocalizedError)?.errorDescription ?? "").contains("Adam optimizer state"))
        }
    }

    /// A checkpoint resumed with other data (same shapes, other values), another batch size, other optimizer
    /// settings or another model is one clear error, on every rank and across rank counts (written by 1 process,
    /// resumed by 2 ranks; written by 2 ranks, resumed by 1).
    func testResumeWithOtherDataOrSettingsFails() throws {
        let x = try TestFiles.tensor(40, 4), otherX = try TestFiles.tensor(40, 4, stream: 9)
        let y = try toCategorical((0..<40).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        func model(_ opt: Optimizer = Adam(learningRate: 0.01), hidden: Int = 5, loss: String = "categorical_crossentropy") -> Sequential {
            let m = Sequential([Dense(hidden, activation: .tanh, inputShape: [4]), Dense(2, activation: .softmax)], seed: 5)
            m.compile(optimizer: opt, loss: loss, metrics: ["accuracy"])
            return m
        }
        let dir1 = try TestFiles.directory(), dir2 = try TestFiles.directory()
        try model().fit(
            TensorDataset(x: x, y: y), batchSize: 8, epochs: 1, verbose: 0,
            callbacks: [ModelCheckpoint(dir1 + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))])
        for r in ThreadCommunicator.run(
            size: 2,
            { comm in
                try model().fit(
                    TensorDataset(x: x, y: y), batchSize: 8, epochs: 1, verbose: 0,
                    callbacks: [ModelCheckpoint(dir2 + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))], communicator: comm)
            })
        { _ = try r.get() }
        func expectError(_ text: String, _ what: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
            for n in needles { XCTAssertTrue(text.contains(n), "\(what): \(text)", file: file, line: line) }
        }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return (error as? LocalizedError)?.errorDescription ?? "\(error)" }
        }
        let other = ["other data or settings"]
        for dir in [dir1, dir2] {
            let ck = dir + "/ck-1-2.h5"
            // One process.
            expectError(
                message { try model().fit(TensorDataset(x: otherX, y: y), batchSize: 8, epochs: 2, verbose: 0, resumeFrom: ck) },
                "other data", other)
            expectError(
                message { try model().fit(TensorDataset(x: x, y: y), batchSize: 10, epochs: 2, verbose: 0, resumeFrom: ck) },
                "other batch size", other + ["batch=10", "batch=8"])
            expectError(
                message { try model(loss: "mse").fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0, resumeFrom: ck) },
                "other loss", other)
            expectError(
                message { try model().fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0, shuffle: false, resumeFrom: ck) },
                "no shuffle", other + ["shuffle=false"])
            expectError(
                message {
                    try model(Adam(learningRate: 0.01, beta1: 0.8)).fit(
                        TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0, resumeFrom: ck)
                },
                "other optimizer settings", ["beta_1", "ck-1-2.h5"])
            expectError(
                message { try model(hidden: 6).fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0, resumeFrom: ck) },
                "other model", ["different model", "ck-1-2.h5"])
            // Two ranks: the same error on each.
            let twoRanks = ThreadCommunicator.run(size: 2) { comm in
                message {
                    try model().fit(TensorDataset(x: otherX, y: y), batchSize: 8, epochs: 2, verbose: 0, communicator: comm, resumeFrom: ck)
                }
            }
            for r in twoRanks { expectError(try r.get(), "other data on 2 ranks", other) }
            // The same data and settings resume on either rank count without complaint.
            XCTAssertEqual(
                message { try model().fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0, resumeFrom: ck) }, "no error")
        }
    }

    /// Every layer family (convolution, pooling, embedding, the three recurrent layers, dropout in several forms)
    /// resumes from a mid-epoch checkpoint bit-identical to the uninterrupted run, and loads for prediction.
    func testEveryLayerFamilyResumesBitIdentically() throws {
        let r = RandomData(seed: 8)
        let labels = try toCategorical((0..<12).map { $0 % 2 }, numClasses: 2)
        let cases: [(String, () -> Sequential, Tensor)] = [
            (
                "conv2d",
                {
                    Sequential(
                        [
                            Conv2D(3, kernelSize: (3, 3), padding: .same, activation: .relu, inputShape: [6, 6, 1]),
                            MaxPooling2D(), Flatten(), Dropout(0.25), Dense(2, activation: .softmax),
                        ], seed: 4)
                }, r.uniform([12, 6, 6, 1])
            ),
            (
                "embedding-conv1d-rnn",
                {
                    Sequential(
                        [
                            Embedding(10, outputDim: 4, inputShape: [6]), Conv1D(4, kernelSize: 2, activation: .relu),
                            AveragePooling1D(), LSTM(3, dropout: 0.2, returnSequences: true),
                            GRU(3, recurrentDropout: 0.2, returnSequences: true), SimpleRNN(2, goBackwards: true),
                            Dense(2, activation: .softmax),
                        ], seed: 4)
                }, r.integerTensor(10, shape: [12, 6])
            ),
        ]
        for (name, make, x) in cases {
            let dir = try TestFiles.directory()
            func fit(_ m: Sequential, resumeFrom: String?) throws {
                m.compile(optimizer: Nadam(learningRate: 0.01), loss: "categorical_crossentropy", metrics: ["accuracy"])
                let data = TensorDataset(x: x, y: labels)
                if let resumeFrom {
                    try m.fit(data, batchSize: 5, epochs: 2, verbose: 0, resumeFrom: resumeFrom)
                } else {
                    try m.fit(
                        data, batchSize: 5, epochs: 2, verbose: 0,
                        callbacks: [ModelCheckpoint(dir + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))])
                }
            }
            let full = make()
            try fit(full, resumeFrom: nil)
            let resumed = make()
            try fit(resumed, resumeFrom: dir + "/ck-1-2.h5")
            XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, name)
            XCTAssertEqual(resumed.optimizerState!.slots.map(\.scalars), full.optimizerState!.slots.map(\.scalars), name)
            let path = dir + "/final.h5"
            try full.save(path)
            XCTAssertEqual(try Sequential.load(path).predict(x).scalars, try full.predict(x).scalars, name)
        }
    }

    /// Resuming from a mid-epoch checkpoint ends bit-identical to the uninterrupted run (in process).
    func testResumeFromMidEpochIsBitIdentical() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(45, 4)
        let y = try toCategorical((0..<45).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        func model() -> Sequential {
            let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dropout(0.3), Dense(2, activation: .softmax)], seed: 5)
            m.compile(optimizer: RMSprop(learningRate: 0.01), loss: "categorical_crossentropy", metrics: ["accuracy"])
            return m
        }
        let full = model()
        let ck = ModelCheckpoint(dir + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))
        let h1 = try full.fit(
            TensorDataset(x: x, y: y), batchSize: 10, epochs: 3, verbose: 0, callbacks: [ck],
            validationData: TensorDataset(x: x, y: y))
        for point in ["ck-2-3.h5", "ck-1-5.h5", "ck-3-5.h5"] {
            let resumed = model()
            let h2 = try resumed.fit(
                TensorDataset(x: x, y: y), batchSize: 10, epochs: 3, verbose: 0,
                validationData: TensorDataset(x: x, y: y), resumeFrom: dir + "/" + point)
            XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, point)
            XCTAssertEqual(h2.history, h1.history, point)
            XCTAssertEqual(h2.epoch, [0, 1, 2], point)
        }
    }

    /// Callback state is saved by key, not list position: a run resumed with its callbacks listed in another order
    /// (ReduceLROnPlateau's counters and best value, EarlyStopping's) ends bit-identical to the uninterrupted run.
    /// By position, each callback would take the other's state (ReduceLROnPlateau would lower the rate at other epochs).
    func testCallbackStateIsRestoredByKeyWhateverTheOrder() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(30, 4)
        let y = try toCategorical((0..<30).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        func model() -> Sequential {
            let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dense(2, activation: .softmax)], seed: 5)
            m.compile(optimizer: SGD(learningRate: 0.3), loss: "categorical_crossentropy")
            return m
        }
        func plateau() -> ReduceLROnPlateau { ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 2, minDelta: 1) }
        func stopping() -> EarlyStopping { EarlyStopping(monitor: "loss", patience: 10) }
        let full = model(), lrs = LearningRates()
        try full.fit(
            TensorDataset(x: x, y: y), batchSize: 10, epochs: 6, verbose: 0,
            callbacks: [stopping(), plateau(), lrs, ModelCheckpoint(dir + "/ck-{epoch}.h5")])
        XCTAssertLessThan(lrs.seen.last!, lrs.seen.first!, "the test needs ReduceLROnPlateau to act: \(lrs.seen)")
        let resumed = model(), resumedLRs = LearningRates()
        try resumed.fit(
            TensorDataset(x: x, y: y), batchSize: 10, epochs: 6, verbose: 0,
            callbacks: [plateau(), stopping(), resumedLRs], resumeFrom: dir + "/ck-2.h5")
        XCTAssertEqual(resumedLRs.seen, Array(lrs.seen.suffix(resumedLRs.seen.count)))
        XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars)
    }

    /// Keras itself (when available) opens our file and predicts the same numbers (1e-5); skipped otherwise.
    func testKerasLoadsOurFile() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON, or create /tmp/kerasvenv): Keras-side check skipped")
        }
        let (m, x, _) = try trainedModel(optimizer: SGD(learningRate: 0.05, momentum: 0.9, nesterov: true))
        let dir = try TestFiles.directory()
        try m.save(dir + "/model.h5")
        do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x) }
        let ours = try m.predict(x)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/keras_check.py").path
        let (status, out) = try TestFiles.run(
            python, [script, dir + "/model.h5", dir + "/x.h5", "--out", dir + "/pred.h5", "--fit"],
            environment: ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 },
            timeout: 300)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("fit ran on the loaded model"), out)  // Keras ignores our training-state group
        let keras = try HDF5.File.open(dir + "/pred.h5").dataset("keras3").readAll()
        XCTAssertEqual(keras.shape, ours.shape)
        for i in 0..<ours.count { XCTAssertEqual(keras[flat: i], ours[flat: i], accuracy: 1e-6 + 1e-5 * abs(ours[flat: i])) }
        if let tf = try? HDF5.File.open(dir + "/pred.h5").dataset("tf_keras").readAll() {
            for i in 0..<ours.count { XCTAssertEqual(tf[flat: i], ours[flat: i], accuracy: 1e-6 + 1e-5 * abs(ours[flat: i])) }
        }
    }
}

/// The learning rate at each epoch's start.
final class LearningRates: Callback {
    var seen: [Float] = []
    func onEpochBegin(_ epoch: Int, context: TrainingContext) throws { seen.append(context.model.optimizer!.learningRate) }
}
