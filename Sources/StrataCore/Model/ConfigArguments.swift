/// Reads Keras-named arguments once each; what is left at `finish` is an error naming it.
struct ConfigArguments {
    let what: String
    var remaining: [String: JSONValue]

    init(what: String, _ arguments: [String: JSONValue]) {
        self.what = what
        remaining = arguments
    }

    private mutating func take(_ key: String) -> JSONValue? {
        guard let v = remaining.removeValue(forKey: key), v != .null else { return nil }
        return v
    }

    mutating func optionalFloat(_ key: String) throws -> Float? {
        guard let v = take(key) else { return nil }
        guard let d = v.doubleValue else {
            throw StrataError.invalidArgument("\(what): '\(key)' must be a number, got \(v)", hint: "")
        }
        return Float(d)
    }

    mutating func float(_ key: String, _ fallback: Float) throws -> Float { try optionalFloat(key) ?? fallback }

    mutating func optionalInt(_ key: String, min: Int) throws -> Int? {
        guard let v = take(key) else { return nil }
        guard let i = v.intValue, i >= min else {
            throw StrataError.invalidArgument("\(what): '\(key)' must be an integer >= \(min), got \(v)", hint: "")
        }
        return i
    }

    mutating func int(_ key: String, _ fallback: Int, min: Int) throws -> Int { try optionalInt(key, min: min) ?? fallback }

    mutating func bool(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let v = take(key) else { return fallback }
        guard let b = v.boolValue else {
            throw StrataError.invalidArgument("\(what): '\(key)' must be true or false, got \(v)", hint: "")
        }
        return b
    }

    mutating func string(_ key: String) throws -> String? {
        guard let v = take(key) else { return nil }
        guard let s = v.stringValue else {
            throw StrataError.invalidArgument("\(what): '\(key)' must be a string, got \(v)", hint: "")
        }
        return s
    }

    func finish() throws {
        if let key = remaining.keys.sorted().first {
            throw StrataError.invalidArgument(
                "\(what): unknown argument '\(key)'",
                hint: "see the README's table of metrics and losses for the arguments each takes")
        }
    }
}
