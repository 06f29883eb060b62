/// How many OpenBLAS threads each rank uses: by default the node's cores shared evenly among the node's ranks
/// (at least one), so p ranks never start p x cores threads that fight for the same cores.
///
/// Overrides, strongest first: the `requested` argument (`MPICommunicator.automatic(blasThreads:)`), then the
/// environment variables `STRATA_BLAS_THREADS` and `OPENBLAS_NUM_THREADS` (launch/run sets the latter with
/// `--threads`).
public struct BLASThreadPolicy: Equatable, Sendable {
    /// Threads per rank.
    public let threads: Int
    /// Where the number came from, for the start-up report.
    public let source: String

    public init(coresPerNode: Int, ranksPerNode: Int, environment: [String: String], requested: Int? = nil) {
        if let requested, requested > 0 {
            threads = requested
            source = "blasThreads argument"
        } else if let s = environment["STRATA_BLAS_THREADS"], let n = Int(s), n > 0 {
            threads = n
            source = "STRATA_BLAS_THREADS"
        } else if let s = environment["OPENBLAS_NUM_THREADS"], let n = Int(s), n > 0 {
            threads = n
            source = "OPENBLAS_NUM_THREADS"
        } else {
            threads = max(1, coresPerNode / max(1, ranksPerNode))
            source = "\(coresPerNode) cores / \(ranksPerNode) ranks on this node"
        }
    }
}
