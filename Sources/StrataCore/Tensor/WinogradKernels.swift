import CStrataKernels
import Foundation

/// Winograd F(2x2, 3x3) convolution (Sources/CStrataKernels/include/winograd_kernels.h; Lavin and Gray 2016) for
/// `Convolution`'s stride-1, undilated 3x3 Conv2D layers: each 2x2 output tile is `Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` over
/// its 4x4 input window `d`, so the channel sums take 16 multiplies per 4 outputs where the direct kernels take 36.
/// The forward keeps the direct kernels' contract (bias, relu, the 1-bit relu mask backward reads); the input
/// gradient, a 3x3 correlation of `dZ` with the flipped kernel, runs on the same forward. The kernel gradient, a 3x3
/// correlation of `x` with `dZ`, runs as F(3x3, 2x2) (`kernelGradient`: 4x4 input tiles, 2x2 tiles of `dZ`).
///
/// Rounding: the transforms add and halve before the products, so results differ from the direct kernels' by float
/// rounding (`WinogradKernelsTests` bounds both against a Double convolution); sums run in a fixed order, so a
/// given thread count gives the same bits every run.
enum WinogradKernels {
    /// The default of `Conv2D.winograd`: on, unless the environment sets `STRATA_WINOGRAD=0` (read once per process),
    /// which lets the same binary, the CLI and every rank under `mpirun -x` run the direct kernels.
    static let enabled = ProcessInfo.processInfo.environment["STRATA_WINOGRAD"] != "0"

    /// Whether `Convolution` runs geometry `g` with `filters` filters on Winograd — a fixed rule on the shape, never a
    /// timing, so results do not depend on the machine's load: a 3x3 window at stride 1 undilated, channels and filters
    /// multiples of `lanes` and at least 16, and an output at least 8 wide. Measured on AVX2 (`launch/conv-batch
    /// --modes winograd`, forward, CPU time): 1.3-1.6x the direct kernels at 32-64 channels on the guide's layers,
    /// 1.2x at 16, but 0.6-0.8x with 8 channels or filters (the transforms then weigh as much as the products) and
    /// 0.5-0.6x on 4-6 wide outputs (a tile row of 2-3 tiles is too short a GEMM).
    static func applies(_ g: WindowGeometry, filters: Int, lanes: Int) -> Bool {
        let h = g.height, w = g.width
        guard lanes > 0, h.window == 3, w.window == 3, h.stride == 1, w.stride == 1, h.dilation == 1, w.dilation == 1
        else { return false }
        return min(g.channels, filters) >= 16 && g.channels % lanes == 0 && filters % lanes == 0 && w.output >= 8
    }

    /// Lanes for a convolution of `channels` into `filters` on this CPU (at most `limit`): both must divide by them.
    static func lanes(channels: Int, filters: Int, limit: Int) -> Int {
        min(ConvKernels.lanes(for: channels, limit: limit), ConvKernels.lanes(for: filters, limit: limit))
    }

    /// Floats of a kernel's transform (`transform`): 16 per (channel, filter).
    static func transformCount(channels: Int, filters: Int) -> Int { 16 * channels * filters }

    /// Floats of scratch per thread for the forward and the input gradient of geometry `g`.
    static func scratchCount(_ g: WindowGeometry, filters: Int) -> Int {
        let c = g.channels
        return max(strata_winograd_scratch(c, filters, g.width.output), strata_winograd_scratch(filters, c, g.width.input))
    }

    /// `u = G g Gᵀ` for every (channel, filter) of the 3x3 `kernel` (`(3, 3, channels, filters)`), written over `u`
    /// (`transformCount` floats).
    static func transform(_ kernel: Tensor, channels: Int, filters: Int, into u: Tensor) {
        strata_winograd_kernel_transform(kernel.pointer, channels, filters, u.pointer)
    }

    /// `y = bias + conv(x, kernel)` (then relu when asked, with the relu mask when `reluMask` is given), as
    /// `ConvKernels.forward`, for `transformed` = `transform(kernel)`; `scratch` holds `slots × scratchCount` floats.
    static func forward(
        _ x: Tensor, _ g: WindowGeometry, transformed u: Tensor, filters: Int, bias: Tensor?, into y: Tensor,
        relu: Bool, reluMask: Tensor? = nil, lanes: Int, scratch: Tensor, parts: Int = 1, pool: ThreadPool? = nil
    ) {
        run(
            x, input: (g.height.input, g.width.input, g.channels), pad: (g.height.padBefore, g.width.padBefore), u,
            filters: filters, bias: bias, into: y, output: (g.height.output, g.width.output), relu: relu,
            mask: reluMask, lanes: lanes, scratch: scratch, scratchCount: scratchCount(g, filters: filters), parts: parts,
            pool: pool)
    }

