import Foundation
import Strata

/// `strata inspect`: what a checkpoint holds — where training was, on how many ranks, the optimizer, the history
/// and the weights — read through the same loader that resumes from it.
public enum CheckpointReport {
    public static func text(_ path: String) throws -> String {
        let model = try Sequential.load(path)
        var lines = ["\(path)", "model: \(model.name), \(model.layers.count) layers, \(model.countParams()) parameters"]
        if let state = try? Checkpoint.restore(model, from: path) {
            lines.append("position: \(state.epoch) epoch(s) complete, \(state.batchInEpoch) batch(es) into epoch \(state.epoch + 1)")
            lines.append("written by: \(state.worldSize) rank(s) x \(state.threads) OpenBLAS thread(s); seed \(state.seed)")
            if let opt = model.optimizer, let st = model.optimizerState {
                lines.append("optimizer: \(opt.name) \(JSONValue.object(opt.kerasConfig).jsonText), iterations \(st.iterations), learning rate \(opt.learningRate)")
            }
            if state.stopped { lines.append("stopped: a callback ended this run (resuming trains no further)") }
            for name in state.rnnStates.keys.sorted() {
                lines.append("RNN states (global) of \(name): " + state.rnnStates[name]!.map { "\($0.shape)" }.joined(separator: ", "))
            }
            if !state.history.epoch.isEmpty {
                lines.append("history:")
                let keys = state.history.history.keys.sorted()
                lines.append("  epoch  " + keys.map { $0.padding(toLength: max(10, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " "))
                for (i, e) in state.history.epoch.enumerated() {
                    let cells = keys.map { k -> String in
                        let v = state.history.history[k].flatMap { i < $0.count ? $0[i] : nil }
                        return (v.map { String(format: "%.4f", $0) } ?? "-").padding(toLength: max(10, k.count), withPad: " ", startingAt: 0)
                    }
                    lines.append("  " + String(e + 1).padding(toLength: 5, withPad: " ", startingAt: 0) + "  " + cells.joined(separator: " "))
                }
            }
        } else {
            lines.append("no Strata training state (a model file, e.g. written by Keras): weights only")
        }
        lines.append("weights:")
        if let p = model.parameters {
            for (layer, handles) in zip(model.layers, model.layerWeights) {
                for h in handles {
                    let v = p.value(h).scalars
                    let lo = v.min() ?? 0, hi = v.max() ?? 0
                    lines.append("  \(layer.name)/\(h.name) \(h.shape) min \(String(format: "%.4g", lo)) max \(String(format: "%.4g", hi))")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
