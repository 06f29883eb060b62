/// Copies that only rearrange scalars: Keras `RepeatVector` and `Permute` and their gradients.
extension Kernels {
    /// `y[n, k, :] = x[n, :]` for `k < times` (`x` `(N, width)`, `y` `(N, times, width)`); with `accumulate`, the
    /// gradient instead: `x[n, :] = sum_k y[n, k, :]`.
    public static func repeatRows(_ x: Tensor, rows: Int, width: Int, times: Int, _ y: Tensor, accumulate: Bool) {
        precondition(x.count == rows * width && y.count == rows * times * width, "repeatRows sizes")
        let px = x.pointer, py = y.pointer
        for n in 0..<rows {
            let xr = px + n &* width
            if accumulate { xr.update(repeating: 0, count: width) }
            for k in 0..<times {
                let yr = py + (n &* times &+ k) &* width
                if accumulate {
                    for j in 0..<width { xr[j] += yr[j] }
                } else {
                    yr.update(from: xr, count: width)
                }
            }
        }
    }

    /// `y = transpose(x, (0,) + dims)` for `x` of shape `(N,) + shape` (`dims` 0-based over the sample axes):
    /// output axis `i` is input axis `dims[i]`.
    public static func permute(_ x: Tensor, rows: Int, shape: [Int], dims: [Int], into y: Tensor) {
        let size = shape.reduce(1, *)
        precondition(x.count == rows * size && y.count == x.count && dims.count == shape.count, "permute sizes")
        // Input strides, and for each output axis the stride in the input it walks.
        var strides = [Int](repeating: 1, count: shape.count)
        for a in stride(from: shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        let outShape = dims.map { shape[$0] }
        let walk = dims.map { strides[$0] }
        let px = x.pointer, py = y.pointer
        var index = [Int](repeating: 0, count: shape.count)
        for n in 0..<rows {
            let xs = px + n &* size, ys = py + n &* size
            for i in 0..<index.count { index[i] = 0 }
            var src = 0
            for o in 0..<size {
                ys[o] = xs[src]
                // Advance the output index like an odometer, moving `src` by the matching input strides.
                var a = shape.count - 1
                while a >= 0 {
                    index[a] += 1
                    src += walk[a]
                    if index[a] < outShape[a] { break }
                    src -= walk[a] * outShape[a]
                    index[a] = 0
                    a -= 1
                }
            }
        }
    }
}
