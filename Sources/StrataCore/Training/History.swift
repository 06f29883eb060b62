/// What `fit` returns, as Keras's `History`: per-epoch figures by name (`loss`, `accuracy`, `val_loss`, ...).
///
/// Read it as in Keras, `history.history["loss"]`, or as members: `history.loss`, `history.accuracy`,
/// `history.val_loss` (one value per epoch; a name the run did not log gives `[]`).
@dynamicMemberLookup
public final class History {
    /// Keras's `history.history`: each logged figure's values, one per epoch.
    public var history: [String: [Double]] = [:]
    /// The epochs that ran (0-based, as Keras's `history.epoch`).
    public var epoch: [Int] = []
    /// Keras's `history.params`: `verbose`, `epochs`, `steps`.
    public var params: [String: Int] = [:]
    public init() {}

    func append(epoch e: Int, logs: [String: Double]) {
        epoch.append(e)
        for (k, v) in logs { history[k, default: []].append(v) }
    }

    /// `history["loss"]`: the values of one figure, or nil when the run did not log it.
    public subscript(key: String) -> [Double]? { history[key] }

    /// `history.loss`, `history.val_accuracy`, ...: the values of one figure (`[]` when the run did not log it).
    public subscript(dynamicMember key: String) -> [Double] { history[key] ?? [] }
}
