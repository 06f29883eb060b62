import Foundation
import StrataCore

/// A training run described in YAML: `seed`, `model`, `compile`, `data`, `fit`, `run`, `callbacks`.
/// Unknown keys and wrong types are errors with the line, the key and the closest valid key.
public struct RunConfig {
    public var name: String
    public var file: String
    public var root: ConfigNode
    public var seed: UInt64?
    public var layers: [(className: String, config: [String: JSONValue])] = []
    /// The layers (indices into `layers`) given `adapt: true`: Normalization layers whose mean and variance the run
    /// computes from the training data (all ranks' shards) before training.
    public var adaptedLayers: [Int] = []
    /// A Keras model_config JSON file or a Keras .h5 given as the model instead of a layer list.
    public var modelFile: String?
    public var optimizer: (name: String, arguments: [String: JSONValue]) = ("rmsprop", [:])
    public var loss = "categorical_crossentropy"
    /// The loss's Keras arguments (`loss: {Huber: {delta: 2.0}}`).
    public var lossArguments: [String: JSONValue] = [:]
    public var metrics: [String] = []
    /// Each metric's Keras arguments, in the order of `metrics` (`metrics: [accuracy, {AUC: {curve: PR}}]`).
    public var metricArguments: [[String: JSONValue]] = []
    /// Keras's `weighted_metrics` (names and arguments), which take the sample / class weights.
    public var weightedMetrics: [(name: String, arguments: [String: JSONValue])] = []
    /// Keras's `class_weight` (`fit.class_weight: {0: 1.0, 1: 5.0}`).
    public var classWeight: [Int: Float]?
    public var data = DataConfig()
    public var epochs = 1
    public var batchSize = 32
    public var shuffle = true
    public var verbose = 1
    public var runDir: String
    public var checkpointEvery: CheckpointEvery = .epoch
    public var keep = 3
    public var resume: ResumePolicy = .auto
    /// `run.communication`: how gradients travel between ranks (`overlap`, `first_bucket_mb`, `bucket_mb`,
    /// `sparse_gradients`, `shard_optimizer`, `progress_thread`); see `GradientCommunication`.
    public var communication = GradientCommunication()
    public var callbacks: [(name: String, arguments: [String: JSONValue], line: Int)] = []

    public enum CheckpointEvery: Equatable {
        case epoch
        case steps(Int)
        case never
    }
    public enum ResumePolicy: Equatable {
        case auto, never
        case path(String)
    }

    static let topKeys = ["seed", "model", "compile", "data", "fit", "run", "callbacks", "name"]

