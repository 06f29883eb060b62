/// Row-sparse gradients between ranks (`GradientCommunication.sparseGradients`): an `Embedding` gradient touches a
/// few rows per step (lstm_seq: at most 16 x 80 of 20000), so instead of all-reducing the whole table each rank
/// sends its touched rows as `[id, values...]`, every rank gathers all of them (Horovod's IndexedSlices
/// allgather) and adds them into zeroed rows in rank order. Each element is `((0 + g_0) + g_1) + ...` over the
/// ranks that touched it: on 2 ranks bit for bit the dense all-reduce's `g_0 + g_1`; on more, the same sum in
/// another order. When the rows of all ranks are more floats than the table (large batches, small tables) the
/// region is all-reduced dense that step instead; every rank takes the same decision from the summed counts.
final class SparseRowExchange {
    let regions: [RowSparseStep.Region]
    /// Each region's outgoing `[id, values...]` rows, reused from step to step (every scalar is written each step).
    private var outgoing = Workspace<Int>()
    /// Each region's gathered rows of all ranks, reused from step to step (grown when a step gathers more).
    private var gathered: [TensorStorage]

    init?(layers: [Layer], comm: Communicator, options: GradientCommunication) {
        guard comm.size > 1, options.sparseGradients else { return nil }
        // Ids travel as floats: exact below 2^24 rows.
        let found = RowSparseStep.regions(of: layers).filter { $0.rows < 1 << 24 }
        guard !found.isEmpty else { return nil }
        regions = found
        gathered = found.map { _ in TensorStorage(count: 0) }
    }

    /// The scalars of the step buffer that do not travel in the dense buckets.
    var excluded: [Range<Int>] { regions.map { $0.offset..<($0.offset + $0.rows * $0.width) } }

    /// Sums every region of `gradients` over the ranks. `active`: this rank ran backward this step (else it has no
    /// rows). Returns each region's rows that may be non-zero now (every rank's touched rows, ascending), or nil
    /// when a region went dense (any row may be non-zero).
    func exchange(_ gradients: Tensor, comm: Communicator, active: Bool) throws -> [[Int]]? {
        var counts = regions.map { active ? Double($0.layer.touchedRows.count) : 0 }
        try comm.allReduceSum(&counts)
        var union: [[Int]]? = []
        for (k, r) in regions.enumerated() {
            let table = gradients.rows(r.offset..<(r.offset + r.rows * r.width))
            if counts[k] * Double(r.width + 1) >= Double(r.rows * r.width) {
                try comm.allReduceSum(table)
                union = nil
                continue
            }
            let mine = active ? r.layer.touchedRows : []
            let local = outgoing.buffer(k, [mine.count, r.width + 1])
            for (i, row) in mine.enumerated() {
                local[flat: i * (r.width + 1)] = Float(row)
                Kernels.copy(table, offset: row * r.width, into: local, offset: i * (r.width + 1) + 1, count: r.width)
            }
            let all = try comm.allGatherRows(local, reusing: &gathered[k])
            for row in mine { table.rows((row * r.width)..<((row + 1) * r.width)).fill(0) }
            var seen = Set<Int>()
            for i in 0..<(all.shape.first ?? 0) {
                let row = Int(all[flat: i * (r.width + 1)])
                seen.insert(row)
                Kernels.add(all, offset: i * (r.width + 1) + 1, into: table, offset: row * r.width, count: r.width)
            }
            union?.append(seen.sorted())
        }
        return union
    }
}
