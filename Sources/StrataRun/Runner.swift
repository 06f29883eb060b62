import Foundation
import Strata

/// Turns a `RunConfig` into a model, data and callbacks, and runs `train`, `evaluate`, `summary`, `validate`.
public final class Runner {
    public let config: RunConfig
    public let communicator: Communicator

    public init(config: RunConfig, communicator: Communicator) {
        self.config = config
        self.communicator = communicator
    }

    var isRoot: Bool { communicator.rank == 0 }

    /// The model of the config, compiled: its layer list, or a Keras model_config `.json` / Keras `.h5` file
    /// (an `.h5` brings its weights too, so a run can continue from a model trained elsewhere).
    public func makeModel() throws -> Sequential {
        let model: Sequential
        if let file = config.modelFile {
            let path =
                file.hasPrefix("/")
                ? file
                : URL(fileURLWithPath: config.file).deletingLastPathComponent().appendingPathComponent(file).path
            let resolved = FileManager.default.fileExists(atPath: path) ? path : file
            do {
                if resolved.hasSuffix(".h5") || resolved.hasSuffix(".hdf5") {
                    model = try Sequential.load(resolved)
                } else {
                    guard let text = try? String(contentsOfFile: resolved, encoding: .utf8) else {
                        throw StrataError.file(
                            path: resolved, "cannot read the model file", hint: "give a Keras model_config .json or a Keras .h5")
                    }
                    let json = try JSONValue.parse(text)
                    let modelConfig = try ModelConfig(
                        json: json["model_config"] ?? json,
                        kerasVersion: text.contains("\"module\"") || text.contains("batch_shape") ? "3" : "2")
                    model = try modelConfig.makeModel(seed: config.seed)
                }
            } catch let e as StrataError {
                throw ConfigError(file: config.file, line: config.root["model"]?.line ?? 0, e.errorDescription ?? "\(e)", hint: "")
            }
            model.communication = config.communication
            if config.root["compile"] == nil && model.optimizer != nil { return model }
        } else {
            model = Sequential(name: config.name, seed: config.seed)
            for (i, l) in config.layers.enumerated() {
                do {
                    model.add(try LayerRegistry.make(className: l.className, config: l.config))
                } catch let e as StrataError {
                    throw ConfigError(file: config.file, line: layerLine(i), e.errorDescription ?? "\(e)", hint: "")
                }
            }
        }
        let opt = try Optimizers.make(config.optimizer.name, arguments: config.optimizer.arguments)
        let metrics = zip(
            config.metrics,
            config.metricArguments + Array(repeating: [:], count: max(0, config.metrics.count - config.metricArguments.count))
        )
        .map { name, args in args.isEmpty ? MetricSpec(name) : MetricSpec(name, arguments: args) }
        let weighted = config.weightedMetrics.map {
            $0.arguments.isEmpty ? MetricSpec($0.name) : MetricSpec($0.name, arguments: $0.arguments)
        }
        model.compile(
            optimizer: opt, loss: try Losses.make(config.loss, arguments: config.lossArguments), metrics: metrics,
            weightedMetrics: weighted)
        model.communication = config.communication
        return model
    }

    /// The layers given `adapt: true` take the training data's statistics, each rank reading its shard (rows
    /// `[r n / p, (r + 1) n / p)`) and `Normalization.adapt` all-reducing, before the weights are made. A resumed
    /// run skips it: the checkpoint holds the statistics.
    func adaptNormalization(_ model: Sequential, on train: Dataset) throws {
        let (r, p, n) = (communicator.rank, communicator.size, train.count)
        for i in config.adaptedLayers {
            guard let norm = model.layers[i] as? Normalization else { continue }
            do {
                try norm.adapt(train, rows: (r * n / p)..<((r + 1) * n / p), communicator: communicator)
                if let built = model.parameters { norm.presetWeights(built) }
            } catch let e as StrataError {
                throw ConfigError(file: config.file, line: layerLine(i), e.errorDescription ?? "\(e)", hint: "")
            }
            if isRoot && config.verbose > 0 { print("\(norm.name): adapted to \(train.label) (\(n) rows)") }
        }
    }

