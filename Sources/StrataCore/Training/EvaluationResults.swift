/// Keras's `evaluate(..., return_dict=True)` and `metrics_names`: `evaluate`'s figures by name.
///
/// Swift cannot change a return type with an argument's value, so `returnDict:` selects this overload, which
/// returns `[String: Double]` (`["loss": ..., "accuracy": ...]`); without it `evaluate` returns `[Double]` in
/// ``Sequential/metricsNames`` order, as Keras's default does.
extension Sequential {
    /// Keras `metrics_names`: `["loss", "accuracy", ...]`, the order of `evaluate`'s `[Double]`. As in Keras 3 the
    /// metrics resolve against the data (`"accuracy"` becomes binary, sparse or categorical), so before the model has
    /// trained or evaluated this is `["loss"]`.
    public var metricsNames: [String] { ["loss"] + metrics.map(\.name) }

    /// Keras `evaluate(x, y, batch_size, verbose, return_dict=True)`: the loss and each metric by name.
    public func evaluate(
        _ x: some TensorConvertible, _ y: some TensorConvertible, batchSize: Int? = nil, verbose: Int = 1,
        returnDict: Bool, communicator: Communicator? = nil
    ) throws -> [String: Double] {
        try requireDict(returnDict)
        return named(try evaluate(x, y, batchSize: batchSize, verbose: verbose, communicator: communicator))
    }

    /// `evaluate(..., returnDict: true)` on any `Dataset` (e.g. an `HDF5Dataset`).
    public func evaluate(
        _ data: Dataset, batchSize: Int? = nil, verbose: Int = 1, returnDict: Bool,
        communicator: Communicator? = nil
    ) throws -> [String: Double] {
        try requireDict(returnDict)
        return named(try evaluate(data, batchSize: batchSize, verbose: verbose, communicator: communicator))
    }

    /// The dictionary overloads exist only for `returnDict: true`; `false` is said plainly, before any work.
    private func requireDict(_ returnDict: Bool) throws {
        guard returnDict else {
            throw StrataError.invalidArgument(
                "evaluate(..., returnDict: false) cannot return a dictionary",
                hint: "leave out returnDict: to get [Double] (in model.metricsNames order)")
        }
    }

    private func named(_ scores: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(metricsNames, scores)) }
}
