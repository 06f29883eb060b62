/// The global batch schedule: the same on every rank, independent of the rank count.
public struct Batches {
    public let sampleCount: Int
    public let batchSize: Int
    public let order: [Int]

    /// Epoch `epoch`'s order: a permutation keyed by (seed, epoch) when shuffling, else 0..<n.
    public init(sampleCount: Int, batchSize: Int, shuffle: Bool, seed: UInt64, epoch: Int) {
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        order =
            shuffle
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

    /// This rank's part of global batch `k`: its sample indices and where they sit in the global batch.
    public func shard(_ k: Int, rank: Int, size: Int) -> Shard {
        let global = batch(k)
        let mine = Batches.shard(global.count, rank: rank, size: size)
        return Shard(
            global: global.count, positions: mine,
            samples: global[(global.startIndex + mine.lowerBound)..<(global.startIndex + mine.upperBound)])
    }

    /// One rank's rows of one global batch.
    public struct Shard {
        /// Rows in the global batch (every rank's).
        public let global: Int
        /// This rank's rows as positions within the global batch (`firstRow` keys dropout masks per sample).
        public let positions: Range<Int>
        /// This rank's sample indices (what it reads).
        public let samples: ArraySlice<Int>
        public var firstRow: Int { positions.lowerBound }
        public var isEmpty: Bool { samples.isEmpty }
    }
}
