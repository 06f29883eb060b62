import Foundation
import Strata
import TestSupport
import XCTest

@testable import StrataHDF5

/// Schedules, clipping, weight decay and the EMA through checkpoints and Keras files: a run resumed mid-schedule
/// ends bit-identical to the uninterrupted one, and Python Keras compiles our file's training_config the same way.
final class OptimizerOptionsCheckpointTests: XCTestCase {
    static var optimizers: [(String, () -> Optimizer)] {
        [
            (
                "adam+exponential+clipnorm+wd",
                {
                    Adam(learningRate: ExponentialDecay(initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.7))
                        .with(weightDecay: 0.01, clipnorm: 0.5)
                }
            ),
            (
                "sgd+restarts+global_clipnorm+ema",
                {
                    SGD(learningRate: CosineDecayRestarts(initialLearningRate: 0.3, firstDecaySteps: 2, mMul: 0.8), momentum: 0.9)
                        .with(globalClipnorm: 0.3, useEma: true, emaMomentum: 0.8, emaOverwriteFrequency: 5)
                }
            ),
            (
                "ftrl+piecewise",
                {
                    Ftrl(
                        learningRate: PiecewiseConstantDecay(boundaries: [4, 9], values: [0.3, 0.1, 0.03]), l1RegularizationStrength: 0.001)
                }
            ),
            ("adafactor+clipvalue", { Adafactor(learningRate: 0.05).with(clipvalue: 0.1) }),
        ]
    }

    func testResumeMidScheduleIsBitIdentical() throws {
        let x = try TestFiles.tensor(45, 4)
        let y = try toCategorical((0..<45).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        for (name, make) in Self.optimizers {
            let dir = try TestFiles.directory()
            func model() -> Sequential {
                let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dropout(0.3), Dense(2, activation: .softmax)], seed: 5)
                m.compile(optimizer: make(), loss: "categorical_crossentropy", metrics: ["accuracy"])
                return m
            }
            let full = model()
            let ck = ModelCheckpoint(dir + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))
            let h1 = try full.fit(TensorDataset(x: x, y: y), batchSize: 10, epochs: 3, verbose: 0, callbacks: [ck])
            for point in ["ck-1-2.h5", "ck-2-5.h5", "ck-3-3.h5"] {
                let resumed = model()
                let h2 = try resumed.fit(TensorDataset(x: x, y: y), batchSize: 10, epochs: 3, verbose: 0, resumeFrom: dir + "/" + point)
                XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, "\(name) from \(point)")
                XCTAssertEqual(h2.history, h1.history, "\(name) from \(point)")
                XCTAssertEqual(resumed.optimizerState!.slots.map(\.scalars), full.optimizerState!.slots.map(\.scalars), name)
            }
            // Another schedule (or another clipping) is another run: one clear error.
            let other = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dropout(0.3), Dense(2, activation: .softmax)], seed: 5)
            let changed = make()
            changed.options.schedule = InverseTimeDecay(initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5)
            other.compile(optimizer: changed, loss: "categorical_crossentropy", metrics: ["accuracy"])
            XCTAssertThrowsError(
                try other.fit(
                    TensorDataset(x: x, y: y), batchSize: 10, epochs: 3, verbose: 0,
                    resumeFrom: dir + "/ck-2-5.h5")
            ) { e in
                XCTAssertTrue(e.localizedDescription.contains("learning_rate"), e.localizedDescription)
            }
        }
    }

    /// Our file's training_config read back by Strata and by Python Keras (when available): the same optimizer
    /// class, base arguments and schedule.
    func testTrainingConfigRoundTripsThroughKeras() throws {
        let dir = try TestFiles.directory()
        var paths: [String] = []
        for (i, (name, make))
            in (Self.optimizers + [
                ("adamw", { AdamW(learningRate: 0.01) }),
                ("lion", { Lion(weightDecay: 0.1).with(clipvalue: 0.5) }),
            ]).enumerated()
        {
            let m = Sequential([Dense(3, activation: .softmax, inputShape: [4])], seed: 1)
            try m.build()
            let opt = make()
            m.compile(optimizer: opt, loss: "categorical_crossentropy")
            let path = dir + "/m\(i).h5"
            try m.save(path)
            paths.append(path)
            let back = try Sequential.load(path)
            XCTAssertEqual(back.optimizer!.kerasConfig, opt.kerasConfig, name)
            for t in [0, 3, 17] {
                XCTAssertEqual(back.optimizer!.effectiveLearningRate(iteration: t), opt.effectiveLearningRate(iteration: t), name)
            }
        }
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let script = """
            import json, sys, keras
            for p in sys.argv[1:]:
                m = keras.models.load_model(p, compile=True)
                o = m.optimizer
                lr = o._learning_rate
                sched = type(lr).__name__ if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule) else None
                c = o.get_config()
                print(json.dumps({"class": type(o).__name__, "schedule": sched,
                                  "lr": [float(lr(t)) for t in (0, 3, 17)] if sched else None,
                                  "keys": {k: c.get(k) for k in ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                                                                 "use_ema", "ema_momentum", "ema_overwrite_frequency")}}))
            """
        let (status, out) = try TestFiles.run(
            python, ["-c", script] + paths,
            environment: ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 },
            timeout: 300)
        XCTAssertEqual(status, 0, out)
        let lines = out.split(separator: "\n").filter { $0.hasPrefix("{") }
        XCTAssertEqual(lines.count, paths.count, out)
        for (line, path) in zip(lines, paths) {
            let k = try JSONValue.parse(String(line))
            let ours = try Sequential.load(path).optimizer!
            XCTAssertEqual(k["class"]?.stringValue, ours.name, path)
            XCTAssertEqual(k["schedule"]?.stringValue, ours.options.schedule?.className, path)
            if let lrs = k["lr"]?.arrayValue {
                for (t, v) in zip([0, 3, 17], lrs) {
                    XCTAssertEqual(Double(ours.effectiveLearningRate(iteration: t)), v.doubleValue!, accuracy: 1e-7, path)
                }
            }
            let c = ours.kerasConfig
            for (key, v) in k["keys"]!.objectValue! {
                let mine = c[key] ?? (key == "use_ema" ? .bool(false) : key == "ema_momentum" ? JSONValue(Float(0.99)) : .null)
                if let a = mine.doubleValue, let b = v.doubleValue {
                    XCTAssertEqual(a, b, accuracy: 1e-7, "\(path) \(key)")
                } else {
                    XCTAssertEqual(mine, v, "\(path) \(key)")
                }
            }
        }
    }
}
