/// Row-sparse gradients between ranks (`GradientCommunication.sparseGradients`): an `Embedding` gradient touches a
/// few rows per step (lstm_seq: at most 16 x 80 of 20000), so instead of all-reducing the whole table each rank
/// sends its touched rows as `[id, values...]`, every rank gathers all of them (Horovod's IndexedSlices
/// allgather) and adds them into zeroed rows in rank order. Each element is `((0 + g_0) + g_1) + ...` over the
/// ranks that touched it: on 2 ranks bit for bit the dense all-reduce's `g_0 + g_1`; on more, the same sum in
/// another order. When the rows of all ranks are more floats than the table (large batches, small tables) the
/// region is all-reduced dense that step instead; every rank takes the same decision from the gathered counts.
///
/// Two collectives per step, whatever the number of regions: every rank's row counts (the step's first
/// collective after backward, where a rank waits for the slower one), then the rows of each region with those
/// counts known.
final class SparseRowExchange {
    let regions: [RowSparseStep.Region]
    /// Each region's outgoing `[id, values...]` rows, reused from step to step (every scalar is written each step).
    private var outgoing = Workspace<Int>()
    /// Each region's gathered rows of all ranks, reused from step to step (grown when a step gathers more).
    private var gathered: [TensorStorage]
    /// This rank's row count of each region, and every rank's after the gather (rank-major).
    private let myCounts: Tensor
    private var allCounts = TensorStorage(count: 0)
    /// Per region and row: whether a gathered row was seen this step (all false between steps).
    private var seen: [[Bool]]
    /// One row each: the shape of the counts' gather, the same every step.
    private let oneRowEach: [Int]
    /// The rows each rank sends of the region being exchanged (rewritten per region).
    private var rowCounts: [Int]
    /// Each region's rows of the step, two sets used in turn: the set returned by one step is still held by the
    /// optimizer's row step (`RowSparseStep.stepRows`, its dirty rows) during the next exchange, so that exchange
    /// writes the other set, whose arrays nobody shares any more, in place (no copy, no allocation once grown).
    private var rowLists: [[[Int]]]
    private var turn = 0

    init?(layers: [Layer], comm: Communicator, options: GradientCommunication) {
        guard comm.size > 1, options.sparseGradients else { return nil }
        // Ids and counts travel as floats: exact below 2^24 rows.
        let found = RowSparseStep.regions(of: layers).filter { $0.rows < 1 << 24 }
        guard !found.isEmpty else { return nil }
        regions = found
        gathered = found.map { _ in TensorStorage(count: 0) }
        myCounts = Tensor(zeros: [1, found.count])
        seen = found.map { [Bool](repeating: false, count: $0.rows) }
        oneRowEach = Array(repeating: 1, count: comm.size)
        rowCounts = Array(repeating: 0, count: comm.size)
        rowLists = Array(repeating: found.map { _ in [] }, count: 2)
    }

    /// The scalars of the step buffer that do not travel in the dense buckets.
    var excluded: [Range<Int>] { regions.map { $0.offset..<($0.offset + $0.rows * $0.width) } }

    /// Sums every region of `gradients` over the ranks. `active`: this rank ran backward this step (else it has no
    /// rows). Returns each region's rows that may be non-zero now (every rank's touched rows, ascending), or nil
    /// when a region went dense (any row may be non-zero). The lists live in the exchange's storage: the step after
    /// next rewrites them in place (no new arrays per step once the storage has grown).
    func exchange(_ gradients: Tensor, comm: Communicator, active: Bool, timer: LayerTimer? = nil) throws -> [[Int]]? {
        var mark = timer == nil ? 0 : LayerTimer.now()
        for (k, r) in regions.enumerated() { myCounts[flat: k] = active ? Float(r.layer.touchedRows.count) : 0 }
        let counts = try comm.allGatherRows(myCounts, rowCounts: oneRowEach, reusing: &allCounts)
        timer?.add(.rowWait, since: mark)
        mark = timer == nil ? 0 : LayerTimer.now()
        defer { timer?.add(.rowExchange, since: mark) }
        turn ^= 1
        var dense = false
        for (k, r) in regions.enumerated() {
            let table = gradients.rows(r.offset..<(r.offset + r.rows * r.width))
            for q in 0..<comm.size { rowCounts[q] = Int(counts[flat: q * regions.count + k]) }
            if rowCounts.reduce(0, +) * (r.width + 1) >= r.rows * r.width {
                try comm.allReduceSum(table)
                dense = true
                continue
            }
            let mine = active ? r.layer.touchedRows : []
            let local = outgoing.buffer(k, [mine.count, r.width + 1])
            for (i, row) in mine.enumerated() {
                local[flat: i * (r.width + 1)] = Float(row)
                Kernels.copy(table, offset: row * r.width, into: local, offset: i * (r.width + 1) + 1, count: r.width)
            }
            let all = try comm.allGatherRows(local, rowCounts: rowCounts, reusing: &gathered[k])
            Kernels.zeroRows(table, rows: mine, offset: 0, width: r.width)
            rowLists[turn][k].removeAll(keepingCapacity: true)
            seen[k].withUnsafeMutableBufferPointer { seen in
                for i in 0..<(all.shape.first ?? 0) {
                    let row = Int(all[flat: i * (r.width + 1)])
                    if !seen[row] {
                        seen[row] = true
                        rowLists[turn][k].append(row)
                    }
                    Kernels.add(all, offset: i * (r.width + 1) + 1, into: table, offset: row * r.width, count: r.width)
                }
                for row in rowLists[turn][k] { seen[row] = false }
            }
            rowLists[turn][k].sort()
        }
        return dense ? nil : rowLists[turn]
    }
}