    /// The input gradient written over `dx`: `dz` (padded by `2 - padBefore`) correlated with the flipped kernel
    /// (`ConvKernels.flip` into `flipped`, then its transform into `transformed`).
    static func inputGradient(
        _ dz: Tensor, _ g: WindowGeometry, kernel: Tensor, filters: Int, flipped: Tensor, transformed u: Tensor,
        into dx: Tensor, lanes: Int, scratch: Tensor, parts: Int = 1, pool: ThreadPool? = nil
    ) {
        ConvKernels.flip(kernel, g, filters: filters, into: flipped)
        transform(flipped, channels: filters, filters: g.channels, into: u)
        run(
            dz, input: (g.height.output, g.width.output, filters), pad: (2 - g.height.padBefore, 2 - g.width.padBefore),
            u, filters: g.channels, bias: nil, into: dx, output: (g.height.input, g.width.input), relu: false, mask: nil,
            lanes: lanes, scratch: scratch, scratchCount: scratchCount(g, filters: filters), parts: parts, pool: pool)
    }

    /// Floats of scratch `kernelGradient` needs for geometry `g` with `filters` filters, `parts` chunks and `threads`
    /// threads: the chunks' partial gradients (`ConvKernels.partialsCount`), then one region per thread (the gathered
    /// tiles' transforms and their 16 products' sums: `strata_winograd_dw_scratch`). It lives only during the call, so
    /// it comes from the pool's scratch, which the model's layers share.
    static func kernelGradientScratchCount(_ g: WindowGeometry, filters: Int, bias: Bool, parts: Int, threads: Int) -> Int {
        let kCount = 9 &* g.channels &* filters
        return ConvKernels.partialsCount(kernel: kCount, bias: bias ? filters : 0, parts: parts)
            &+ ConvKernels.slots(parts: parts, threads: threads) &* strata_winograd_dw_scratch(g.channels, filters, g.width.output)
    }

    /// `dk += sum over positions of patch(x) outer dz` and `db += sum of dz` (when given) for a 3x3 kernel by Winograd
    /// F(3x3, 2x2): for each 2x2 tile `z` of `dz` and the 4x4 input window `d` under it, `dk += G'[(A' z A'ᵀ) ⊙ (Bᵀ d
    /// B)]G'ᵀ`, the 16 products summed over all tiles of the chunk first (GEMMs of channels x filters whose inner
    /// dimension is the tiles), then one output transform: 16 multiplies per 4 output positions where the direct kernel
    /// gradient takes 36. `dz` as `ConvKernels.kernelGradient` makes it (from the relu mask, `reluY` or `dy`; kept in
    /// `dz` unless `keepsDz` is false); chunks and partials as there (fixed chunk order: the same bits every run at a
    /// given thread count); `scratch` holds `kernelGradientScratchCount` floats.
    static func kernelGradient(
        _ x: Tensor, _ g: WindowGeometry, dy: Tensor, reluY: Tensor?, reluMask: Tensor? = nil, dz: Tensor,
        keepsDz: Bool = true, filters: Int, into dk: Tensor, bias db: Tensor?, lanes: Int, scratch: Tensor,
        parts: Int = 1, pool: ThreadPool? = nil
    ) {
        let h = g.height, w = g.width, c = g.channels
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        let px = x.pointer, pdy = dy.pointer, pr = reluY?.pointer, pdz = dz.pointer
        let xSize = g.inputSize, ySize = g.outputPositions &* filters
        let partials = ConvKernels.partialsCount(kernel: dk.count, bias: db?.count ?? 0, parts: parts)
        let slotSize = strata_winograd_dw_scratch(c, filters, w.output), ps = scratch.pointer + partials
        let pm = ConvKernels.maskBytes(reluMask).map { UnsafePointer($0) }
        ConvKernels.sumInChunks(batch: batch, into: dk, bias: db, partials: scratch.pointer, parts: parts, pool: pool) {
            pk, pb, slot, s in
            let o = s.lowerBound &* ySize
            strata_winograd_kernel_gradient(
                lanes, px + s.lowerBound &* xSize, s.count, h.input, w.input, c, h.padBefore, w.padBefore, pdy + o,
                pr.map { $0 + o }, pm.map { $0 + o / 8 }, keepsDz ? pdz + o : nil, keepsDz ? 0 : 1, filters, pk, pb,
                h.output, w.output, ps + slot &* slotSize)
        }
    }

    /// The forward kernel over the batch's sample chunks (`ConvKernels.split`), each thread on its slot's scratch.
    private static func run(
        _ x: Tensor, input: (h: Int, w: Int, c: Int), pad: (top: Int, left: Int), _ u: Tensor, filters: Int,
        bias: Tensor?, into y: Tensor, output: (h: Int, w: Int), relu: Bool, mask: Tensor?, lanes: Int, scratch: Tensor,
        scratchCount: Int, parts: Int, pool: ThreadPool?
    ) {
        let xSize = input.h &* input.w &* input.c, ySize = output.h &* output.w &* filters
        let batch = xSize == 0 ? 0 : x.count / xSize
        let px = x.pointer, pu = u.pointer, pb = bias?.pointer, py = y.pointer, ps = scratch.pointer
        let pm = ConvKernels.maskBytes(mask)
        ConvKernels.split(batch: batch, parts: parts, pool: pool) { i, s in
            strata_winograd_forward(
                lanes, px + s.lowerBound &* xSize, s.count, input.h, input.w, input.c, pad.top, pad.left, pu, filters,
                pb, py + s.lowerBound &* ySize, output.h, output.w, relu ? 1 : 0,
                pm.map { $0 + s.lowerBound &* ySize / 8 }, ps + i &* scratchCount)
        }
    }
}
