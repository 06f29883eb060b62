import Foundation
import Strata

/// `strata inspect`: what a checkpoint holds — where training was, on how many ranks, the seeds, the optimizer with
/// every argument, the history and the weights. It only reads the file: no model is built or compiled and nothing
/// is checked against one, so any Keras or Strata .h5 can be inspected.
public enum CheckpointReport {
    public static func text(_ path: String) throws -> String {
        let f = try HDF5.File.open(path)
        let verification = try CheckpointDigest.verify(f)  // a damaged file is an error naming what failed
        let weights = try Checkpoint.savedWeights(f)
        var lines = ["\(path)", "checksums: " + verification.summary]
        var parameters = 0
        var weightLines: [String] = []
        for (layer, group, names) in weights {
            for n in names {
                let v = try group.dataset(n).readAll()
                parameters += v.count
                let s = v.scalars
                let short = (n.split(separator: "/").last.map(String.init) ?? n).split(separator: ":").first.map(String.init) ?? n
                weightLines.append(
                    "  \(layer)/\(short) \(v.shape) min \(String(format: "%.4g", s.min() ?? 0)) max \(String(format: "%.4g", s.max() ?? 0))"
                )
            }
        }
        if let text = try f.string("model_config") {
            let config = try ModelConfig(json: try JSONValue.parse(text), kerasVersion: try f.string("keras_version"))
            lines.append("model: \(config.name), \(config.layers.count) layers, \(parameters) parameters")
        } else {
            lines.append("weights only (no model_config): \(weights.count) layers with weights, \(parameters) parameters")
        }
        if let state = try Checkpoint.readTrainingState(f) {
            lines.append("position: \(state.epoch) epoch(s) complete, \(state.batchInEpoch) batch(es) into epoch \(state.epoch + 1)")
            lines.append(
                "written by: \(state.worldSize) rank(s) x \(state.threads) OpenBLAS thread(s); run seed \(state.seed), initialisation seed \(state.initSeed)"
            )
            if let opt = try Checkpoint.readOptimizer(f) {
                lines.append(
                    "optimizer: \(opt.name) \(JSONValue.object(opt.config).jsonText), iterations \(opt.iterations), learning rate \(opt.learningRate)"
                )
            }
            if state.stopped { lines.append("stopped: a callback ended this run (resuming trains no further)") }
            for name in state.rnnStates.keys.sorted() {
                lines.append("RNN states (global) of \(name): " + state.rnnStates[name]!.map { "\($0.shape)" }.joined(separator: ", "))
            }
            if !state.history.epoch.isEmpty {
                lines.append("history:")
                let keys = state.history.history.keys.sorted()
                lines.append(
                    "  epoch  " + keys.map { $0.padding(toLength: max(10, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " "))
                for (i, e) in state.history.epoch.enumerated() {
                    let cells = keys.map { k -> String in
                        let v = state.history.history[k].flatMap { i < $0.count ? $0[i] : nil }
                        return (v.map { String(format: "%.4f", $0) } ?? "-").padding(
                            toLength: max(10, k.count), withPad: " ", startingAt: 0)
                    }
                    lines.append(
                        "  " + String(e + 1).padding(toLength: 5, withPad: " ", startingAt: 0) + "  " + cells.joined(separator: " "))
                }
            }
        } else {
            lines.append("no Strata training state (a model file, e.g. written by Keras): weights only")
        }
        lines.append("weights:")
        lines += weightLines
        return lines.joined(separator: "\n")
    }
}
