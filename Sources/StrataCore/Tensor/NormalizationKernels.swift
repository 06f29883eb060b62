/// The loops of BatchNormalization and LayerNormalization on raw buffers.
///
/// BatchNormalization views its input as `blocks x channels x inner` (channels-last: `inner == 1`, one row of
/// channels per position) and reduces over everything but the channel; sums are taken in Double so the
/// one-pass variance `E[x^2] - E[x]^2` (Keras's synchronized moments) keeps float32 accuracy and the sum over ranks
/// does not depend on how the batch is split. LayerNormalization reduces over groups given by index maps (one group
/// and one weight index per element of a sample), which cover any list of axes.
extension Kernels {
    // MARK: BatchNormalization

    /// Adds `sum x` per channel into `sums[0..<channels]` and `sum x^2` into `sums[channels..<2 channels]`; with
    /// `weights` (one per block, channels-last) `sum w x` and `sum w x^2`.
    static func channelMoments(
        _ x: Tensor, blocks: Int, channels: Int, inner: Int, weights: Tensor? = nil, into sums: inout [Double]
    ) {
        let px = x.pointer
        sums.withUnsafeMutableBufferPointer { s in
            let s1 = s.baseAddress!, s2 = s1 + channels
            if let weights {  // one weight per block (a timestep mask), inner == 1
                let pw = weights.pointer
                for b in 0..<blocks {
                    let r = px + b &* channels, w = Double(pw[b])
                    for c in 0..<channels {
                        let v = Double(r[c]) * w
                        s1[c] += v
                        s2[c] += v * Double(r[c])
                    }
                }
            } else if inner == 1 {
                for b in 0..<blocks {
                    let r = px + b &* channels
                    for c in 0..<channels {
                        let v = Double(r[c])
                        s1[c] += v
                        s2[c] += v * v
                    }
                }
            } else {
                for b in 0..<blocks {
                    for c in 0..<channels {
                        let r = px + (b &* channels &+ c) &* inner
                        var a1 = 0.0, a2 = 0.0
                        for i in 0..<inner {
                            let v = Double(r[i])
                            a1 += v
                            a2 += v * v
                        }
                        s1[c] += a1
                        s2[c] += a2
                    }
                }
            }
        }
    }

    /// `y = x * scale[c] + shift[c]` per channel (`tf.nn.batch_normalization`'s form). `y` may be `x`.
    static func channelAffine(
        _ x: Tensor, into y: Tensor, scale: [Float], shift: [Float], blocks: Int, channels: Int, inner: Int
    ) {
        let px = x.pointer, py = y.pointer
        scale.withUnsafeBufferPointer { sc in
            shift.withUnsafeBufferPointer { sh in
                let a = sc.baseAddress!, d = sh.baseAddress!
                if inner == 1 {
                    for b in 0..<blocks {
                        let xr = px + b &* channels, yr = py + b &* channels
                        for c in 0..<channels { yr[c] = xr[c] * a[c] + d[c] }
                    }
                } else {
                    for b in 0..<blocks {
                        for c in 0..<channels {
                            let o = (b &* channels &+ c) &* inner
                            let xr = px + o, yr = py + o, ac = a[c], dc = d[c]
                            for i in 0..<inner { yr[i] = xr[i] * ac + dc }
                        }
                    }
                }
            }
        }
    }

    /// Adds `sum dy` per channel into `sums[0..<channels]` and `sum dy (x - mean[c])` into
    /// `sums[channels..<2 channels]`: what BatchNormalization's backward needs from the whole batch.
    static func channelGradientSums(
        _ dy: Tensor, _ x: Tensor, mean: [Float], blocks: Int, channels: Int, inner: Int, into sums: inout [Double]
    ) {
        let pg = dy.pointer, px = x.pointer
        mean.withUnsafeBufferPointer { mb in
            let m = mb.baseAddress!
            sums.withUnsafeMutableBufferPointer { s in
                let s1 = s.baseAddress!, s2 = s1 + channels
                if inner == 1 {
                    for b in 0..<blocks {
                        let g = pg + b &* channels, xr = px + b &* channels
                        for c in 0..<channels {
                            let d = Double(g[c])
                            s1[c] += d
                            s2[c] += d * Double(xr[c] - m[c])
                        }
                    }
                } else {
                    for b in 0..<blocks {
                        for c in 0..<channels {
                            let o = (b &* channels &+ c) &* inner
                            let g = pg + o, xr = px + o, mc = m[c]
                            var a1 = 0.0, a2 = 0.0
                            for i in 0..<inner {
                                let d = Double(g[i])
                                a1 += d
                                a2 += d * Double(xr[i] - mc)
                            }
                            s1[c] += a1
                            s2[c] += a2
                        }
                    }
                }
            }
        }
    }

