import Foundation
import StrataCore
import XCTest

@testable import StrataRun

final class RunConfigTests: XCTestCase {
    func write(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "strata-config-\(UUID().uuidString).yaml"
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testUnknownKeyNamesLineAndClosestKey() {
        let path = write(
            """
            model:
              - Dense: {units: 1, input_dim: 2}
            data:
              synthetic: {x: {shape: [2]}, y: {classes: 2}, train: 4}
            fit:
              epochs: 1
              batchsize: 2
            """)
        XCTAssertThrowsError(try RunConfig.load(path)) { e in
            let err = e as! ConfigError
            XCTAssertEqual(err.line, 7)
            XCTAssertTrue(err.errorDescription!.contains("'batchsize'"), err.errorDescription!)
            XCTAssertTrue(err.errorDescription!.contains("did you mean 'batch_size'"), err.errorDescription!)
        }
    }

    func testWrongTypeAndUnknownLayerAndLayerArgument() {
        let bad = [
            ("fit: {epochs: many}", "fit.epochs must be an integer"),
            ("fit: {shuffle: 3}", "fit.shuffle must be true or false"),
        ]
        for (fit, expected) in bad {
            let path = write(
                "model:\n  - Dense: {units: 1, input_dim: 2}\ndata:\n  synthetic: {x: {shape: [2]}, y: {classes: 2}, train: 4}\n\(fit)\n")
            XCTAssertThrowsError(try RunConfig.load(path)) { e in
                XCTAssertTrue((e as! ConfigError).errorDescription!.contains(expected), "\(e)")
            }
        }
        let layer = write("model:\n  - Dens: {units: 1, input_dim: 2}\ndata:\n  synthetic: {x: {shape: [2]}, y: {classes: 2}, train: 4}\n")
        XCTAssertThrowsError(try RunConfig.load(layer)) { e in
            XCTAssertTrue((e as! ConfigError).errorDescription!.contains("did you mean 'Dense'"), "\(e)")
            XCTAssertEqual((e as! ConfigError).line, 2)
        }
        let arg = write("model:\n  - Dense: {unit: 1, input_dim: 2}\ndata:\n  synthetic: {x: {shape: [2]}, y: {classes: 2}, train: 4}\n")
        let config = try! RunConfig.load(arg)
        XCTAssertThrowsError(try Runner(config: config, communicator: SingleProcess()).makeModel()) { e in
            let text = (e as! ConfigError).errorDescription!
            XCTAssertTrue(text.contains("unknown Dense argument 'unit'") && text.contains("did you mean 'units'"), text)
        }
    }

    /// The optimizer's training options in YAML: a schedule as `learning_rate: {Name: {...}}`, clipping and weight
    /// decay as arguments; a misspelt schedule argument is an error naming it and the config line.
    func testOptimizerScheduleAndClippingInYAML() throws {
        let yaml = { (args: String) in
            """
            model:
              - Dense: {units: 2, input_dim: 3, activation: softmax}
            data:
              synthetic: {x: {shape: [3]}, y: {classes: 2, one_hot: true}, train: 8}
            compile:
              optimizer:
                AdamW:
                  learning_rate: {CosineDecay: {\(args)}}
                  global_clipnorm: 1.0
                  weight_decay: 0.01
              loss: categorical_crossentropy
            fit: {epochs: 1, batch_size: 4}
            """
        }
        let c = try RunConfig.load(write(yaml("initial_learning_rate: 0.0, decay_steps: 10, warmup_target: 0.1, warmup_steps: 5")))
        let model = try Runner(config: c, communicator: SingleProcess()).makeModel()
        let opt = try XCTUnwrap(model.optimizer as? AdamW)
        XCTAssertEqual(opt.options.globalClipnorm, 1)
        XCTAssertEqual(opt.weightDecay, 0.01)
        XCTAssertEqual(opt.options.schedule?.className, "CosineDecay")
        XCTAssertEqual(opt.effectiveLearningRate(iteration: 0), 0)
        XCTAssertEqual(opt.effectiveLearningRate(iteration: 5), 0.1, accuracy: 1e-8)
        XCTAssertThrowsError(try RunConfig.load(write(yaml("initial_learning_rate: 0.1, decay_step: 10")))) { e in
            let text = (e as! ConfigError).errorDescription!
            XCTAssertTrue(text.contains("decay_step"), text)
            XCTAssertEqual((e as! ConfigError).line, 7)
        }
    }

    func testSetOverridesAndFractions() throws {
        let path = write(
            """
            model:
              - Dense: {units: 3, input_dim: 4, activation: softmax}
            data:
              synthetic: {x: {shape: [4]}, y: {classes: 3, one_hot: true}, train: 8}
              transforms: {x: {rescale: 1/255}}
            fit: {epochs: 5}
            """)
        let c = try RunConfig.load(path, overrides: ["fit.epochs=2", "fit.batch_size=4", "run.dir=/tmp/x"])
        XCTAssertEqual(c.epochs, 2)
        XCTAssertEqual(c.batchSize, 4)
        XCTAssertEqual(c.runDir, "/tmp/x")
        XCTAssertEqual(c.data.xTransforms.rescale!, Float(1.0 / 255), accuracy: 1e-9)
        XCTAssertThrowsError(try RunConfig.load(path, overrides: ["fit.epochs"]))
    }

    /// A small config whose `run.communication` is `communication`.
    private func communicationConfig(_ communication: String) -> String {
        write(
            """
            model:
              - Dense: {units: 3, input_dim: 4, activation: softmax}
            data:
              synthetic: {x: {shape: [4]}, y: {classes: 3, one_hot: true}, train: 8}
            run:
              communication: \(communication)
            """)
    }

    /// `run.communication.shard_optimizer` turns ZeRO-1 on (off by default); a non-boolean is a clear error.
    func testShardOptimizerKey() throws {
        let path = communicationConfig("{shard_optimizer: true, overlap: false}")
        let c = try RunConfig.load(path)
        XCTAssertEqual(c.communication, GradientCommunication(overlap: false, shardOptimizer: true))
        XCTAssertFalse(try RunConfig.load(path, overrides: ["run.communication.shard_optimizer=false"]).communication.shardOptimizer)
        XCTAssertThrowsError(try RunConfig.load(path, overrides: ["run.communication.shard_optimizer=3"])) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(text.contains("run.communication.shard_optimizer must be true or false"), text)
        }
    }