    /// Reads and checks a config file, applying `--set key.path=value` overrides first.
    public static func load(_ path: String, overrides: [String] = []) throws -> RunConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, "cannot read the config file", hint: "check the path (configs/ has examples)")
        }
        var node = try ConfigNode.parse(text, file: path)
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw ConfigError(file: "--set", line: 0, "'\(o)' is not key.path=value", hint: "e.g. --set fit.epochs=3")
            }
            let key = String(o[..<eq]), value = String(o[o.index(after: eq)...])
            let v = try ConfigNode.parse(value, file: "--set \(key)")
            node = node.setting(key.split(separator: ".").map(String.init), to: v)
        }
        return try RunConfig(node: node, file: path)
    }

    public init(node: ConfigNode, file: String) throws {
        self.file = file
        root = node
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        name = stem
        runDir = "runs/" + stem
        let top = try Self.map(node, "the config", file: file, allowed: Self.topKeys)
        if let n = top["name"] { name = try Self.string(n, "name", file: file); runDir = "runs/" + name }
        if let s = top["seed"] { seed = UInt64(try Self.int(s, "seed", file: file, min: 0)) }
        guard let model = top["model"] else {
            throw ConfigError(
                file: file, line: node.line, "the config has no 'model'", hint: "add model: a list like - Dense: {units: 10, input_dim: 20}"
            )
        }
        try parseModel(model)
        if let c = top["compile"] { try parseCompile(c) }
        if let d = top["data"] {
            data = try DataConfig(d, file: file)
        } else {
            throw ConfigError(
                file: file, line: node.line, "the config has no 'data'", hint: "add data: with train: {file:, x:, y:} or synthetic:")
        }
        if let f = top["fit"] {
            let m = try Self.map(f, "fit", file: file, allowed: ["epochs", "batch_size", "shuffle", "verbose", "class_weight"])
            if let v = m["class_weight"] { classWeight = try Self.classWeight(v, file: file) }
            if let v = m["epochs"] { epochs = try Self.int(v, "fit.epochs", file: file, min: 0) }
            if let v = m["batch_size"] { batchSize = try Self.int(v, "fit.batch_size", file: file, min: 1) }
            if let v = m["shuffle"] { shuffle = try Self.bool(v, "fit.shuffle", file: file) }
            if let v = m["verbose"] { verbose = try Self.int(v, "fit.verbose", file: file, min: 0) }
        }
        if let r = top["run"] {
            let m = try Self.map(r, "run", file: file, allowed: ["dir", "checkpoint_every", "keep", "resume", "communication"])
            if let v = m["communication"] { communication = try Self.communication(v, file: file) }
            if let v = m["dir"] { runDir = try Self.string(v, "run.dir", file: file) }
            if let v = m["keep"] { keep = try Self.int(v, "run.keep", file: file, min: 1) }
            if let v = m["checkpoint_every"] {
                switch v.json {
                case .string("epoch"): checkpointEvery = .epoch
                case .string("never"): checkpointEvery = .never
                case let .int(n) where n >= 1: checkpointEvery = .steps(n)
                case let .number(n) where n >= 1 && n == n.rounded(): checkpointEvery = .steps(Int(n))
                default:
                    throw ConfigError(
                        file: file, line: v.line, "run.checkpoint_every must be epoch, never or a number of steps, got \(v.json)",
                        hint: "e.g. checkpoint_every: epoch")
                }
            }
            if let v = m["resume"] {
                let s = try Self.string(v, "run.resume", file: file)
                resume = s == "auto" ? .auto : s == "never" ? .never : .path(s)
            }
        }
        if let cbs = top["callbacks"] {
            guard case let .list(items, _) = cbs else {
                throw ConfigError(
                    file: file, line: cbs.line, "callbacks must be a list of - Name: {args}", hint: "e.g. - EarlyStopping: {patience: 3}")
            }
            for item in items {
                let (n, args) = try Self.singleEntry(item, "callback", file: file)
                callbacks.append((n, args, item.line))
            }
        }
    }

    mutating func parseModel(_ model: ConfigNode) throws {
        switch model {
        case let .scalar(s, _, _):
            modelFile = s
        case let .list(items, _):
            guard !items.isEmpty else {
                throw ConfigError(
                    file: file, line: model.line, "model has no layers", hint: "list layers like - Dense: {units: 10, input_dim: 20}")
            }
            for item in items {
                let (n, args) = try Self.singleEntry(item, "layer", file: file)
                let known = LayerRegistry.types.map { $0.kerasClassName }
                guard known.contains(n) else {
                    let closest = known.min { LayerConfig.distance($0, n) < LayerConfig.distance($1, n) } ?? ""
                    throw ConfigError(
                        file: file, line: item.line, "unknown layer '\(n)'",
                        hint: "did you mean '\(closest)'? Layers: " + known.joined(separator: ", "))
                }
                var config = args
                if let adapt = config.removeValue(forKey: "adapt") {
                    guard n == "Normalization", let on = adapt.boolValue else {
                        throw ConfigError(
                            file: file, line: item.line, "adapt: \(adapt.jsonText) on \(n)",
                            hint: "adapt: true is a key of Normalization layers (mean and variance from the training data)")
                    }
                    if on {
                        guard config["mean"] ?? .null == .null && config["variance"] ?? .null == .null else {
                            throw ConfigError(
                                file: file, line: item.line, "Normalization has both adapt: true and mean/variance",
                                hint: "give either adapt: true or mean and variance")
                        }
                        adaptedLayers.append(layers.count)
                    }
                }
                layers.append((n, config))
            }
        default:
            throw ConfigError(
                file: file, line: model.line, "model must be a list of layers or a Keras model file (.json or .h5)",
                hint: "e.g. model: [ {Dense: {units: 10, input_dim: 20}} ]")
        }
    }

    mutating func parseCompile(_ c: ConfigNode) throws {
        let m = try Self.map(c, "compile", file: file, allowed: ["optimizer", "loss", "metrics", "weighted_metrics"])
        if let o = m["optimizer"] {
            if case .scalar = o {
                optimizer = (try Self.string(o, "compile.optimizer", file: file), [:])
            } else {
                let (n, args) = try Self.singleEntry(o, "optimizer", file: file)
                optimizer = (n, args)
            }
            do { _ = try Optimizers.make(optimizer.name, arguments: optimizer.arguments) } catch let e as StrataError {
                throw ConfigError(file: file, line: o.line, e.errorDescription ?? "bad optimizer", hint: "")
            }
        }
        if let l = m["loss"] {
            (loss, lossArguments) = try Self.singleEntry(l, "loss", file: file)
            do { _ = try Losses.make(loss, arguments: lossArguments) } catch let e as StrataError {
                throw ConfigError(file: file, line: l.line, e.errorDescription ?? "bad loss", hint: "")
            }
        }
        if let ms = m["metrics"] {
            let entries = try metricEntries(ms, "compile.metrics")
            metrics = entries.map(\.0)
            metricArguments = entries.map(\.1)
        }
        if let ms = m["weighted_metrics"] { weightedMetrics = try metricEntries(ms, "compile.weighted_metrics") }
    }

    /// A list of metrics, each an id or `{Name: {args}}`, checked (an unknown metric or argument names its line).
    func metricEntries(_ ms: ConfigNode, _ key: String) throws -> [(String, [String: JSONValue])] {
        guard case let .list(items, _) = ms else {
            throw ConfigError(file: file, line: ms.line, "\(key) must be a list", hint: "e.g. metrics: [accuracy]")
        }
        let entries = try items.map { try Self.singleEntry($0, "metric", file: file) }
        for (item, (name, args)) in zip(items, entries) where !["accuracy", "acc"].contains(name.lowercased()) {
            do { _ = try Metrics.make(name, arguments: args) } catch let e as StrataError {
                throw ConfigError(file: file, line: item.line, e.errorDescription ?? "bad metric", hint: "")
            }
        }
        return entries
    }

    // MARK: typed access with errors

    static func map(_ n: ConfigNode, _ what: String, file: String, allowed: [String]) throws -> [String: ConfigNode] {
        guard case let .map(entries, _) = n else {
            throw ConfigError(
                file: file, line: n.line, "\(what) must be a mapping of keys", hint: "valid keys: " + allowed.joined(separator: ", "))
        }
        var out: [String: ConfigNode] = [:]
        for e in entries {
            guard allowed.contains(e.key) else {
                let closest = allowed.min { LayerConfig.distance($0, e.key) < LayerConfig.distance($1, e.key) } ?? ""
                throw ConfigError(
                    file: file, line: e.line, "unknown key '\(e.key)' in \(what)",
                    hint: "did you mean '\(closest)'? Valid keys: " + allowed.joined(separator: ", "))
            }
            out[e.key] = e.value
        }
        return out
    }

    static func singleEntry(_ n: ConfigNode, _ what: String, file: String) throws -> (String, [String: JSONValue]) {
        if case let .scalar(s, _, _) = n { return (s, [:]) }
        guard case let .map(entries, _) = n, entries.count == 1 else {
            throw ConfigError(
                file: file, line: n.line, "each \(what) is written - Name: {arguments}", hint: "e.g. - Dense: {units: 64, activation: relu}"
            )
        }
        let e = entries[0]
        switch e.value.json {
        case let .object(o): return (e.key, o)
        case .null: return (e.key, [:])
        default:
            throw ConfigError(
                file: file, line: e.line, "the arguments of \(what) '\(e.key)' must be a mapping", hint: "e.g. - \(e.key): {rate: 0.5}")
        }
    }

    /// `fit.class_weight`: a mapping from integer class ids to non-negative weights.
    static func classWeight(_ n: ConfigNode, file: String) throws -> [Int: Float] {
        guard case let .map(entries, _) = n else {
            throw ConfigError(
                file: file, line: n.line, "fit.class_weight must map class ids to weights", hint: "e.g. class_weight: {0: 1.0, 1: 5.0}")
        }
        var out: [Int: Float] = [:]
        for e in entries {
            guard let c = Int(e.key), c >= 0 else {
                throw ConfigError(
                    file: file, line: e.line, "fit.class_weight key '\(e.key)' is not a class id", hint: "keys are integers >= 0")
            }
            let w = try number(e.value, "fit.class_weight.\(c)", file: file)
            guard w >= 0 && w.isFinite else {
                throw ConfigError(file: file, line: e.line, "fit.class_weight.\(c) must be >= 0, got \(w)", hint: "")
            }
            out[c] = Float(w)
        }
        return out
    }

    static func int(_ n: ConfigNode, _ key: String, file: String, min: Int) throws -> Int {
        guard let i = n.json.intValue, i >= min else {
            throw ConfigError(file: file, line: n.line, "\(key) must be an integer >= \(min), got \(n.json)", hint: "")
        }
        return i
    }

    /// `run.communication: {overlap: true, first_bucket_mb: 1, bucket_mb: 4, sparse_gradients: true,
    /// shard_optimizer: false, progress_thread: true, overlap_weight_gather: true, compression: none}`; `overlap` and `progress_thread`
    /// left out are chosen by where the ranks run (`GradientCommunication.resolved(for:)`), a bucket size given
    /// turning `overlap` on.
    static func communication(_ n: ConfigNode, file: String) throws -> GradientCommunication {
        let m = try map(
            n, "run.communication", file: file,
            allowed: [
                "overlap", "first_bucket_mb", "bucket_mb", "sparse_gradients", "shard_optimizer", "progress_thread",
                "overlap_weight_gather", "compression",
            ])
        var c = GradientCommunication()
        if let v = m["overlap"] { c.overlap = try bool(v, "run.communication.overlap", file: file) }
        if let v = m["sparse_gradients"] { c.sparseGradients = try bool(v, "run.communication.sparse_gradients", file: file) }
        if let v = m["shard_optimizer"] { c.shardOptimizer = try bool(v, "run.communication.shard_optimizer", file: file) }
        if let v = m["progress_thread"] { c.progressThread = try bool(v, "run.communication.progress_thread", file: file) }
        if let v = m["overlap_weight_gather"] {
            c.overlapWeightGather = try bool(v, "run.communication.overlap_weight_gather", file: file)
        }
        if let v = m["compression"] {
            let allowed = GradientCompression.allCases.map(\.rawValue)
            let s = try string(v, "run.communication.compression", file: file)
            guard let format = GradientCompression(rawValue: s) else {
                throw ConfigError(
                    file: file, line: v.line,
                    "run.communication.compression must be one of \(allowed.joined(separator: ", ")), got '\(s)'",
                    hint: "e.g. compression: bf16 (16-bit gradients on the wire; none sends float)")
            }
            c.compression = format
        }
        if let v = m["first_bucket_mb"] { c.firstBucketMB = try number(v, "run.communication.first_bucket_mb", file: file) }
        if let v = m["bucket_mb"] { c.bucketMB = try number(v, "run.communication.bucket_mb", file: file) }
        do { try c.validate() } catch let StrataError.invalidArgument(what, hint) {
            throw ConfigError(file: file, line: n.line, what, hint: hint)
        }
        return c
    }

    static func bool(_ n: ConfigNode, _ key: String, file: String) throws -> Bool {
        guard let b = n.json.boolValue else {
            throw ConfigError(file: file, line: n.line, "\(key) must be true or false, got \(n.json)", hint: "")
        }
        return b
    }

    static func string(_ n: ConfigNode, _ key: String, file: String) throws -> String {
        guard case let .scalar(s, _, _) = n else {
            throw ConfigError(file: file, line: n.line, "\(key) must be a single value", hint: "")
        }
        return s
    }

    static func number(_ n: ConfigNode, _ key: String, file: String) throws -> Double {
        if let d = n.json.doubleValue { return d }
        // fractions like 1/255
        if case let .scalar(s, _, _) = n {
            let parts = s.split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            if parts.count == 2, let a = parts[0], let b = parts[1], b != 0 { return a / b }
        }
        throw ConfigError(file: file, line: n.line, "\(key) must be a number (or a fraction like 1/255), got \(n.json)", hint: "")
    }
}
