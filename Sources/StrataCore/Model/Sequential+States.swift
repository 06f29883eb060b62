/// Global RNN states: what a checkpoint holds for stateful layers (DESIGN.md contract 2 and 4).
///
/// A stateful layer on rank `r` of `p` carries rows `[r*B/p, (r+1)*B/p)` of the global `(B, units)` state (stream
/// `j` of every batch lives on rank `j/(B/p)`), so the global tensor is the ranks' rows in rank order. Saving
/// gathers it; restoring hands each rank its slice, so a run saved on 2 ranks resumes on 1 or 4.
extension Sequential {
    /// The carried states of every stateful layer as global tensors `(B, units)`, by layer name (empty before
    /// the layer's first batch). Collective: every rank must call it, in the same order.
    public func gatherStates(_ comm: Communicator) throws -> [String: [Tensor]] {
        var out: [String: [Tensor]] = [:]
        for layer in layers where (layer as? StatefulLayer)?.stateful == true && !layer.states.isEmpty {
            out[layer.name] = try layer.states.map { try comm.allGatherRows($0) }
        }
        return out
    }

    /// The states of a model run by one process: its local states are the global ones. Nil when this model
    /// last ran on several ranks (its states then cover one rank's rows of the fixed batch, not all of them;
    /// `gatherStates` on every rank is needed).
    public var singleProcessStates: [String: [Tensor]]? {
        let stateful = layers.filter { ($0 as? StatefulLayer)?.stateful == true && !$0.states.isEmpty }
        if stateful.isEmpty { return [:] }
        if let fixed = fixedBatchSize, stateful.contains(where: { $0.states[0].shape.first != fixed }) { return nil }
        return Dictionary(uniqueKeysWithValues: stateful.map { ($0.name, $0.states) })
    }

    /// Sets every stateful layer's carried states from global `(B, units)` tensors by layer name: rank `rank`
    /// of `size` takes rows `[rank*B/size, (rank+1)*B/size)`. `source` names the file in errors.
    public func scatterStates(_ global: [String: [Tensor]], rank: Int, size: Int, source: String) throws {
        for name in global.keys.sorted() {
            let states = global[name]!
            guard let layer = layers.first(where: { $0.name == name }) as? RecurrentLayer, layer.stateful else {
                throw StrataError.file(
                    path: source, "it holds RNN states for layer '\(name)', which is not a stateful recurrent layer of this model",
                    hint: "resume with the model that wrote the checkpoint")
            }
            let rows = states.first?.shape.first ?? 0
            if let fixed = fixedBatchSize, rows != fixed {
                throw StrataError.file(
                    path: source,
                    "the states of layer '\(name)' are for a batch of \(rows) streams, the model's fixed batch size is \(fixed)",
                    hint: "resume with batch size \(rows)")
            }
            guard size > 0, rows % size == 0 else {
                throw StrataError.file(
                    path: source, "the states of layer '\(name)' hold \(rows) streams, which do not divide over \(size) ranks",
                    hint: "resume on a rank count that divides \(rows)")
            }
            let per = rows / size
            try layer.setStates(states.map { $0.rows((rank * per)..<((rank + 1) * per)).copy() })
        }
    }

    /// Before a batch runs on rank `rank` of `size`: states that cover the whole fixed batch (loaded with the
    /// model, or set on one process) are narrowed to this rank's rows; states of any other row count (another
    /// rank count's slice) are an error rather than a mismatch inside the layer.
    func shardStates(rank: Int, size: Int) throws {
        guard let fixed = fixedBatchSize, size > 0, fixed % size == 0 else { return }
        let per = fixed / size
        for case let layer as RecurrentLayer in layers where layer.stateful && !layer.states.isEmpty {
            let rows = layer.states[0].shape.first ?? 0
            if rows == per { continue }
            guard rows == fixed else {
                throw StrataError.invalidArgument(
                    "layer '\(layer.name)' carries states for \(rows) streams; on \(size) rank(s) each rank runs \(per) of the batch's \(fixed)",
                    hint: "reset them (model.resetStates()) or set the whole batch's (\(fixed), units) states")
            }
            try layer.setStates(layer.states.map { $0.rows((rank * per)..<((rank + 1) * per)).copy() })
        }
    }
}

/// A layer that carries state across batches when configured as stateful (RNNs).
public protocol StatefulLayer: Layer {
    var stateful: Bool { get }
}
