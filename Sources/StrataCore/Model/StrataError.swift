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
    /// A setting that does not fit, with the fix as a `Remedy`: worded in the Swift API's terms here, in the
    /// CLI's and the config's by the `strata` command (`describe(wording:)`).
    case fixable(String, remedy: Remedy)

    public var errorDescription: String? {
        switch self {
        case let .invalidArgument(what, hint): return "\(what). \(hint)"
        case let .invalidModel(layer, what, hint): return "layer '\(layer)': \(what). \(hint)"
        case let .invalidData(what, hint): return "\(what). \(hint)"
        case let .usage(what, hint): return "\(what). \(hint)"
        case let .distributed(rank, what): return "rank \(rank): \(what)"
        case let .file(path, what, hint): return "\(path): \(what). \(hint)"
        case let .fixable(what, remedy): return "\(what). \(remedy.swiftText)"
        }
    }

    /// The message with its remedy in another front end's words (`wording`), e.g. `--batch-size 4` for the CLI.
    public func describe(wording: (Remedy) -> String) -> String {
        if case let .fixable(what, remedy) = self { return "\(what). \(wording(remedy))" }
        return errorDescription ?? "\(self)"
    }
}

/// What the user should set to fix an error, named once: each front end words it in its own terms (the Swift
/// API's `batchSize: 4`, the CLI's `--batch-size 4`, the config's `fit.batch_size: 4`).
public enum Remedy: Equatable, Sendable {
    /// Pass `value` for the `fit`/`evaluate`/`predict` argument whose Swift label is `label` (`batchSize`, `shuffle`).
    case argument(String, value: String)
    /// The targets are class ids or of another width: encode them one-hot over `classes` classes, or match the
    /// last layer's units to them.
    case oneHotTargets(classes: Int)

    /// The remedy in the Swift API's terms.
    public var swiftText: String {
        switch self {
        case let .argument(label, value): return "pass \(label): \(value)"
        case let .oneHotTargets(classes):
            return "use toCategorical(labels, numClasses: \(classes)) for class labels, or match the last layer's units to the targets"
        }
    }
}