    /// `dx = a[c] dy + b[c] (x - mean[c]) + d[c]`: BatchNormalization's input gradient with its per-channel
    /// coefficients (see `BatchNormalization.backward`).
    static func channelInputGradient(
        _ dy: Tensor, _ x: Tensor, into dx: Tensor, mean: [Float], a: [Float], b: [Float], d: [Float],
        blocks: Int, channels: Int, inner: Int, weights: Tensor? = nil
    ) {
        let pg = dy.pointer, px = x.pointer, pd = dx.pointer
        mean.withUnsafeBufferPointer { mb in
            a.withUnsafeBufferPointer { ab in
                b.withUnsafeBufferPointer { bb in
                    d.withUnsafeBufferPointer { db in
                        let m = mb.baseAddress!, ca = ab.baseAddress!, cb = bb.baseAddress!, cd = db.baseAddress!
                        if let weights {  // the batch terms weighted per block (a timestep mask), inner == 1
                            let pw = weights.pointer
                            for k in 0..<blocks {
                                let o = k &* channels, w = pw[k]
                                let g = pg + o, xr = px + o, r = pd + o
                                for c in 0..<channels { r[c] = ca[c] * g[c] + w * (cb[c] * (xr[c] - m[c]) + cd[c]) }
                            }
                        } else if inner == 1 {
                            for k in 0..<blocks {
                                let o = k &* channels
                                let g = pg + o, xr = px + o, r = pd + o
                                for c in 0..<channels { r[c] = ca[c] * g[c] + cb[c] * (xr[c] - m[c]) + cd[c] }
                            }
                        } else {
                            for k in 0..<blocks {
                                for c in 0..<channels {
                                    let o = (k &* channels &+ c) &* inner
                                    let g = pg + o, xr = px + o, r = pd + o
                                    let ac = ca[c], bc = cb[c], dc = cd[c], mc = m[c]
                                    for i in 0..<inner { r[i] = ac * g[i] + bc * (xr[i] - mc) + dc }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: LayerNormalization

    /// Where each element of a sample goes in LayerNormalization: its group (the positions that share one mean and
    /// variance) and the index of its `gamma`/`beta` entry.
    struct NormalizationGroups {
        let group: [Int32]
        let weight: [Int32]
        let groupsPerSample: Int
        let groupSize: Int
    }

    /// Per-group mean and `1 / sqrt(var + epsilon)` (two passes, Double sums, as `tf.nn.moments`), written to
    /// `mean` and `inv` (one entry per group of the batch). `rmsScaling` keeps the variance but never centers.
    static func groupMoments(
        _ x: Tensor, _ g: NormalizationGroups, samples: Int, epsilon: Float, mean: inout [Float], inv: inout [Float],
        sums: inout [Double]
    ) {
        let px = x.pointer, size = g.group.count, n = Double(g.groupSize), groups = g.groupsPerSample
        g.group.withUnsafeBufferPointer { gb in
            sums.withUnsafeMutableBufferPointer { sb in
                mean.withUnsafeMutableBufferPointer { mb in
                    inv.withUnsafeMutableBufferPointer { ib in
                        let gi = gb.baseAddress!, s = sb.baseAddress!, m = mb.baseAddress!, r = ib.baseAddress!
                        for b in 0..<samples {
                            let xs = px + b &* size
                            for k in 0..<groups { s[k] = 0 }
                            for e in 0..<size { s[Int(gi[e])] += Double(xs[e]) }
                            for k in 0..<groups { m[b &* groups &+ k] = Float(s[k] / n); s[k] = 0 }
                            for e in 0..<size {
                                let d = Double(xs[e] - m[b &* groups &+ Int(gi[e])])
                                s[Int(gi[e])] += d * d
                            }
                            for k in 0..<groups { r[b &* groups &+ k] = 1 / (Float(s[k] / n) + epsilon).squareRoot() }
                        }
                    }
                }
            }
        }
    }

    /// LayerNormalization's output from `groupMoments`: `y = (x - mean) inv gamma + beta`, or with `rmsScaling`
    /// `y = x inv gamma` (Keras 3's `rms_scaling`: the variance, not the mean square). Absent weights are 1 and 0.
    static func groupNormalize(
        _ x: Tensor, into y: Tensor, _ g: NormalizationGroups, samples: Int, mean: [Float], inv: [Float],
        gamma: Tensor?, beta: Tensor?, rmsScaling: Bool
    ) {
        let px = x.pointer, py = y.pointer, size = g.group.count, groups = g.groupsPerSample
        let pg = gamma?.pointer, pb = beta?.pointer
        g.group.withUnsafeBufferPointer { gb in
            g.weight.withUnsafeBufferPointer { wb in
                let gi = gb.baseAddress!, wi = wb.baseAddress!
                for b in 0..<samples {
                    let xs = px + b &* size, ys = py + b &* size, base = b &* groups
                    for e in 0..<size {
                        let k = base &+ Int(gi[e]), w = Int(wi[e])
                        var v = rmsScaling ? xs[e] * inv[k] : (xs[e] - mean[k]) * inv[k]
                        if let pg { v *= pg[w] }
                        if let pb { v += pb[w] }
                        ys[e] = v
                    }
                }
            }
        }
    }

    /// LayerNormalization's backward: adds `dgamma`, `dbeta` and writes `dx` (nil: not needed). With `u = gamma dy`
    /// and `h = (x - mean) inv`: `dx = inv (u - mean(u) - h mean(u h))`; with `rmsScaling` (`y = gamma x inv`),
    /// `dx = inv u - inv^3 (x - mean) mean(u x)` and `dgamma += dy x inv`.
    static func groupNormalizeGradient(
        _ dy: Tensor, _ x: Tensor, into dx: Tensor?, _ g: NormalizationGroups, samples: Int, mean: [Float],
        inv: [Float], gamma: Tensor?, dgamma: Tensor?, dbeta: Tensor?, rmsScaling: Bool, sums: inout [Double]
    ) {
        let pd = dy.pointer, px = x.pointer, size = g.group.count, groups = g.groupsPerSample
        let n = Double(g.groupSize)
        let pg = gamma?.pointer, dg = dgamma?.pointer, db = dbeta?.pointer, out = dx?.pointer
        g.group.withUnsafeBufferPointer { gb in
            g.weight.withUnsafeBufferPointer { wb in
                sums.withUnsafeMutableBufferPointer { sb in
                    let gi = gb.baseAddress!, wi = wb.baseAddress!, s = sb.baseAddress!
                    for b in 0..<samples {
                        let gs = pd + b &* size, xs = px + b &* size, base = b &* groups
                        for k in 0..<(2 &* groups) { s[k] = 0 }
                        for e in 0..<size {
                            let kg = Int(gi[e]), k = base &+ kg, w = Int(wi[e])
                            let u = Double(pg.map { $0[w] * gs[e] } ?? gs[e])
                            if rmsScaling {
                                s[kg] += u * Double(xs[e])
                                if let dg { dg[w] += gs[e] * xs[e] * inv[k] }
                            } else {
                                let h = (xs[e] - mean[k]) * inv[k]
                                s[kg] += u
                                s[groups &+ kg] += u * Double(h)
                                if let dg { dg[w] += gs[e] * h }
                            }
                            if let db { db[w] += gs[e] }
                        }
                        guard let out else { continue }
                        let os = out + b &* size
                        for e in 0..<size {
                            let kg = Int(gi[e]), k = base &+ kg, w = Int(wi[e])
                            let u = pg.map { $0[w] * gs[e] } ?? gs[e], r = inv[k]
                            if rmsScaling {
                                os[e] = r * u - r * r * r * (xs[e] - mean[k]) * Float(s[kg] / n)
                            } else {
                                let h = (xs[e] - mean[k]) * r
                                os[e] = r * (u - Float(s[kg] / n) - h * Float(s[groups &+ kg] / n))
                            }
                        }
                    }
                }
            }
        }
    }
}
