/// A layer whose training forward and backward sum statistics over every rank's rows of the global batch
/// (`LayerContext.sumOverRanks`), as BatchNormalization does: each such call is a collective, so a rank whose
/// shard of a batch is empty still makes it, on an empty batch, contributing zeros (`Sequential.joinGlobalStatistics`).
public protocol GlobalBatchStatistics: Layer {}

extension Sequential {
    /// Whether any layer sums statistics over ranks (a rank with no rows must then still join their collectives).
    var hasGlobalBatchStatistics: Bool { layers.contains { $0 is GlobalBatchStatistics } }

    /// A rank with no rows in this step: runs the forward and then the backward of every `GlobalBatchStatistics`
    /// layer on an empty batch, in the order the other ranks' forward and backward reach them, so the collectives
    /// match and the moving statistics are updated alike on every rank. Writes no gradient. `afterForward` makes
    /// the collectives the other ranks make between forward and backward (the masked loss's kept count).
    func joinGlobalStatistics(
        step: Int, sumOverRanks: @escaping (inout [Double]) -> Void, afterForward: () -> Void = {}
    ) {
        guard let input = inputShape else { return }
        var context = LayerContext(training: true, parameters: parameters!, step: step, seed: runSeed)
        context.sumOverRanks = sumOverRanks
        let inputs = [input] + layerOutputShapes.dropLast()
        let synchronized = layers.indices.filter { layers[$0] is GlobalBatchStatistics }
        for i in synchronized {
            context.layerIndex = i
            _ = layers[i].forward(Tensor(zeros: [0] + inputs[i]), context: context)
        }
        afterForward()
        for i in synchronized.reversed() {
            context.layerIndex = i
            context.needsInputGradient = i > 0
            _ = layers[i].backward(Tensor(zeros: [0] + layerOutputShapes[i]), context: context)
        }
    }
}
