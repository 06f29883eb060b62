/// Typed reading of Keras-style arguments (`learning_rate`, `decay_steps`...) for an optimizer or a learning-rate
/// schedule: every key read is marked, and `finish()` makes any key left over one error naming it, so a misspelt or
/// unsupported argument is never silently ignored. An argument left out takes its value from `defaults` (an
/// optimizer's: the `get_config()` of the instance with Keras's defaults).
public struct OptimizerArguments {
    /// What the arguments belong to, for messages ("optimizer adam", "schedule ExponentialDecay").
    public let owner: String
    public private(set) var values: [String: JSONValue]
    public let defaults: [String: JSONValue]

    public init(_ owner: String, _ values: [String: JSONValue], defaults: [String: JSONValue] = [:]) {
        self.owner = owner
        self.values = values
        self.defaults = defaults
    }

    /// A number, or its default (an error when it has none).
    public mutating func float(_ key: String) throws -> Float {
        guard let f = try optionalFloat(key) ?? defaults[key]?.doubleValue.map(Float.init) else {
            throw StrataError.invalidArgument("\(owner): '\(key)' is required", hint: "give \(key): <number>")
        }
        return f
    }

    /// A flag, or its default (false when it has none).
    public mutating func bool(_ key: String) throws -> Bool { try bool(key, defaults[key]?.boolValue ?? false) }

    /// The learning rate: a number, a schedule (`{ExponentialDecay: {...}}` or Keras's serialised form), or the
    /// default.
    public mutating func learningRate() throws -> any LearningRateConvertible {
        guard let v = take("learning_rate") else { return try float("learning_rate") }
        if v.objectValue != nil { return try LearningRateSchedules.make(v) }
        guard let n = v.doubleValue else { throw fail("learning_rate", "a number or a schedule", v) }
        return Float(n)
    }

    func fail(_ key: String, _ expected: String, _ got: JSONValue) -> StrataError {
        .invalidArgument("\(owner): '\(key)' must be \(expected), got \(got.jsonText)", hint: "fix '\(key)'")
    }

    /// The raw value (removed), nil when absent or null.
    public mutating func take(_ key: String) -> JSONValue? {
        guard let v = values.removeValue(forKey: key), v != .null else { return nil }
        return v
    }

    /// A number, nil when absent or null.
    public mutating func optionalFloat(_ key: String) throws -> Float? {
        guard let v = take(key) else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "a number", v) }
        return Float(d)
    }
    public mutating func float(_ key: String, _ fallback: Float) throws -> Float { try optionalFloat(key) ?? fallback }
    public mutating func requiredFloat(_ key: String) throws -> Float {
        guard let f = try optionalFloat(key) else {
            throw StrataError.invalidArgument("\(owner): '\(key)' is required", hint: "give \(key): <number>")
        }
        return f
    }

    public mutating func int(_ key: String) throws -> Int? {
        guard let v = take(key) else { return nil }
        guard let i = v.intValue else { throw fail(key, "an integer", v) }
        return i
    }
    public mutating func requiredInt(_ key: String) throws -> Int {
        guard let i = try int(key) else {
            throw StrataError.invalidArgument("\(owner): '\(key)' is required", hint: "give \(key): <integer>")
        }
        return i
    }

    public mutating func bool(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let v = take(key) else { return fallback }
        guard let b = v.boolValue else { throw fail(key, "true or false", v) }
        return b
    }

    public mutating func floats(_ key: String) throws -> [Float] {
        guard let v = take(key), let a = v.arrayValue else {
            throw StrataError.invalidArgument("\(owner): '\(key)' must be a list of numbers", hint: "e.g. \(key): [0.1, 0.01]")
        }
        return try a.map { e in
            guard let d = e.doubleValue else { throw fail(key, "a list of numbers", v) }
            return Float(d)
        }
    }

    /// Keras 2's spelling of a key (`lr` for `learning_rate`).
    public mutating func rename(_ old: String, to new: String) {
        if let v = values.removeValue(forKey: old) { values[new] = v }
    }

    /// Drops keys Keras writes that change nothing here (`name`...).
    public mutating func ignore(_ keys: String...) { for k in keys { values[k] = nil } }

    /// Throws for the first argument nobody read.
    public func finish(valid: [String]) throws {
        guard let k = values.keys.sorted().first else { return }
        throw StrataError.invalidArgument(
            "\(owner): unknown argument '\(k)'",
            hint: "valid arguments: " + valid.sorted().joined(separator: ", "))
    }
}
