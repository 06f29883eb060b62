extension Kernels {
    /// `y = x * mask` (kept values scaled by `1/(1-rate)`), with each element's keep flag written to `kept` (at least
    /// `x.count` bytes). `y` may be `x`: then one pointer is read and written, so the loop still vectorises (LLVM
    /// sends aliased input and output pointers to the scalar loop, 5x slower).
    static func dropout(_ x: Tensor, into y: Tensor, mask: Dropout.Mask, recording kept: inout [UInt8]) {
        let px = x.pointer, py = y.pointer, n = x.count, scale = mask.keepScale
        kept.withUnsafeMutableBufferPointer { buffer in
            let kept = buffer.baseAddress!
            if px == py {
                for i in 0..<n { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = py[i] * (k ? scale : 0) }
            } else {
                for i in 0..<n { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = px[i] * (k ? scale : 0) }
            }
        }
    }

    /// `dx = dy * mask` from the flags `dropout` recorded; `dx` may be `dy`.
    static func dropoutGradient(_ dy: Tensor, into dx: Tensor, mask: Dropout.Mask, recorded kept: [UInt8]) {
        let pg = dy.pointer, pd = dx.pointer, n = dy.count, scale = mask.keepScale
        kept.withUnsafeBufferPointer { buffer in
            let kept = buffer.baseAddress!
            if pg == pd {
                for i in 0..<n { pd[i] = pd[i] * (kept[i] != 0 ? scale : 0) }
            } else {
                for i in 0..<n { pd[i] = pg[i] * (kept[i] != 0 ? scale : 0) }
            }
        }
    }
}