    /// `run.communication.progress_thread` (on by default) turns the communication thread off; a non-boolean is a
    /// clear error naming the key.
    func testProgressThreadKey() throws {
        let path = communicationConfig("{progress_thread: false}")
        XCTAssertEqual(try RunConfig.load(path).communication, GradientCommunication(progressThread: false))
        XCTAssertTrue(GradientCommunication().progressThread)
        XCTAssertTrue(try RunConfig.load(path, overrides: ["run.communication.progress_thread=true"]).communication.progressThread)
        XCTAssertThrowsError(try RunConfig.load(path, overrides: ["run.communication.progress_thread=fast"])) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(text.contains("run.communication.progress_thread must be true or false"), text)
        }
    }

    /// `run.communication.compression` (none by default) picks the gradients' wire format; any other value is a clear
    /// error listing the allowed ones, and combined with `shard_optimizer` an error naming both settings.
    func testCompressionKey() throws {
        let path = communicationConfig("{compression: bf16}")
        XCTAssertEqual(try RunConfig.load(path).communication, GradientCommunication(compression: .bf16))
        XCTAssertEqual(GradientCommunication().compression, GradientCompression.none)
        XCTAssertEqual(try RunConfig.load(path, overrides: ["run.communication.compression=fp16"]).communication.compression, .fp16)
        XCTAssertEqual(try RunConfig.load(path, overrides: ["run.communication.compression=none"]).communication.compression, .none)
        for bad in ["fp8", "true", "FP16"] {
            XCTAssertThrowsError(try RunConfig.load(path, overrides: ["run.communication.compression=\(bad)"])) {
                let text = ($0 as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(text.contains("run.communication.compression must be one of none, fp16, bf16, got '\(bad)'"), text)
            }
        }
        XCTAssertThrowsError(try RunConfig.load(path, overrides: ["run.communication.shard_optimizer=true"])) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(
                text.contains("communication.compression: bf16 cannot be combined with communication.shard_optimizer: true"), text)
            XCTAssertTrue(text.contains("set compression: none, or shard_optimizer: false"), text)
        }
    }

    /// An autoencoder's targets are its images: `rescale` and `reshape` apply to y as to x; a reshape that loses
    /// values is an error naming both shapes.
    func testTargetTransformsRescaleAndReshape() throws {
        let x = try Tensor(shape: [2, 4], scalars: [0, 51, 102, 255, 255, 0, 0, 51])
        let base = TensorDataset(x: x, y: x.copy())
        let t = DataConfig.Transforms(rescale: 1 / 255, reshape: [2, 2, 1])
        let d = try TransformedDataset(base, x: t, y: t)
        XCTAssertEqual(d.yShape, [2, 2, 1])
        let xs = Tensor(zeros: [2, 2, 2, 1]), ys = Tensor(zeros: [2, 2, 2, 1])
        try d.read([1, 0], x: xs, y: ys)
        for (a, b) in zip(ys.scalars, [1, 0, 0, 0.2, 0, 0.2, 0.4, 1] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(ys.scalars, xs.scalars)
        XCTAssertThrowsError(try TransformedDataset(base, x: .init(), y: .init(reshape: [3]))) {
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("[4] to [3]") ?? false, "\($0)")
        }
    }

    /// Every bundled config parses, builds, and trains one short epoch.
    func testEveryBundledConfigRunsOneShortEpoch() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let runDir = NSTemporaryDirectory() + "strata-run-\(UUID().uuidString)"
            let config = try RunConfig.load(
                dir.appendingPathComponent(f).path,
                overrides: ["fit.epochs=1", "fit.verbose=0", "run.dir=\(runDir)"])
            let runner = Runner(config: config, communicator: SingleProcess())
            let root = dir.deletingLastPathComponent().path
            let history = try runner.train(
                openFile: { s in
                    try Files.open(DataConfig.FileSource(file: s.file.hasPrefix("/") ? s.file : root + "/" + s.file, x: s.x, y: s.y))
                }, maxSamples: config.batchSize)
            XCTAssertEqual(history.epoch, [0], f)
            XCTAssertTrue(history["loss"]![0].isFinite, f)
            XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/history.csv"), f)
        }
    }
}
