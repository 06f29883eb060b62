/// Keras `Bidirectional`'s merge of the forward and backward layers' outputs and its gradient
/// (keras/src/layers/rnn/bidirectional.py `call`).
extension Kernels {
    /// `y[n, t]` from `f[n, t]` and `b[n, t']` (`(N, T, u)`; `t' = T-1-t` with `reverse`, the backward layer's
    /// sequence put back in time order): concat `[f, b]` `(N, T, 2u)`, sum `f + b`, ave `(f + b) / 2`, mul `f b`.
    public static func mergeBidirectional(
        _ f: Tensor, _ b: Tensor, rows: Int, steps: Int, units u: Int, reverse: Bool, mode: Bidirectional.MergeMode,
        into y: Tensor
    ) {
        let width = mode == .concat ? 2 * u : u
        precondition(f.count == rows * steps * u && b.count == f.count && y.count == rows * steps * width, "mergeBidirectional sizes")
        let pf = f.pointer, pb = b.pointer, py = y.pointer
        for n in 0..<rows {
            for t in 0..<steps {
                let fr = pf + (n &* steps &+ t) &* u, br = pb + (n &* steps &+ (reverse ? steps - 1 - t : t)) &* u
                let yr = py + (n &* steps &+ t) &* width
                switch mode {
                case .concat:
                    yr.update(from: fr, count: u)
                    (yr + u).update(from: br, count: u)
                case .sum: for j in 0..<u { yr[j] = fr[j] + br[j] }
                case .ave: for j in 0..<u { yr[j] = (fr[j] + br[j]) * 0.5 }
                case .mul: for j in 0..<u { yr[j] = fr[j] * br[j] }
                }
            }
        }
    }

    /// The gradients reaching `f` and `b` from `dy` (the inverse layout of `mergeBidirectional`; `mul` reads the
    /// outputs `f` and `b`).
    public static func splitBidirectional(
        _ dy: Tensor, _ f: Tensor, _ b: Tensor, rows: Int, steps: Int, units u: Int, reverse: Bool,
        mode: Bidirectional.MergeMode, df: Tensor, db: Tensor
    ) {
        let width = mode == .concat ? 2 * u : u
        precondition(dy.count == rows * steps * width && df.count == rows * steps * u && db.count == df.count, "splitBidirectional sizes")
        let pd = dy.pointer, pf = f.pointer, pb = b.pointer, pdf = df.pointer, pdb = db.pointer
        for n in 0..<rows {
            for t in 0..<steps {
                let fo = (n &* steps &+ t) &* u, bo = (n &* steps &+ (reverse ? steps - 1 - t : t)) &* u
                let d = pd + (n &* steps &+ t) &* width
                let dfr = pdf + fo, dbr = pdb + bo
                switch mode {
                case .concat:
                    dfr.update(from: d, count: u)
                    dbr.update(from: d + u, count: u)
                case .sum:
                    dfr.update(from: d, count: u)
                    dbr.update(from: d, count: u)
                case .ave: for j in 0..<u { dfr[j] = d[j] * 0.5; dbr[j] = d[j] * 0.5 }
                case .mul:
                    let fr = pf + fo, br = pb + bo
                    for j in 0..<u { dfr[j] = d[j] * br[j]; dbr[j] = d[j] * fr[j] }
                }
            }
        }
    }
}
