/// The number format dense gradients travel in between ranks (`GradientCommunication.compression`,
/// `run.communication.compression`): Horovod's `Compression.fp16`, PyTorch DDP's `fp16_compress_hook` and
/// `bf16_compress_hook`. Off by default.
///
/// With `fp16` or `bf16`, each dense gradient bucket (overlapped buckets and the one buffer alike) is rounded to the
/// 16-bit format (round to nearest even), all-reduced as 16-bit values whose every addition widens to float, adds
/// and rounds back (Horovod's CPU float16 sum), and widened back into the step buffer: half the bytes on the wire,
/// and every rank ends with the same bits. The step's loss and metric sums and stop flag, and `Embedding` rows
/// (`SparseRowExchange`), always travel as float. ZeRO-1 (`GradientCommunication.shardOptimizer`) is refused with
/// it (`GradientCommunication.validate()`).
///
/// - `fp16`: IEEE half, 11 significant bits (relative rounding 2^-11 = 4.9e-4), range 6.1e-5 (normal; subnormals down
///   to 6e-8) to 65504. A gradient below 3e-8 in magnitude becomes 0, a summed gradient above 65504 becomes inf, which
///   then makes the weights and the loss inf or NaN: `TerminateOnNaN` ends such a run at the step it happens.
///   Scale the loss down (or use `bf16`) when gradients are that large.
/// - `bf16`: bfloat16, float's range with 8 significant bits (relative rounding 2^-8 = 3.9e-3): nothing overflows
///   that would not overflow in float, at four times fp16's rounding error.
///
/// One process: nothing travels, so nothing is rounded, and 1 rank and N ranks then differ by the rounding (about
/// the format's epsilon times the gradient per step). `none` keeps the float all-reduce and so today's results:
/// bit for bit on 2 ranks, to float summation order on more.
public enum GradientCompression: String, CaseIterable, Equatable, Sendable {
    case none, fp16, bf16
}

extension Communicator {
    /// Communicators without compression (one process, test doubles): `none` or one rank, where nothing travels,
    /// is the float all-reduce; a compressed format on several ranks is an error, never float silently.
    public func startAllReduceSum(
        _ buffer: Tensor, compression: GradientCompression, staging: Tensor, background: Bool
    ) throws -> PendingReduction {
        guard compression == .none || size == 1 else {
            throw StrataError.invalidArgument(
                "\(type(of: self)) cannot send gradients compressed (communication.compression: \(compression.rawValue))",
                hint: "use communication.compression: none, or MPICommunicator")
        }
        return try startAllReduceSum(buffer, background: background)
    }
}
