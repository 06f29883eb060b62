/// A Keras argument that Strata recognises but does not implement (`kernel_regularizer`, `mask_zero`...): a config
/// may leave it out, set it to `null`, or give one of the `accepted` values (what Strata computes); anything else
/// is an error naming the layer and the argument (`LayerConfig.checkArguments`).
public struct UnsupportedArgument: Sendable {
    public let key: String
    public let accepted: [JSONValue]
    /// What to do instead (and why Strata refuses rather than ignores it).
    public let hint: String
    public init(_ key: String, accepting accepted: [JSONValue] = [], hint: String) {
        self.key = key
        self.accepted = accepted
        self.hint = hint
    }
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
        .invalidModel(
            layer: layerName, "'\(key)' must be \(expected), got \(values[key].map { $0.jsonText } ?? "nothing")",
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
            if case .constant = i { i = .constant(Float(v["config"]?["value"]?.doubleValue ?? 0)) }
            return i
        }
        throw fail(key, "an initializer name")
    }

    /// A weight regularizer (`kernel_regularizer`...) by Keras name or serialized object; nil when absent or null.
    public func regularizer(_ key: String) throws -> Regularizer? {
        guard let v = values[key], v != .null else { return nil }
        do { return try Regularizer(keras: v) } catch let StrataError.invalidArgument(what, hint) {
            throw StrataError.invalidModel(layer: layerName, "'\(key)': \(what)", hint: hint)
        }
    }

    /// A weight constraint (`kernel_constraint`...) by Keras name or serialized object; nil when absent or null.
    public func constraint(_ key: String) throws -> Constraint? {
        guard let v = values[key], v != .null else { return nil }
        do { return try Constraint(keras: v) } catch let StrataError.invalidArgument(what, hint) {
            throw StrataError.invalidModel(layer: layerName, "'\(key)': \(what)", hint: hint)
        }
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

    /// The one check every layer's `init(config:)` runs before reading its values. A key that is neither in
    /// `supported`, in `unsupported`, nor common to all layers (`name`, `trainable`, `dtype`, the input arguments)
    /// fails as "unknown <Class> argument" with the closest valid key. A Keras argument Strata knows but does not
    /// implement fails unless it is absent, `null`, or holds a value Strata computes (its Keras default): one error
    /// naming the layer, the argument and the value.
    public func checkArguments(_ supported: Set<String>, unsupported: [UnsupportedArgument] = []) throws {
        let common: Set<String> = [
            "name", "trainable", "dtype", "input_shape", "input_dim", "batch_size",
            "batch_input_shape", "batch_shape", "input_length",
        ]
        let known = supported.union(unsupported.map(\.key))
        for k in values.keys.sorted() where !known.contains(k) && !common.contains(k) {
            let all = known.union(common)
            let closest = all.min { LayerConfig.distance($0, k) < LayerConfig.distance($1, k) } ?? ""
            throw StrataError.invalidModel(
                layer: layerName, "unknown \(className) argument '\(k)'",
                hint: "did you mean '\(closest)'? Valid: " + known.sorted().joined(separator: ", "))
        }
        for a in unsupported {
            guard let v = values[a.key], v != .null, !a.accepted.contains(v) else { continue }
            throw StrataError.invalidModel(
                layer: layerName, "\(className) argument '\(a.key)' = \(v.jsonText) is not supported",
                hint: a.hint)
        }
    }

    /// The check before `checkArguments`, kept for callers of the old name.
    @available(*, deprecated, renamed: "checkArguments(_:unsupported:)")
    public func checkKeys(_ known: Set<String>) throws { try checkArguments(known) }

    /// `data_format` in a layer that computes channels_last only.
    static let channelsLast = UnsupportedArgument(
        "data_format", accepting: ["channels_last"],
        hint: "Strata computes channels_last; transpose the data to (..., channels) and use channels_last")

    /// A padding name (`valid`, `same`, `causal`); `valid` when absent.
    func padding() throws -> Padding {
        guard let s = try string("padding") else { return .valid }
        do { return try Padding(kerasName: s) } catch { throw fail("padding", "\"valid\", \"same\" or \"causal\"") }
    }

    /// A 2-element size (`3` or `[3, 3]`).
    func pair(_ key: String) throws -> (Int, Int)? {
        guard let v = try ints(key, count: 2) else { return nil }
        return (v[0], v[1])
    }

    /// A 1-element size (`3` or `[3]`).
    func single(_ key: String) throws -> Int? { try ints(key, count: 1)?[0] }

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
