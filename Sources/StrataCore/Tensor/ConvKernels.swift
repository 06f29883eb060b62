import CBLAS

/// Direct convolution kernels (Sources/CBLAS/conv_kernels.h) for stride-1, undilated convolutions: register tiles
/// that read the channels-last input in place, with no im2col copy and no GEMM packing (on the guide's convnets
/// im2col, col2im and OpenBLAS's packing were a third of a training step). `Convolution` uses them when the CPU has
/// AVX-512F or AVX2 + FMA and the channel counts fit the vector width, and im2col + GEMM otherwise.
enum ConvKernels {
    /// Lanes of the widest kernels this CPU runs: 16 (AVX-512F), 8 (AVX2 + FMA) or 0 (none).
    static let cpuLanes = Int(strata_conv_vector_width())

    /// The widest supported lanes, at most `limit`, that divide `channels` (0 when none: the caller uses GEMM).
    static func lanes(for channels: Int, limit: Int) -> Int {
        let cap = min(limit, cpuLanes)
        if cap >= 16 && channels % 16 == 0 { return 16 }
        if cap >= 8 && channels % 8 == 0 { return 8 }
        return 0
    }

    /// Floats of scratch the kernels need for geometry `g` (a few zero-padded input rows).
    static func scratchCount(_ g: WindowGeometry, filters: Int) -> Int {
        let h = g.height, w = g.width
        let forward = (w.output + w.window - 1) * g.channels
        let inputGradient = (w.input + w.window - 1) * filters
        return h.window * max(forward, inputGradient)
    }

    /// `y = bias + conv(x, kernel)` (then relu when asked), written over `y` (`(batch, oh, ow, filters)`).
    static func forward(_ x: Tensor, _ g: WindowGeometry, kernel: Tensor, filters: Int, bias: Tensor?, into y: Tensor,
                        relu: Bool, lanes: Int, scratch: Tensor) {
        let h = g.height, w = g.width
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        strata_conv_forward(lanes, x.pointer, batch, h.input, w.input, g.channels, h.padBefore, w.padBefore,
                            kernel.pointer, h.window, w.window, filters, bias?.pointer, y.pointer, h.output, w.output,
                            relu ? 1 : 0, scratch.pointer)
    }

    /// `dk += sum over positions of patch(x) outer dz` and `db += sum of dz` (when given), accumulated, with
    /// `dz = dy`, or for a relu layer (`reluY` its output) `dz = dy where reluY > 0 else 0`, written to `dz`: the
    /// activation gradient and bias sums run row by row while the row is in cache.
    static func kernelGradient(_ x: Tensor, _ g: WindowGeometry, dy: Tensor, reluY: Tensor?, dz: Tensor, filters: Int,
                               into dk: Tensor, bias db: Tensor?, lanes: Int, scratch: Tensor) {
        let h = g.height, w = g.width
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        strata_conv_kernel_gradient(lanes, x.pointer, batch, h.input, w.input, g.channels, h.padBefore, w.padBefore,
                                    dy.pointer, reluY?.pointer, dz.pointer, h.window, w.window, filters, dk.pointer,
                                    db?.pointer, h.output, w.output, scratch.pointer)
    }

    /// The input gradient, written over `dx`: the stride-1 backward pass is itself a stride-1 convolution of `dz`
    /// (padded by `window - 1 - padBefore` before) with the kernel flipped in space and transposed in channels,
    /// `flipped[kh-1-ky, kw-1-kx, f, c] = kernel[ky, kx, c, f]` (`flipped` receives it).
    static func inputGradient(_ dz: Tensor, _ g: WindowGeometry, kernel: Tensor, filters: Int, flipped: Tensor,
                              into dx: Tensor, lanes: Int, scratch: Tensor) {
        let h = g.height, w = g.width, c = g.channels
        let pk = kernel.pointer, pf = flipped.pointer
        for ky in 0..<h.window {
            for kx in 0..<w.window {
                let src = pk + (ky &* w.window &+ kx) &* c &* filters
                let dst = pf + ((h.window - 1 - ky) &* w.window &+ (w.window - 1 - kx)) &* filters &* c
                for ch in 0..<c {
                    for f in 0..<filters { dst[f &* c &+ ch] = src[ch &* filters &+ f] }
                }
            }
        }
        let batch = g.inputSize == 0 ? 0 : dx.count / g.inputSize
        strata_conv_forward(lanes, dz.pointer, batch, h.output, w.output, filters, h.window - 1 - h.padBefore,
                            w.window - 1 - w.padBefore, pf, h.window, w.window, c, nil, dx.pointer, h.input, w.input,
                            0, scratch.pointer)
    }
}
