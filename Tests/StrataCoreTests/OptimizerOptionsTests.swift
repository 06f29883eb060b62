import StrataCore
import TestSupport
import XCTest

/// Keras 3's training options on the optimizers (opt_* fixtures, gen_options.py): AdamW, Lion, Ftrl, weight decay,
/// clipnorm / clipvalue / global_clipnorm, EMA and the learning-rate schedules, six whole-batch fit steps from the
/// same weights, built from Keras's own `get_config()` of each optimizer (schedules serialised as Keras does).
final class OptimizerOptionsTests: XCTestCase {
    func testSixStepsMatchKeras() throws {
        let sets = try Fixtures.manifest("opt_index")["sets"]!.arrayValue!.map { $0.stringValue! }
        var report: [String] = []
        for set in sets {
            let m = try Fixtures.manifest(set)
            let model = try KerasFixtureModel.make(set, inputShape: [m["input_dim"]!.intValue!], weightsPrefix: "start")
            let opt = try Optimizers.make(m["optimizer"]!.stringValue!, arguments: m["optimizer_args"]!.objectValue!)
            model.compile(optimizer: opt, loss: m["loss"]!.stringValue!)
            let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
            let h = try model.fit(x, y, batchSize: x.shape[0], epochs: m["steps"]!.intValue!, verbose: 0, shuffle: false)
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "end"),
                start: try KerasFixtureModel.weights(set, prefix: "start"), set)
            let kerasLosses = m["step_losses"]!.arrayValue!.map { $0.doubleValue! }
            var lossError = 0.0
            for (a, b) in zip(h["loss"]!, kerasLosses) {
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(set) step loss")
                lossError = max(lossError, abs(a - b) / max(abs(b), 1e-30))
            }
            XCTAssertEqual(model.optimizerState!.iterations, 6, set)
            report.append("\(set): \(String(format: "%.1e", ratio)) (loss \(String(format: "%.1e", lossError)))")
        }
        print(
            "PARITY options (max|w-w_keras| / max|w_keras-w_start| after 6 steps; max relative step-loss error): "
                + report.joined(separator: ", "))
    }

    /// Every schedule at steps 0...11 against Keras's own values.
    func testSchedulesMatchKeras() throws {
        let sets = try Fixtures.manifest("opt_index")["sets"]!.arrayValue!.map { $0.stringValue! }
        var report: [String] = []
        var seen = Set<String>()
        for set in sets {
            let m = try Fixtures.manifest(set)
            guard m["arrays"]?["schedule"] != nil else { continue }
            let schedule = try LearningRateSchedules.make(m["optimizer_args"]!["learning_rate"]!)
            seen.insert(schedule.className)
            let keras = try Fixtures.npy(set, "schedule")
            var worst = 0.0
            for t in 0..<keras.count {
                let k = Double(keras[flat: t]), ours = Double(schedule(t))
                XCTAssertEqual(ours, k, accuracy: 1e-6 * abs(k) + 1e-12, "\(set) step \(t)")
                worst = max(worst, abs(ours - k) / max(abs(k), 1e-30))
            }
            // Keras's config back out: the same numbers Keras wrote.
            let config = m["optimizer_args"]!["learning_rate"]!["config"]!.objectValue!
            for (k, v) in schedule.config where k != "name" { XCTAssertEqual(v, config[k] ?? .null, "\(set) config \(k)") }
            report.append("\(set): \(String(format: "%.1e", worst))")
        }
        XCTAssertEqual(seen, Set(LearningRateSchedules.names))
        print("PARITY schedules (max relative error at steps 0-11): " + report.joined(separator: ", "))
    }

    /// The Swift spelling, the YAML spelling and Keras's serialised spelling make the same optimizer.
    func testScheduleSpellings() throws {
        let swift = Adam(learningRate: ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9))
        let yaml = try Optimizers.make(
            "adam",
            arguments: [
                "learning_rate": [
                    "ExponentialDecay": [
                        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                    ]
                ]
            ])
        let keras = try Optimizers.make("Adam", arguments: ["learning_rate": swift.options.schedule!.kerasObject])
        for t in [0, 5, 10, 95] {
            XCTAssertEqual(yaml.effectiveLearningRate(iteration: t), swift.effectiveLearningRate(iteration: t))
            XCTAssertEqual(keras.effectiveLearningRate(iteration: t), swift.effectiveLearningRate(iteration: t))
        }
        XCTAssertEqual(swift.effectiveLearningRate(iteration: 10), 0.1 * 0.9, accuracy: 1e-8)
        XCTAssertEqual(swift.kerasConfig["learning_rate"]!["class_name"], "ExponentialDecay")
        XCTAssertEqual(swift.kerasConfig["learning_rate"]!["module"], "keras.optimizers.schedules")
        XCTAssertEqual(yaml.kerasConfig, keras.kerasConfig)
        // The fluent base arguments appear in Keras's config.
        let sgd = SGD(learningRate: 0.1).with(globalClipnorm: 1, useEma: true)
        XCTAssertEqual(sgd.kerasConfig["global_clipnorm"], 1)
        XCTAssertEqual(sgd.kerasConfig["use_ema"], true)
        XCTAssertEqual(sgd.stateSlotNames, ["average"])
        XCTAssertEqual((try Optimizers.named("adamw") as! AdamW).weightDecay, 0.004)
        XCTAssertEqual((try Optimizers.named("lion") as! Lion).beta2, 0.99)
        XCTAssertEqual((try Optimizers.named("ftrl") as! Ftrl).learningRatePower, -0.5)
    }

    /// Unknown and unsupported arguments are one error naming the argument.
    func testBadArgumentsAreNamed() {
        func expect(_ id: String, _ args: [String: JSONValue], _ words: String...) {
            XCTAssertThrowsError(try Optimizers.make(id, arguments: args)) { e in
                let text = e.localizedDescription
                for w in words { XCTAssertTrue(text.contains(w), "\(id) \(args): '\(text)' lacks '\(w)'") }
            }
        }
        expect("sgd", ["clipnorm": 1, "clipvalue": 0.5], "only one of clipnorm, clipvalue and global_clipnorm")
        expect("sgd", ["clipnorm": -1], "clipnorm")
        expect("adam", ["loss_scale_factor": 128], "loss_scale_factor")
        expect("adam", ["gradient_accumulation_steps": 4], "gradient_accumulation_steps")
        expect("adam", ["use_ema": true, "ema_momentum": 1.5], "ema_momentum")
        expect("adam", ["use_ema": true, "ema_overwrite_frequency": 0], "ema_overwrite_frequency")
        expect("lion", ["weight_dacay": 0.1], "unknown argument 'weight_dacay'")
        expect("lion", ["beta_1": 0], "beta_1")
        expect("ftrl", ["l1_regularization_strength": -1], "l1_regularization_strength")
        expect(
            "sgd", ["learning_rate": ["ExponentialDecay": ["initial_learning_rate": 0.1, "decay_steps": 10]]],
            "ExponentialDecay", "decay_rate")
        expect(
            "sgd",
            [
                "learning_rate": [
                    "ExponentialDecay": [
                        "initial_learning_rate": 0.1, "decay_steps": 10,
                        "decay_rate": 0.5, "stair": true,
                    ]
                ]
            ], "unknown argument 'stair'")
        expect("sgd", ["learning_rate": ["CosineDecay": ["initial_learning_rate": 0.1, "decay_steps": 0]]], "decay_steps", "> 0")
        expect("sgd", ["learning_rate": ["PiecewiseConstantDecay": ["boundaries": [1, 2], "values": [0.1]]]], "values")
        expect("sgd", ["learning_rate": ["StepDecay": ["x": 1]]], "unknown learning-rate schedule 'StepDecay'")
        expect(
            "sgd",
            [
                "learning_rate": ["ExponentialDecay": ["initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5]],
                "decay": 0.1,
            ], "decay", "schedule")
        expect("adafactor", ["epsilon": 1e-7], "unknown argument 'epsilon'")
    }

    /// Keras refuses to set a scheduled learning rate from a callback; so does Strata, naming the callback.
    func testCallbacksCannotSetAScheduledRate() throws {
        let d = RandomData(seed: 3)
        let x = d.uniform([8, 3]), y = try toCategorical(d.integers(2, count: 8), numClasses: 2)
        for cb in [
            LearningRateScheduler { _, lr in lr * 0.5 } as Callback,
            ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 0, minDelta: 100),
        ] {
            let m = Sequential([Dense(2, activation: .softmax, inputDim: 3)], seed: 1)
            m.compile(
                optimizer: SGD(learningRate: InverseTimeDecay(initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5)),
                loss: "categorical_crossentropy")
            XCTAssertThrowsError(try m.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [cb])) { e in
                XCTAssertTrue(e.localizedDescription.contains("learning-rate schedule"), e.localizedDescription)
                XCTAssertTrue(e.localizedDescription.contains(cb is LearningRateScheduler ? "LearningRateScheduler" : "ReduceLROnPlateau"))
            }
        }
    }

    /// DESIGN.md contract 1 with global-norm clipping (and weight decay, a schedule and the EMA): 2 and 3 ranks end
    /// with the 1-rank weights, an uneven last batch included; the clip acts on the all-reduced gradient.
    func testGlobalClipnormIsRankInvariant() throws {
        func train(_ opt: @escaping () -> Optimizer, _ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 8)
            let x = d.uniform([23, 5]), y = try toCategorical(d.integers(3, count: 23), numClasses: 3)
            let m = Sequential([Dense(6, activation: .tanh, inputDim: 5), Dense(3, activation: .softmax)], seed: 4)
            m.compile(optimizer: opt(), loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 5, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        let cases: [(String, () -> Optimizer)] = [
            ("global_clipnorm", { SGD(learningRate: 0.5, momentum: 0.5).with(globalClipnorm: 0.05) }),
            ("clipnorm", { Adam(learningRate: 0.05).with(clipnorm: 0.05) }),
            (
                "clipvalue+wd+schedule",
                { Lion(learningRate: CosineDecay(initialLearningRate: 0.01, decaySteps: 10), weightDecay: 0.1).with(clipvalue: 0.01) }
            ),
            ("ema", { Ftrl(learningRate: 0.2).with(useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 4) }),
            ("adafactor", { Adafactor(learningRate: 0.05) }),
        ]
        var report: [String] = []
        for (name, opt) in cases {
            let one = try train(opt, nil)
            var worst = 0.0
            for p in [2, 3] {
                for (r, result) in ThreadCommunicator.run(size: p, { try train(opt, $0) }).enumerated() {
                    let w = try result.get()
                    let rel = zip(w, one).map { Double(abs($0 - $1)) / max(Double(abs($1)), 1e-3) }.max()!
                    XCTAssertLessThan(rel, 1e-5, "\(name): \(p) ranks, rank \(r)")
                    worst = max(worst, rel)
                }
            }
            report.append("\(name): \(String(format: "%.1e", worst))")
        }
        print("RANKS options (max relative weight difference, 2 and 3 ranks vs 1): " + report.joined(separator: ", "))
    }

    /// Adafactor factors the second moments of weights of rank 3 and 4 (conv kernels) over their last two axes:
    /// three Keras `apply_gradients` steps on a (2, 3, 4), a (3, 2, 2, 5) and a (4,) weight (opt_adafactor_rank34).
    func testAdafactorFactorsHigherRankWeightsAsKeras() throws {
        let set = "opt_adafactor_rank34"
        let m = try Fixtures.manifest(set)
        let shapes = m["shapes"]!.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } }
        var allocator = WeightAllocator()
        let handles = shapes.map { allocator.add("w", shape: $0, initializer: .zeros) }
        let values = Tensor(zeros: [allocator.total]), gradients = Tensor(zeros: [allocator.total])
        let opt = try Optimizers.make("Adafactor", arguments: m["optimizer_args"]!.objectValue!) as! Adafactor
        let state = OptimizerState(optimizer: opt, parameterCount: allocator.total)
        for (i, h) in handles.enumerated() {
            Kernels.copy(try Fixtures.npy(set, "start\(i)"), into: values.rows(h.offset..<(h.offset + h.count)))
        }
        for k in 0..<m["steps"]!.intValue! {
            for (i, h) in handles.enumerated() {
                Kernels.copy(try Fixtures.npy(set, "grad\(k)_\(i)"), into: gradients.rows(h.offset..<(h.offset + h.count)))
            }
            opt.update(
                weights: handles, values: values, gradients: gradients, slots: state.slots, scalars: &state.scalars,
                iteration: k, lr: opt.effectiveLearningRate(iteration: k))
        }
        let ours = try handles.map { try Tensor(shape: $0.shape, scalars: Array(values.scalars[$0.offset..<($0.offset + $0.count)])) }
        let ratio = Parity.assertUpdate(
            ours, keras: try (0..<3).map { try Fixtures.npy(set, "end\($0)") },
            start: try (0..<3).map { try Fixtures.npy(set, "start\($0)") }, set)
        print("PARITY \(set): \(String(format: "%.1e", ratio))")
    }
}
