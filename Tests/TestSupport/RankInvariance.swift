import StrataCore

/// DESIGN.md's contract 1 checked in process: one run on 1 rank against the same run on 2 and 3 `ThreadCommunicator`
/// ranks.
public enum RankInvariance {
    /// What a run ends with: the model (its weights), its History, and further figures (`evaluate`'s).
    public struct Outcome {
        public let model: Sequential
        public let history: History
        public let figures: [Double]
        public init(model: Sequential, history: History, figures: [Double]) {
            self.model = model
            self.history = history
            self.figures = figures
        }
    }

    /// Runs `body` on 1 rank (communicator nil), then on every rank of each size in `sizes`: the largest difference
    /// from the 1-rank run, weights relative to the largest 1-rank weight, History and figures relative to
    /// `max(|value|, 1e-3)` (infinite when a History key is missing). Rethrows the first rank's error.
    public static func worstDifference(sizes: [Int] = [2, 3], _ body: @escaping (Communicator?) throws -> Outcome) throws -> Double {
        let one = try body(nil)
        let w1 = one.model.getWeights().flatMap(\.scalars)
        let scale = Double(w1.map { abs($0) }.max()!)
        var worst = 0.0
        for p in sizes {
            for result in ThreadCommunicator.run(size: p, { comm in try body(comm) }) {
                let r = try result.get()
                let w = r.model.getWeights().flatMap(\.scalars)
                worst = max(worst, Double(zip(w, w1).map { abs($0 - $1) }.max()!) / scale)
                for (key, values) in one.history.history {
                    guard let ours = r.history[key], ours.count == values.count else { return .infinity }
                    for (a, b) in zip(ours, values) { worst = max(worst, abs(a - b) / max(abs(b), 1e-3)) }
                }
                for (a, b) in zip(r.figures, one.figures) { worst = max(worst, abs(a - b) / max(abs(b), 1e-3)) }
            }
        }
        return worst
    }
}
