import Foundation
import Strata

/// How the `strata` command words an error's `Remedy`: an argument this command takes as a flag is named as the
/// flag (`--batch-size 4`), any other as the config key that sets it (`fit.batch_size: 4`), and one-hot targets as
/// the config's `data.transforms.y.one_hot`. The Swift API's own wording (`batchSize: 4`, `toCategorical`) never
/// reaches a CLI user.
public struct CommandWording {
    /// The Swift labels of the `fit`/`evaluate`/`predict` arguments this command takes as flags.
    public var flags: Set<String>

    public init(flags: Set<String> = []) { self.flags = flags }

    /// `remedy` in the command's words.
    public func text(_ remedy: Remedy) -> String {
        switch remedy {
        case let .argument(label, value):
            if flags.contains(label) { return "pass --\(Self.words(label).joined(separator: "-")) \(value)" }
            let key = "fit." + Self.words(label).joined(separator: "_")
            return "set \(key): \(value) in the config (or --set \(key)=\(value))"
        case let .oneHotTargets(classes):
            return
                "for class-id targets set data.transforms.y.one_hot: \(classes) in the config, or match the last layer's units to the targets"
        }
    }

    /// The message `strata` prints for `error`: remedies in the command's words, other errors as they are.
    public func describe(_ error: Error) -> String {
        if let e = error as? StrataError { return e.describe(wording: text) }
        return (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }

    /// `batchSize` -> `["batch", "size"]`.
    static func words(_ label: String) -> [String] {
        var out: [String] = []
        for c in label {
            if c.isUppercase || out.isEmpty { out.append(c.lowercased()) } else { out[out.count - 1].append(c) }
        }
        return out
    }
}
