import CMPI
import StrataCore

/// One bucket's compressed all-reduce (`GradientCompression`) in flight: the 16-bit sums land in the staging
/// floats, and are widened back into the bucket's floats on the compute thread once the reduction is seen complete
/// (`test` true, or `wait`), exactly once.
final class CompressedReduction: PendingReduction {
    let inner: PendingReduction
    let buffer: Tensor
    let staging: Tensor
    let format: GradientCompression
    let lanes: Int
    private var widened = false

    init(_ inner: PendingReduction, buffer: Tensor, staging: Tensor, format: GradientCompression, lanes: Int) {
        self.inner = inner
        self.buffer = buffer
        self.staging = staging
        self.format = format
        self.lanes = lanes
    }

    func test() throws -> Bool {
        guard try inner.test() else { return false }
        widen()
        return true
    }

    func wait() throws {
        try inner.wait()
        widen()
    }

    private func widen() {
        guard !widened else { return }
        widened = true
        CompressedReduction.widen(staging.pointer, into: buffer.pointer, count: buffer.count, format, lanes: lanes)
    }

    /// The kernels' vector width on this CPU (16: AVX-512, else 0: scalar).
    static let lanesAvailable = Int(cmpi_vector_width())

    /// The kernels (compress_kernels.h, through CMPI): `lanes` >= 16 the AVX-512 loops, else the scalar ones.
    static func round(
        _ values: UnsafePointer<Float>, into halves: UnsafeMutableRawPointer, count: Int, _ format: GradientCompression, lanes: Int
    ) {
        cmpi_round16(values, halves, count, format == .bf16 ? 1 : 0, lanes)
    }

    static func widen(
        _ halves: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>, count: Int, _ format: GradientCompression, lanes: Int
    ) {
        cmpi_widen16(halves, values, count, format == .bf16 ? 1 : 0, lanes)
    }

    /// `sums[i] = round(widen(addends[i]) + widen(sums[i]))`: the body of the MPI_Op the all-reduce sums with.
    static func sum(_ addends: UnsafeRawPointer, into sums: UnsafeMutableRawPointer, count: Int, _ format: GradientCompression, lanes: Int)
    {
        cmpi_sum16(addends, sums, count, format == .bf16 ? 1 : 0, lanes)
    }
}