    func layerLine(_ i: Int) -> Int {
        if case let .list(items, _)? = config.root["model"], i < items.count { return items[i].line }
        return 0
    }

    /// The dataset for `role` (train, validation, test) with the config's transforms, or nil when absent.
    public func dataset(_ role: String, openFile: (DataConfig.FileSource) throws -> Dataset) throws -> Dataset? {
        let raw: Dataset
        if let s = try config.data.syntheticDataset(role) {
            raw = s
        } else if let f = config.data.sources[role] {
            raw = try openFile(f)
        } else {
            return nil
        }
        let t = config.data
        if t.xTransforms == DataConfig.Transforms() && t.yTransforms == DataConfig.Transforms() { return raw }
        return try TransformedDataset(raw, x: t.xTransforms, y: t.yTransforms)
    }

    /// The `sample_weight` dataset of `role` (one weight per sample, read whole: N floats), or nil.
    public func sampleWeights(_ role: String, openFile: (DataConfig.FileSource) throws -> Dataset, count: Int) throws -> Tensor? {
        guard let f = config.data.sources[role], let name = f.sampleWeight else { return nil }
        let d = try openFile(DataConfig.FileSource(file: f.file, x: name, y: nil))
        guard d.count >= count, d.xShape.reduce(1, *) == 1 else {
            throw ConfigError(
                file: config.file, line: config.root["data"]?.line ?? 0,
                "data.\(role).sample_weight '\(name)' has \(d.count) rows of shape \(d.xShape), the data has \(count) samples",
                hint: "give one weight per sample: a dataset of shape (\(count),)")
        }
        let w = Tensor(zeros: [count])
        try d.read(ArraySlice(0..<count), x: w, y: nil)
        return w
    }

    /// Callbacks named in the config (`- EarlyStopping: {patience: 3}`), with Keras's argument names.
    public func makeCallbacks() throws -> [Callback] {
        try config.callbacks.map { c in
            let a = LayerConfig(className: c.name, values: c.arguments)
            func check(_ known: Set<String>) throws {
                for k in c.arguments.keys where !known.contains(k) {
                    let closest = known.min { LayerConfig.distance($0, k) < LayerConfig.distance($1, k) } ?? ""
                    throw ConfigError(
                        file: config.file, line: c.line, "unknown \(c.name) argument '\(k)'",
                        hint: "did you mean '\(closest)'? Valid: " + known.sorted().joined(separator: ", "))
                }
            }
            do {
                switch c.name {
                case "EarlyStopping":
                    try check([
                        "monitor", "min_delta", "patience", "verbose", "mode", "baseline", "restore_best_weights", "start_from_epoch",
                    ])
                    return EarlyStopping(
                        monitor: try a.string("monitor") ?? "val_loss", minDelta: try a.double("min_delta") ?? 0,
                        patience: try a.int("patience") ?? 0, verbose: try a.int("verbose") ?? 0,
                        mode: MonitorMode(rawValue: try a.string("mode") ?? "auto") ?? .auto,
                        baseline: try a.double("baseline"), restoreBestWeights: try a.bool("restore_best_weights") ?? false,
                        startFromEpoch: try a.int("start_from_epoch") ?? 0)
                case "ReduceLROnPlateau":
                    try check(["monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr"])
                    let factor = try a.double("factor") ?? 0.1
                    guard factor < 1 else {
                        throw StrataError.invalidArgument("ReduceLROnPlateau factor must be < 1, got \(factor)", hint: "e.g. factor: 0.5")
                    }
                    return ReduceLROnPlateau(
                        monitor: try a.string("monitor") ?? "val_loss", factor: Float(factor),
                        patience: try a.int("patience") ?? 10, verbose: try a.int("verbose") ?? 0,
                        mode: MonitorMode(rawValue: try a.string("mode") ?? "auto") ?? .auto,
                        minDelta: try a.double("min_delta") ?? 1e-4, cooldown: try a.int("cooldown") ?? 0,
                        minLR: Float(try a.double("min_lr") ?? 0))
                case "TerminateOnNaN":
                    try check([])
                    return TerminateOnNaN()
                default:
                    throw ConfigError(
                        file: config.file, line: c.line, "unknown callback '\(c.name)'",
                        hint:
                            "use EarlyStopping, ReduceLROnPlateau or TerminateOnNaN (checkpoints, CSV history and TensorBoard logs are written by the run section)"
                    )
                }
            } catch let e as StrataError {
                throw ConfigError(file: config.file, line: c.line, e.errorDescription ?? "\(e)", hint: "")
            }
        }
    }

