import Foundation

/// A Sequential model's Keras `model_config` (`{"class_name": "Sequential", "config": {...}}`) and
/// `training_config`, read in every dialect and written in the portable one.
///
/// Reading accepts Keras 3 (`InputLayer` with `batch_shape`, dtype objects), tf-keras (`InputLayer` with
/// `batch_input_shape`, repeated on the first layer) and Keras 2.x (no InputLayer; `config` may be the layer list
/// itself). Writing uses the dialect both Keras 3 and tf-keras load (keras-format.md §1.11.4): an explicit
/// `InputLayer` with `batch_input_shape`, then each layer's `get_config()` with its name. Layers are made by
/// `LayerRegistry`, so any registered layer family works here unchanged.
public struct ModelConfig {
    /// One layer of Keras's `model_config`: its `class_name` and `config` dictionary.
    public struct LayerEntry {
        public var className: String
        public var config: [String: JSONValue]
    }

    public var name: String
    /// The layers after the InputLayer (whose shape has been moved onto the first layer).
    public var layers: [LayerEntry]
    /// True for Keras 1/2 and tf-keras configs (their `hard_sigmoid` is the legacy one).
    public var legacyDialect: Bool

    /// Parses a `model_config` JSON value. `kerasVersion` is the file's `keras_version` (below 3 means legacy).
    public init(json: JSONValue, kerasVersion: String?) throws {
        legacyDialect = (kerasVersion.flatMap { Int($0.split(separator: ".").first ?? "") } ?? 1) < 3
        guard let cls = json["class_name"]?.stringValue else {
            throw StrataError.invalidArgument(
                "model_config has no class_name", hint: "expected {\"class_name\": \"Sequential\", \"config\": ...}")
        }
        guard cls == "Sequential" else {
            throw StrataError.invalidArgument(
                "model_config describes a '\(cls)' model; Strata loads Sequential models only",
                hint: "save a keras.Sequential model")
        }
        let config = json["config"]
        let entries: [JSONValue]
        if let list = config?.arrayValue {
            entries = list
            name = "sequential"
        } else if let list = config?["layers"]?.arrayValue {
            entries = list
            name = config?["name"]?.stringValue ?? "sequential"
        } else {
            throw StrataError.invalidArgument("model_config has no layer list", hint: "expected config.layers")
        }
        var pendingInput: JSONValue?
        var out: [LayerEntry] = []
        for (i, e) in entries.enumerated() {
            guard let c = e["class_name"]?.stringValue, var values = e["config"]?.objectValue else {
                throw StrataError.invalidArgument("model_config layer \(i) has no class_name/config", hint: "")
            }
            if c == "InputLayer" {
                pendingInput = values["batch_input_shape"] ?? values["batch_shape"]
                continue
            }
            if out.isEmpty, let pendingInput,
                values["batch_input_shape"] == nil && values["batch_shape"] == nil && values["input_shape"] == nil
            {
                values["batch_input_shape"] = pendingInput
            }
            out.append(LayerEntry(className: c, config: values))
        }
        guard !out.isEmpty else { throw StrataError.invalidArgument("model_config has no layers", hint: "") }
        layers = out
    }

    /// The portable config of `model`: an explicit InputLayer with `batch_input_shape`, then each layer.
    public init(model: Sequential) {
        name = model.name
        legacyDialect = false
        layers = model.layers.map { l in
            var c = l.config
            c["name"] = .string(l.name)
            return LayerEntry(className: l.className, config: c)
        }
    }

    /// `{"class_name": "Sequential", "config": {"name": ..., "layers": [InputLayer, ...]}}` for `model`.
    public static func json(of model: Sequential) -> JSONValue {
        let batch: JSONValue = model.fixedBatchSize.map { JSONValue($0) } ?? .null
        let shape = model.inputShape ?? model.layers.first?.inputSpec?.shape ?? []
        let input: JSONValue = [
            "class_name": "InputLayer",
            "config": [
                "batch_input_shape": .array([batch] + shape.map { JSONValue($0) }),
                "dtype": "float32", "name": "input_1",
            ],
        ]
        let entries = ModelConfig(model: model).layers.map { e -> JSONValue in
            ["class_name": .string(e.className), "config": .object(e.config)]
        }
        return ["class_name": "Sequential", "config": ["name": .string(model.name), "layers": .array([input] + entries)]]
    }

    /// Makes the (unbuilt, uncompiled) model; builds it when the config gives the input shape.
    public func makeModel(seed: UInt64? = nil) throws -> Sequential {
        let model = Sequential([], name: name, seed: seed)
        for e in layers {
            model.add(try LayerRegistry.make(className: e.className, config: e.config, legacyDialect: legacyDialect))
        }
        if model.layers.first?.inputSpec?.shape != nil { try model.build() }
        return model
    }

    /// Keras's `training_config` for a compiled model (`loss`, `metrics`, `optimizer_config`).
    public static func trainingConfig(of model: Sequential) -> JSONValue? {
        guard let opt = model.optimizer, let loss = model.loss else { return nil }
        let specs = model.metricSpecs + model.weightedMetricSpecs
        let resolved = model.metrics.count == specs.count ? model.metrics.map { Optional($0) } : specs.map { _ in nil }
        let entries = zip(specs, resolved).map { Metrics.kerasConfig($0, resolved: $1) }
        let weighted = Array(entries.dropFirst(model.metricSpecs.count))
        return [
            "loss": Losses.kerasConfig(of: loss),
            "metrics": .array(Array(entries.prefix(model.metricSpecs.count))),
            "weighted_metrics": weighted.isEmpty ? .null : .array(weighted),
            "loss_weights": .null,
            "optimizer_config": ["class_name": .string(opt.name), "config": .object(opt.kerasConfig)],
        ]
    }

    /// Compiles `model` from a `training_config` of any dialect (tf-keras metric wrappers, `Custom>` optimizer
    /// names, Keras 2's `lr`). Keras defaults fill what is missing.
    public static func compile(_ model: Sequential, trainingConfig t: JSONValue) throws {
        guard let lossConfig = t["loss"] else {
            throw StrataError.invalidArgument("training_config has no loss", hint: "")
        }
        let loss = try Losses.make(kerasConfig: lossConfig)
        var metrics: [MetricSpec] = []
        func addMetric(_ m: JSONValue) {
            if let s = m.stringValue {
                metrics.append(MetricSpec(s))
            } else if let spec = Metrics.spec(kerasConfig: m) {
                metrics.append(spec)
            } else if let a = m.arrayValue {
                a.forEach(addMetric)
            } else if let n = m["config"]?["name"]?.stringValue ?? m["class_name"]?.stringValue {
                metrics.append(MetricSpec(n))
            }
        }
        t["metrics"].map(addMetric)
        let plain = metrics
        metrics = []
        t["weighted_metrics"].map(addMetric)
        let weighted = metrics
        metrics = plain
        guard let oc = t["optimizer_config"], var cls = oc["class_name"]?.stringValue else {
            throw StrataError.invalidArgument("training_config has no optimizer_config", hint: "")
        }
        if cls.hasPrefix("Custom>") { cls = String(cls.dropFirst("Custom>".count)) }
        let args = (oc["config"]?.objectValue ?? [:]).filter { $0.value != .null }
        let opt = try Optimizers.make(cls, arguments: args)
        model.compile(optimizer: opt, loss: loss, metrics: metrics, weightedMetrics: weighted)
    }
}
