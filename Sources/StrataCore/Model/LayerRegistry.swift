/// Makes layers from Keras class names and `get_config()` dictionaries: the one place YAML configs, Keras
/// model_config JSON and checkpoints turn into layers. Each layer type conforms to `ConfigurableLayer`;
/// a layer family adds its types to `LayerRegistry.types`.
public protocol ConfigurableLayer: Layer {
    /// Keras's class name, e.g. "Dense".
    static var kerasClassName: String { get }
    /// Builds the layer from Keras config keys (snake_case, as `get_config()` writes them).
    init(config: LayerConfig) throws
}

/// Typed access to a layer's config dictionary, with errors naming the layer and key.
public struct LayerConfig {
    public let className: String
    public let values: [String: JSONValue]
    /// True for configs written by Keras 1/2 or tf-keras, whose `hard_sigmoid` is `clip(0.2x + 0.5, 0, 1)`.
    public var legacyDialect = false
    public init(className: String, values: [String: JSONValue], legacyDialect: Bool = false) {
        self.className = className
        self.values = values
        self.legacyDialect = legacyDialect
    }

    var layerName: String { values["name"]?.stringValue ?? className }

    func fail(_ key: String, _ expected: String) -> StrataError {
        .invalidModel(layer: layerName, "'\(key)' must be \(expected), got \(values[key].map { $0.jsonText } ?? "nothing")",
                      hint: "fix '\(key)' in the \(className) config")
    }

    public func int(_ key: String) throws -> Int? {
        guard let v = values[key], v != .null else { return nil }
        guard let i = v.intValue else { throw fail(key, "an integer") }
        return i
    }
    public func requiredInt(_ key: String) throws -> Int {
        guard let i = try int(key) else { throw fail(key, "an integer (it is required)") }
        return i
    }
    public func double(_ key: String) throws -> Double? {
        guard let v = values[key], v != .null else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "a number") }
        return d
    }
    public func bool(_ key: String) throws -> Bool? {
        guard let v = values[key], v != .null else { return nil }
        guard let b = v.boolValue else { throw fail(key, "true or false") }
        return b
    }
    public func string(_ key: String) throws -> String? {
        guard let v = values[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw fail(key, "a string") }
        return s
    }
    /// An integer list, or one integer repeated `count` times (Keras accepts `3` for `(3, 3)`).
    public func ints(_ key: String, count: Int? = nil) throws -> [Int]? {
        guard let v = values[key], v != .null else { return nil }
        if let i = v.intValue { return [Int](repeating: i, count: count ?? 1) }
        guard let a = v.arrayValue else { throw fail(key, "a list of integers") }
        var out: [Int] = []
        for e in a {
            if e == .null { out.append(-1); continue }
            guard let i = e.intValue else { throw fail(key, "a list of integers") }
            out.append(i)
        }
        if let count, out.count != count { throw fail(key, "a list of \(count) integers") }
        return out
    }
    /// An activation by Keras name (`"relu"`; also `{"class_name": ...}` objects).
    public func activation(_ key: String = "activation") throws -> ActivationFunction {
        guard let v = values[key], v != .null else { return .linear }
        guard let n = v.stringValue ?? v["class_name"]?.stringValue ?? v["config"]?["name"]?.stringValue else {
            throw fail(key, "an activation name")
        }
        let f = try ActivationFunction(kerasName: n)
        return legacyDialect && f == .hardSigmoid ? .hardSigmoidLegacy : f
    }
    /// An initializer by Keras name or `{"class_name": ..., "config": ...}`.
    public func initializer(_ key: String, default d: Initializer) throws -> Initializer {
        guard let v = values[key], v != .null else { return d }
        if let s = v.stringValue { return try Initializer(kerasName: s) }
        if let n = v["class_name"]?.stringValue {
            var i = try Initializer(kerasName: n)
            if case .uniform = i, let c = v["config"] {
                i = .uniform(Float(c["minval"]?.doubleValue ?? -0.05), Float(c["maxval"]?.doubleValue ?? 0.05))
            }
            if case .orthogonal = i, let g = v["config"]?["gain"]?.doubleValue { i = .orthogonal(gain: Float(g)) }
            return i
        }
        throw fail(key, "an initializer name")
    }

    /// The input information a first layer may carry (`input_shape`, `input_dim`, `batch_size`,
    /// `batch_input_shape` (Keras 2) or `batch_shape` (Keras 3)); `null` batch entries are dropped.
    public func inputArguments() throws -> (inputShape: [Int]?, inputDim: Int?, batchSize: Int?, batchInputShape: [Int]?) {
        var batchInput = try ints("batch_input_shape") ?? ints("batch_shape")
        var batch = try int("batch_size")
        if let b = batchInput, b.first == -1 {
            batchInput = nil
            return (Array(b.dropFirst()), try int("input_dim"), batch, nil)
        }
        if batchInput != nil && batch == nil { batch = nil }
        return (try ints("input_shape"), try int("input_dim"), batch, batchInput)
    }

    /// Fails on keys the layer does not know, naming the closest valid one.
    public func checkKeys(_ known: Set<String>) throws {
        let common: Set<String> = ["name", "trainable", "dtype", "input_shape", "input_dim", "batch_size",
                                   "batch_input_shape", "batch_shape", "input_length"]
        for k in values.keys.sorted() where !known.contains(k) && !common.contains(k) {
            let all = known.union(common)
            let closest = all.min { LayerConfig.distance($0, k) < LayerConfig.distance($1, k) } ?? ""
            throw StrataError.invalidModel(layer: layerName, "unknown \(className) argument '\(k)'",
                                           hint: "did you mean '\(closest)'? Valid: " + known.sorted().joined(separator: ", "))
        }
    }

    /// Levenshtein distance (for "did you mean").
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}

