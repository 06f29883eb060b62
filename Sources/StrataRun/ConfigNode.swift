import Foundation
import StrataCore
import Yams

/// A parsed YAML config value that remembers its line, so errors can say where: `configs/x.yaml:12: ...`.
public indirect enum ConfigNode {
    case scalar(String, line: Int, quoted: Bool)
    case list([ConfigNode], line: Int)
    case map([(key: String, value: ConfigNode, line: Int)], line: Int)

    public var line: Int {
        switch self {
        case let .scalar(_, l, _), let .list(_, l), let .map(_, l): return l
        }
    }

    /// Parses YAML text (the file name is for messages).
    public static func parse(_ text: String, file: String) throws -> ConfigNode {
        do {
            guard let node = try Yams.compose(yaml: text) else { return .map([], line: 1) }
            return try convert(node, file: file)
        } catch let e as ConfigError {
            throw e
        } catch let e as YamlError {
            throw ConfigError(file: file, line: 0, "is not valid YAML: \(e)", hint: "fix the YAML syntax")
        }
    }

    static func convert(_ n: Node, file: String) throws -> ConfigNode {
        let line = (n.mark?.line ?? 0)
        switch n {
        case let .scalar(s):
            return .scalar(s.string, line: line, quoted: s.style == .singleQuoted || s.style == .doubleQuoted)
        case let .sequence(seq):
            return .list(try seq.map { try convert($0, file: file) }, line: line)
        case let .mapping(m):
            var entries: [(key: String, value: ConfigNode, line: Int)] = []
            for (k, v) in m {
                guard case let .scalar(ks) = k else {
                    throw ConfigError(file: file, line: k.mark?.line ?? line, "a key must be a plain name", hint: "")
                }
                if entries.contains(where: { $0.key == ks.string }) {
                    throw ConfigError(file: file, line: k.mark?.line ?? line, "key '\(ks.string)' appears twice", hint: "keep one")
                }
                entries.append((ks.string, try convert(v, file: file), k.mark?.line ?? line))
            }
            return .map(entries, line: line)
        case .alias:
            throw ConfigError(file: file, line: line, "YAML aliases are not supported", hint: "write the value out")
        }
    }

    /// The value as JSON (numbers, booleans and null recognised in unquoted scalars, as YAML 1.2 core).
    public var json: JSONValue {
        switch self {
        case let .scalar(s, _, quoted):
            if quoted { return .string(s) }
            switch s {
            case "null", "~", "None", "": return .null
            case "true", "True": return .bool(true)
            case "false", "False": return .bool(false)
            default:
                if let i = Int(s) { return .int(i) }
                if let d = Double(s) { return .number(d) }
                return .string(s)
            }
        case let .list(items, _): return .array(items.map(\.json))
        case let .map(entries, _): return .object(Dictionary(entries.map { ($0.key, $0.value.json) }, uniquingKeysWith: { $1 }))
        }
    }

    public subscript(key: String) -> ConfigNode? {
        if case let .map(entries, _) = self { return entries.first { $0.key == key }?.value }
        return nil
    }

    /// Sets `path` (dotted, e.g. `fit.epochs`) to `value` (YAML text), creating maps as needed (`--set`).
    public func setting(_ path: [String], to value: ConfigNode) -> ConfigNode {
        guard let first = path.first else { return value }
        var entries: [(key: String, value: ConfigNode, line: Int)] = []
        if case let .map(e, _) = self { entries = e }
        if let i = entries.firstIndex(where: { $0.key == first }) {
            entries[i].value = entries[i].value.setting(Array(path.dropFirst()), to: value)
        } else {
            entries.append((first, ConfigNode.map([], line: 0).setting(Array(path.dropFirst()), to: value), 0))
        }
        return .map(entries, line: line)
    }

    /// YAML text of this node (for the exact config saved in the run directory).
    public func yaml(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        switch self {
        case .scalar:
            return json.jsonText
        case let .list(items, _):
            if items.isEmpty { return "[]" }
            return items.map { "\n" + pad + "- " + $0.yaml(indent: indent + 1).trimmingCharacters(in: .newlines) }.joined()
        case let .map(entries, _):
            if entries.isEmpty { return "{}" }
            return entries.map { e -> String in
                let v = e.value.yaml(indent: indent + 1)
                if case .scalar = e.value { return "\n" + pad + e.key + ": " + v }
                return "\n" + pad + e.key + ":" + v
            }.joined()
        }
    }
}

/// A config error: the file, the line, what was wrong and what to do.
public struct ConfigError: LocalizedError, Equatable {
    public let file: String
    public let line: Int
    public let message: String
    public let hint: String
    public init(file: String, line: Int, _ message: String, hint: String) {
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
    }
    public var errorDescription: String? {
        "\(file)\(line > 0 ? ":\(line)" : ""): \(message)" + (hint.isEmpty ? "" : ". \(hint)")
    }
}
