import Foundation

/// A JSON value: the form of Keras layer configs (`get_config`), model configs and our own metadata.
///
/// Integers and floats are separate cases, as in Python: Keras validates argument types (SGD refuses
/// `"momentum": 0` where it wants a float), so a float is always written with a point or exponent (`0.0`,
/// `1e-07`) and an integer without (`32`), and parsing keeps what the text said. `==` compares numbers by
/// value (`.int(1) == .number(1.0)`), so configs written before the split still match; `jsonText` shows the kind.
public enum JSONValue: Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// A float (Python `float`).
    case number(Double)
    /// An integer (Python `int`).
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(_ v: Int) { self = .int(v) }
    public init(_ v: Double) { self = .number(v) }
    /// A Float as the shortest Double that prints like it (1e-7, not 1.0000000116860974e-07), as Keras's
    /// configs show Python floats.
    public init(_ v: Float) { self = .number(Double(v.description) ?? Double(v)) }
    public init(_ v: [Int]) { self = .array(v.map { .int($0) }) }

    /// The number as a Double, whether written as an integer or a float.
    public var doubleValue: Double? {
        switch self {
        case let .number(d): return d
        case let .int(i): return Double(i)
        default: return nil
        }
    }
    /// The number as an Int: an integer, or a float with no fractional part (`2.0`).
    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .number(d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }
    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case let .object(o) = self { return o }; return nil }
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Parses JSON text, keeping integers (`32`) and floats (`0.5`, `1.0`, `1e-07`) apart, and Python's
    /// `NaN`/`Infinity`. (Foundation's JSONDecoder reads `1.0` as an Int, so it cannot tell them apart.)
    public static func parse(_ text: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch let e as JSONParser.Failure {
            throw StrataError.invalidArgument(
                "not valid JSON: \(e.message) at character \(e.offset)",
                hint: "check the JSON text (a Keras model_config or config file)")
        }
    }

    /// Compact JSON text with sorted keys (deterministic, so configs compare equal across ranks).
    public var jsonText: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .number(d):
            // Python's json spelling: repr of a float (`1.0`, `1e-07`), NaN/Infinity for the non-finite.
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return "\(d)"
        case let .string(s): return JSONValue.quote(s)
        case let .array(a): return "[" + a.map(\.jsonText).joined(separator: ", ") + "]"
        case let .object(o):
            return "{" + o.keys.sorted().map { JSONValue.quote($0) + ": " + o[$0]!.jsonText }.joined(separator: ", ") + "}"
        }
    }

    public var description: String { jsonText }

    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral v: String) { self = .string(v) }
    public init(integerLiteral v: Int) { self = .int(v) }
    public init(floatLiteral v: Double) { self = .number(v) }
    public init(booleanLiteral v: Bool) { self = .bool(v) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: Equatable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case (.number, .number), (.int, .number), (.number, .int): return a.doubleValue == b.doubleValue
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        default: return false
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(d): try c.encode(d)
        case let .int(i): try c.encode(i)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }
}
