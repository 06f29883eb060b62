/// The global batch schedule: the same on every rank, independent of the rank count.
public struct Batches {
    public let sampleCount: Int
    public let batchSize: Int
    public let order: [Int]

    /// Epoch `epoch`'s order: a permutation keyed by (seed, epoch) when shuffling, else 0..<n.
    public init(sampleCount: Int, batchSize: Int, shuffle: Bool, seed: UInt64, epoch: Int) {
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        order = shuffle
            ? CounterRandom(seed: seed, stream: 0x5348_5546).derived(UInt64(epoch)).permutation(sampleCount)  // "SHUF"
            : Array(0..<sampleCount)
    }

    /// Number of global batches (`ceil(n / batchSize)`).
    public var count: Int { (sampleCount + batchSize - 1) / batchSize }

    /// The global batch `k`: its sample indices.
    public func batch(_ k: Int) -> ArraySlice<Int> {
        order[(k * batchSize)..<min((k + 1) * batchSize, sampleCount)]
    }

    /// Rank `rank` of `size` takes rows `[r*n/p, (r+1)*n/p)` of a global batch of `n` rows.
    public static func shard(_ n: Int, rank: Int, size: Int) -> Range<Int> {
        (rank * n / size)..<((rank + 1) * n / size)
    }
}