/// The layer classes configs and Keras files may name, by Keras class name (`"Dense"`, `"LSTM"`, ...).
public enum LayerRegistry {
    /// Every layer type that configs may name.
    /// (Immutable, so safe to share across threads; metatype arrays are not Sendable to the compiler.)
    nonisolated(unsafe) public static let types: [ConfigurableLayer.Type] = [
        Dense.self, Activation.self, Dropout.self, Flatten.self,
        Conv2D.self, Conv1D.self, MaxPooling2D.self, MaxPooling1D.self, AveragePooling2D.self, AveragePooling1D.self,
        GlobalAveragePooling1D.self, GlobalMaxPooling1D.self, GlobalAveragePooling2D.self, GlobalMaxPooling2D.self, Reshape.self,
        Embedding.self, LSTM.self, GRU.self, SimpleRNN.self,
    ]

    /// Makes a layer from a Keras class name and config.
    /// `legacyDialect`: the config comes from Keras 1/2 or tf-keras (their `hard_sigmoid` differs from Keras 3's).
    public static func make(className: String, config: [String: JSONValue], legacyDialect: Bool = false) throws -> Layer {
        guard let t = types.first(where: { $0.kerasClassName == className }) else {
            let names = types.map { $0.kerasClassName }
            let closest = names.min { LayerConfig.distance($0, className) < LayerConfig.distance($1, className) } ?? ""
            throw StrataError.invalidArgument("unsupported layer class '\(className)'",
                                              hint: "did you mean '\(closest)'? Strata supports: " + names.joined(separator: ", "))
        }
        let layer = try t.init(config: LayerConfig(className: className, values: config, legacyDialect: legacyDialect))
        if let n = config["name"]?.stringValue { layer.name = n }
        return layer
    }
}

extension Dense: ConfigurableLayer {
    public static let kerasClassName = "Dense"
    public convenience init(config c: LayerConfig) throws {
        try c.checkKeys(["units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                         "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                         "bias_constraint", "lora_rank", "lora_alpha", "quantization_config"])
        let io = try c.inputArguments()
        self.init(try c.requiredInt("units"), activation: try c.activation(), useBias: try c.bool("use_bias") ?? true,
                  kernelInitializer: try c.initializer("kernel_initializer", default: .glorotUniform),
                  biasInitializer: try c.initializer("bias_initializer", default: .zeros),
                  inputShape: io.inputShape, inputDim: io.inputDim, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
    }
}

extension Activation: ConfigurableLayer {
    public static let kerasClassName = "Activation"
    public convenience init(config c: LayerConfig) throws {
        try c.checkKeys(["activation"])
        self.init(try c.activation(), inputShape: try c.inputArguments().inputShape)
    }
}

extension Dropout: ConfigurableLayer {
    public static let kerasClassName = "Dropout"
    public convenience init(config c: LayerConfig) throws {
        try c.checkKeys(["rate", "noise_shape", "seed"])
        guard let r = try c.double("rate") else { throw c.fail("rate", "a number in [0, 1) (it is required)") }
        self.init(Float(r), inputShape: try c.inputArguments().inputShape)
    }
}

extension Flatten: ConfigurableLayer {
    public static let kerasClassName = "Flatten"
    public convenience init(config c: LayerConfig) throws {
        try c.checkKeys(["data_format"])
        self.init(inputShape: try c.inputArguments().inputShape)
    }
}