    /// Writes the exact config used into the run directory (rank 0).
    public func saveConfigCopy() throws {
        guard isRoot else { return }
        try FileManager.default.createDirectory(atPath: config.runDir, withIntermediateDirectories: true)
        let text = "# the exact config of this run (after --set overrides)" + config.root.yaml() + "\n"
        try text.write(toFile: config.runDir + "/config.yaml", atomically: true, encoding: .utf8)
    }
}

extension Runner {
    /// Where this run's checkpoints go, and the always-newest one.
    public var checkpointPattern: String { config.runDir + "/ckpt-{epoch:02d}.h5" }
    public var latestCheckpoint: String { ModelCheckpoint.latestPath(for: checkpointPattern) }

    /// What to resume from under the config's `run.resume` policy: auto gives the run directory when it holds
    /// checkpoint files (`fit(resumeFrom:)` then takes the newest one that verifies), nil for a fresh start.
    /// Rank 0 looks (checkpoints may be on its disk only) and every rank follows its answer.
    public func resumePath() throws -> String? {
        var answer = ""
        if isRoot {
            switch config.resume {
            case .never: answer = ""
            case .auto: answer = CheckpointSelection.candidates(in: config.runDir).isEmpty ? "" : config.runDir
            case let .path(p): answer = FileManager.default.fileExists(atPath: p) ? p : "\u{0}" + p
            }
        }
        answer = try communicator.broadcast(answer, root: 0)
        if answer.hasPrefix("\u{0}") {
            throw ConfigError(
                file: config.file, line: config.root["run"]?["resume"]?.line ?? 0,
                "run.resume names \(answer.dropFirst()), which does not exist",
                hint: "use auto, never, or an existing checkpoint or run directory")
        }
        return answer.isEmpty ? nil : answer
    }

