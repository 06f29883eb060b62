/// What `fit` returns, as Keras's `History`: per-epoch figures by name (`loss`, `accuracy`, `val_loss`, ...).
public final class History {
    public var history: [String: [Double]] = [:]
    public var epoch: [Int] = []
    public var params: [String: Int] = [:]
    public init() {}

    func append(epoch e: Int, logs: [String: Double]) {
        epoch.append(e)
        for (k, v) in logs { history[k, default: []].append(v) }
    }

    public subscript(key: String) -> [Double]? { history[key] }
}
