import Foundation

/// Errors from user input: each says what was wrong, where, and what to do.
public enum StrataError: LocalizedError, Equatable {
    /// A bad argument or configuration value.
    case invalidArgument(String, hint: String)
    /// A model that cannot be built (missing or contradictory shapes), naming the layer.
    case invalidModel(layer: String, String, hint: String)
    /// Data that does not fit the model or contains bad values.
    case invalidData(String, hint: String)
    /// A model used before `compile`, or other misuse of the API.
    case usage(String, hint: String)
    /// An error raised on another rank (or a collective that failed), naming the rank.
    case distributed(rank: Int, String)
    /// A file that cannot be read or written.
    case file(path: String, String, hint: String)

    public var errorDescription: String? {
        switch self {
        case let .invalidArgument(what, hint): return "\(what). \(hint)"
        case let .invalidModel(layer, what, hint): return "layer '\(layer)': \(what). \(hint)"
        case let .invalidData(what, hint): return "\(what). \(hint)"
        case let .usage(what, hint): return "\(what). \(hint)"
        case let .distributed(rank, what): return "rank \(rank): \(what)"
        case let .file(path, what, hint): return "\(path): \(what). \(hint)"
        }
    }
}