    /// Trains as the config says (resuming from the newest checkpoint when there is one); prints Keras's
    /// progress, then the test figures and where the outputs are.
    @discardableResult
    public func train(openFile: (DataConfig.FileSource) throws -> Dataset, maxSamples: Int? = nil) throws -> History {
        let model = try makeModel()
        func limited(_ d: Dataset?) -> Dataset? {
            guard let d, let m = maxSamples, d.count > m else { return d }
            return DatasetSlice(d, 0..<m)
        }
        guard let train = limited(try dataset("train", openFile: openFile)) else {
            throw ConfigError(file: config.file, line: 0, "no training data", hint: "add data.train or data.synthetic")
        }
        let validation = limited(try dataset("validation", openFile: openFile))
        if !config.adaptedLayers.isEmpty, try resumePath() == nil { try adaptNormalization(model, on: train) }
        let trainWeights = try sampleWeights("train", openFile: openFile, count: train.count)
        let validationWeights = try validation.flatMap { try sampleWeights("validation", openFile: openFile, count: $0.count) }
        try saveConfigCopy()
        var callbacks = try makeCallbacks()
        callbacks.append(CSVLogger(config.runDir + "/history.csv"))
        callbacks.append(TensorBoardLogger(config.runDir + "/logs"))
        switch config.checkpointEvery {
        case .epoch: callbacks.append(ModelCheckpoint(checkpointPattern, saveFreq: .epoch, keep: config.keep))
        case let .steps(n): callbacks.append(ModelCheckpoint(checkpointPattern, saveFreq: .steps(n), keep: config.keep))
        case .never: break
        }
        if isRoot && config.verbose > 0 && communicator.size > 1 {
            let path = model.communication.resolved(for: communicator)
            print("gradients: \(path.name) (\(path.reason))")
        }
        let history: History
        if let resume = try resumePath() {
            if isRoot && config.resume != .auto { print("Resuming from \(resume)") }
            history = try model.fit(
                train, batchSize: config.batchSize, epochs: config.epochs, verbose: config.verbose,
                callbacks: callbacks, validationData: validation, validationSampleWeight: validationWeights,
                shuffle: config.shuffle, classWeight: config.classWeight, sampleWeight: trainWeights,
                seed: config.seed, communicator: communicator, resumeFrom: resume)
        } else {
            // The config's seed is the run seed wherever the model came from (a layer list's weights are drawn
            // from it too; a model file keeps its weights).
            history = try model.fit(
                train, batchSize: config.batchSize, epochs: config.epochs, verbose: config.verbose,
                callbacks: callbacks, validationData: validation, validationSampleWeight: validationWeights,
                shuffle: config.shuffle, classWeight: config.classWeight, sampleWeight: trainWeights,
                seed: config.seed, communicator: communicator)
        }
        if let test = limited(try dataset("test", openFile: openFile)) {
            let score = try model.evaluate(test, batchSize: config.batchSize, verbose: 0, communicator: communicator)
            if isRoot {
                let names = ["loss"] + model.metrics.map(\.name)
                print("test: " + zip(names, score).map { "\($0): \(String(format: "%.4f", $1))" }.joined(separator: " - "))
            }
        }
        if isRoot {
            if config.checkpointEvery != .never { print("checkpoint: \(latestCheckpoint)") }
            print("history: \(config.runDir)/history.csv")
            print("TensorBoard logs: \(config.runDir)/logs (tensorboard --logdir \(config.runDir)/logs)")
        }
        return history
    }

    /// Evaluates a checkpoint's weights (weights only: optimizer settings never matter) on the config's test data
    /// (or validation data). `batchSize` defaults to the model's fixed batch size when it has one, else the
    /// config's `fit.batch_size`.
    public func evaluate(
        checkpoint: String, batchSize: Int? = nil,
        openFile: (DataConfig.FileSource) throws -> Dataset
    ) throws -> [String: Double] {
        let model = try makeModel()
        guard let data = try dataset("test", openFile: openFile) ?? dataset("validation", openFile: openFile) else {
            throw ConfigError(
                file: config.file, line: 0, "the config has no test or validation data to evaluate on",
                hint: "add data.test: {file:, x:, y:}")
        }
        try model.buildIfNeeded(sampleShape: data.xShape)
        try model.loadWeights(checkpoint)
        let score = try model.evaluate(
            data, batchSize: batchSize ?? model.fixedBatchSize ?? config.batchSize, verbose: 0,
            communicator: communicator)
        let names = ["loss"] + model.metrics.map(\.name)
        return Dictionary(uniqueKeysWithValues: zip(names, score))
    }

    /// Keras's summary table for the config's model.
    public func summaryText(openFile: (DataConfig.FileSource) throws -> Dataset) throws -> String {
        let model = try makeModel()
        if model.layers.first?.inputSpec?.shape == nil, let d = try dataset("train", openFile: openFile) {
            try model.buildIfNeeded(sampleShape: d.xShape)
        }
        return try model.summaryText()
    }

    /// Checks the config, builds the model and checks every dataset against it, without training.
    public func validate(openFile: (DataConfig.FileSource) throws -> Dataset) throws -> [String] {
        let model = try makeModel()
        var report: [String] = []
        for role in ["train", "validation", "test"] {
            guard let d = try dataset(role, openFile: openFile) else { continue }
            try model.buildIfNeeded(sampleShape: d.xShape)
            try model.checkData(d, role: "\(role) data")
            report.append("\(role): \(d.count) samples of \(d.xShape) -> \(d.yShape ?? []) (\(d.label))")
        }
        report.insert("\(config.file): OK — \(model.layers.count) layers, \(model.countParams()) parameters", at: 0)
        return report
    }
}
