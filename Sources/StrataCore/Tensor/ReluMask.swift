/// Which elements of a relu output were positive, one bit each: all a relu's backward pass needs
/// (`dz = dy where y > 0 else 0`), at 1/32 of the output's memory. A layer that keeps this instead of its output
/// lets the model reuse the output's storage (for the next layer's input gradient: aliasing rule 5 in
/// `SharedBuffers`). A kernel file: the pointer loops are here, 16 lanes at a time.
public struct ReluMask {
    private var words: [UInt16] = []
    /// Elements recorded by the last `record`.
    public private(set) var count = 0

    public init() {}

    /// Bit `i` = `y[i] > 0` (false for NaN, as relu's gradient `y > 0 ? dy : 0` has it).
    public mutating func record(_ y: Tensor) {
        let n = y.count
        count = n
        let blocks = (n + 15) / 16
        if words.count < blocks { words = [UInt16](repeating: 0, count: blocks) }
        let p = y.pointer, full = n / 16
        words.withUnsafeMutableBufferPointer { w in
            for b in 0..<full {
                let v = UnsafeRawPointer(p + b &* 16).loadUnaligned(as: SIMD16<Float>.self)
                w[b] = ReluMask.bits(v .> 0)
            }
            if full < blocks {
                var m: UInt16 = 0
                for j in 0..<(n - full &* 16) where p[full &* 16 &+ j] > 0 { m |= 1 << UInt16(j) }
                w[full] = m
            }
        }
    }

    /// `dz[i] = dy[i]` where bit `i` is set, else 0 (`dz` may be `dy`): bit for bit relu's gradient.
    public func apply(_ dy: Tensor, into dz: Tensor) {
        precondition(dy.count == count && dz.count == count, "relu mask of \(count) for \(dy.shape) into \(dz.shape)")
        let pg = dy.pointer, pd = dz.pointer, n = count, full = n / 16
        words.withUnsafeBufferPointer { w in
            for b in 0..<full {
                let g = UnsafeRawPointer(pg + b &* 16).loadUnaligned(as: SIMD16<Float>.self)
                let kept = (SIMD16<UInt32>(repeating: UInt32(w[b])) & ReluMask.lane) .!= 0
                UnsafeMutableRawPointer(pd + b &* 16).storeBytes(
                    of: SIMD16<Float>(repeating: 0).replacing(with: g, where: kept), as: SIMD16<Float>.self)
            }
            for j in (full &* 16)..<n { pd[j] = w[full] & (1 << UInt16(j &- full &* 16)) != 0 ? pg[j] : 0 }
        }
    }

    /// Bit `j` of each 16-element block.
    private static let lane = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

    @inline(__always)
    private static func bits(_ m: SIMDMask<SIMD16<Int32>>) -> UInt16 {
        UInt16(truncatingIfNeeded: SIMD16<UInt32>(repeating: 0).replacing(with: lane, where: m).wrappedSum())
    }
}
