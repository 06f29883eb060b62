import XCTest

@testable import StrataCore

/// The bucket layout, against layouts worked out by hand: reverse layer order, the sums alone first, the first
/// bucket closed at `firstBucketMB`, later ones at `bucketMB`, row-sparse regions left out, every other scalar of
/// the step buffer in exactly one bucket.
final class GradientBucketsTests: XCTestCase {
    /// MiB holding `n` floats.
    private func mb(_ n: Int) -> Double { Double(n) * 4 / 1_048_576 }

    private func layout(overlap: Bool, excluded: [Range<Int>] = []) -> [GradientBuckets.Bucket] {
        // Layers: 10 weights, none, 20, 4; then 3 sums.
        GradientBuckets(
            layerRanges: [0..<10, 0..<0, 10..<30, 30..<34], tail: 34..<37, excluded: excluded,
            options: GradientCommunication(overlap: overlap, firstBucketMB: mb(8), bucketMB: mb(16))
        ).buckets
    }

    func testOverlappedBucketsFollowBackward() {
        XCTAssertEqual(
            layout(overlap: true),
            [.init(range: 34..<37, readyAfter: 4), .init(range: 10..<34, readyAfter: 2), .init(range: 0..<10, readyAfter: 0)])
    }

    func testRowSparseRegionIsLeftOut() {
        XCTAssertEqual(
            layout(overlap: true, excluded: [12..<20]),
            [.init(range: 34..<37, readyAfter: 4), .init(range: 20..<34, readyAfter: 2), .init(range: 0..<12, readyAfter: 0)])
        XCTAssertEqual(
            layout(overlap: false, excluded: [12..<20]),
            [.init(range: 20..<37, readyAfter: 2), .init(range: 0..<12, readyAfter: 0)])
    }

    func testWithoutOverlapTheWholeStepBufferIsOneBucket() {
        XCTAssertEqual(layout(overlap: false), [.init(range: 0..<37, readyAfter: 0)])
    }

    /// A real model: every scalar of the step buffer is in exactly one bucket, and buckets start in layer order.
    func testBucketsCoverTheStepBufferOnce() {
        let m = Sequential(
            [
                Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [6, 6, 2]), MaxPooling2D(poolSize: (2, 2)),
                Flatten(), Dense(8, activation: .relu), Dense(3, activation: .softmax),
            ], seed: 1)
        m.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        try! m.build()
        let total = m.stepBufferCount
        let b = GradientBuckets(
            m, tailCount: total - m.countParams(), excluded: [], options: GradientCommunication(firstBucketMB: mb(1), bucketMB: mb(1)))
        var seen = [Int](repeating: 0, count: total)
        for bucket in b.buckets { for i in bucket.range { seen[i] += 1 } }
        XCTAssertEqual(seen, [Int](repeating: 1, count: total))
        XCTAssertEqual(b.buckets.map(\.readyAfter), [5, 4, 3, 0], "sums, then Dense 3, Dense 8, Conv2D (a layer is never split)")
        XCTAssertEqual(b.buckets.map(\.range.lowerBound), b.buckets.map(\.range.lowerBound).sorted(by: >))
    }

    /// Compressed, the sums are their own bucket in one buffer too (they always travel as float), and each gradient
    /// bucket has its own staging floats, two 16-bit values to a float, laid out one after the other; one process
    /// compresses nothing.
    func testCompressedBucketsKeepTheSumsApartWithTheirOwnStaging() {
        let layers = [0..<10, 0..<0, 10..<30, 30..<35]
        let oneBuffer = GradientBuckets(
            layerRanges: layers, tail: 35..<38, excluded: [12..<20],
            options: GradientCommunication(overlap: false, compression: .fp16))
        XCTAssertEqual(
            oneBuffer.buckets,
            [.init(range: 35..<38, readyAfter: 4), .init(range: 20..<35, readyAfter: 2), .init(range: 0..<12, readyAfter: 0)])
        XCTAssertEqual(oneBuffer.stagingOffsets, [nil, 0, 8])
        XCTAssertEqual(oneBuffer.staging?.count, 8 + 6)
        XCTAssertNil(oneBuffer.staging(of: 0))
        XCTAssertEqual(oneBuffer.staging(of: 2)?.count, 6)
        let overlapped = GradientBuckets(
            layerRanges: layers, tail: 35..<38, excluded: [],
            options: GradientCommunication(overlap: true, firstBucketMB: mb(8), bucketMB: mb(16), compression: .bf16))
        XCTAssertEqual(overlapped.stagingOffsets, [nil, 0, 13])
        let plain = GradientBuckets(layerRanges: layers, tail: 35..<38, excluded: [], options: GradientCommunication(overlap: false))
        XCTAssertEqual(plain.buckets, [.init(range: 0..<38, readyAfter: 0)])
        XCTAssertNil(plain.staging)
        let alone = GradientCommunication(compression: .bf16).resolved(size: 1, hosts: 1)
        XCTAssertEqual(alone.options.compression, .none)
        XCTAssertEqual(
            GradientCommunication(compression: .bf16).resolved(size: 2, hosts: 2).name,
            "overlapped buckets, progress thread, bf16 on the wire")
    }

    func testCompressionWithZeROIsRejected() {
        XCTAssertThrowsError(try GradientCommunication(shardOptimizer: true, compression: .fp16).validate()) { e in
            XCTAssertTrue(
                "\(e.localizedDescription)".contains(
                    "communication.compression: fp16 cannot be combined with communication.shard_optimizer: true"),
                "\(e)")
        }
        XCTAssertNoThrow(try GradientCommunication(shardOptimizer: true).validate())
    }

    func testBadSizesAreRejected() {
        XCTAssertThrowsError(try GradientCommunication(bucketMB: 0).validate()) { e in
            XCTAssertTrue("\(e.localizedDescription)".contains("bucket_mb must be a positive number of MiB"), "\(e)")
        }
    }
}
