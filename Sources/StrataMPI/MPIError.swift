import Foundation

/// A failed MPI call, with MPI's own explanation (`MPI_Error_string`) and the rank it happened on.
///
/// The world communicator uses `MPI_ERRORS_RETURN`, so a failing call returns here instead of aborting the job
/// silently; the trainer then ends every rank with this message.
public struct MPIError: LocalizedError, Equatable, Sendable {
    /// The MPI function that failed (`MPI_Allreduce`, `MPI_Bcast`, ...).
    public let call: String
    /// MPI's return code.
    public let code: Int32
    /// `MPI_Error_string` of the code, or our explanation when the failure is ours (e.g. a size limit).
    public let message: String
    /// This process's rank in the world communicator (-1 before it is known).
    public let rank: Int

    public init(call: String, code: Int32, message: String, rank: Int) {
        self.call = call
        self.code = code
        self.message = message
        self.rank = rank
    }

    public var errorDescription: String? {
        "rank \(rank): \(call) failed: \(message) (MPI error code \(code)). Check that every rank runs the same program with the same data; rerun with launch/run to see every rank's output"
    }
}
