import Foundation
import XCTest

@testable import StrataCore

final class ThreadPoolTests: XCTestCase {
    /// Threads of this process now (Linux: one entry per thread in /proc/self/task).
    private func processThreads() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    /// Each part runs exactly once, part 0 on the calling thread and every other part on a thread of its own.
    func testEveryPartRunsOnceOnAThreadOfItsOwn() {
        let pool = ThreadPool(threads: 3)
        let caller = pthread_self()
        for parts in [1, 2, 3] {
            let seen = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: parts)
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
            counts.initialize(repeating: 0)
            defer { seen.deallocate(); counts.deallocate() }
            pool.run(parts) { i in
                seen[i] = pthread_self()
                counts[i] += 1
            }
            XCTAssertEqual(Array(counts), Array(repeating: 1, count: parts), "\(parts) parts")
            XCTAssertTrue(pthread_equal(seen[0], caller) != 0, "part 0 runs on the caller")
            for i in 0..<parts {
                for j in 0..<i { XCTAssertTrue(pthread_equal(seen[i], seen[j]) == 0, "parts \(j) and \(i) share a thread") }
            }
        }
    }

    /// Thousands of back-to-back loops (the workers alternate between spinning and sleeping) each see every part
    /// once: no part lost, run twice, or left waiting.
    func testManyLoopsInARowLoseNoPart() {
        let pool = ThreadPool(threads: 2)
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
        sums.initialize(repeating: 0)
        defer { sums.deallocate() }
        for k in 0..<5000 {
            pool.run(2) { i in sums[i] += k + i }
            if k % 1000 == 999 { usleep(2000) }  // long enough for the worker to go to sleep
        }
        XCTAssertEqual(sums[0], (0..<5000).reduce(0, +))
        XCTAssertEqual(sums[1], (0..<5000).reduce(0, +) + 5000)
    }

    /// `split` hands out the contiguous ranges `Batches.shard` gives ranks, at most one part per item.
    func testSplitGivesTheShardRanges() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 7, 10] {
            var ranges = [Range<Int>](repeating: 0..<0, count: 3)
            let parts = pool.parts(count)
            XCTAssertEqual(parts, max(1, min(3, count)))
            ranges.withUnsafeMutableBufferPointer { r in
                pool.split(count) { i, range in r[i] = range }
            }
            XCTAssertEqual(Array(ranges.prefix(parts)), (0..<parts).map { Batches.shard(count, rank: $0, size: parts) })
        }
        XCTAssertEqual(pool.parts(1000, grain: 400), 2)
        XCTAssertEqual(pool.parts(1000, grain: 100), 3)
        XCTAssertEqual(pool.parts(100, grain: 400), 1)
    }

    /// `chunks` runs every chunk exactly once with the range `Batches.shard` gives it, on a slot below the thread
    /// count, for chunk counts below, at and above the thread count (and more chunks than items), loop after loop
    /// with the workers sometimes asleep and `run` loops (whose parts every worker must run) in between, so a worker
    /// late for a `chunks` loop the caller finished alone still runs the next `run` part once; `chunkCount` follows
    /// its grain and per-thread rule.
    func testChunksRunEveryChunkOnceWithItsShardRange() {
        let pool = ThreadPool(threads: 3)
        let parts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        parts.initialize(repeating: 0)
        defer { parts.deallocate() }
        var loops = 0
        for round in 0..<200 {
            for (count, chunks) in [(0, 1), (1, 1), (7, 3), (10, 12), (100, 12), (5, 2), (1000, 7)] {
                let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
                let ranges = UnsafeMutableBufferPointer<Range<Int>>.allocate(capacity: chunks)
                let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
                runs.initialize(repeating: 0)
                ranges.initialize(repeating: 0..<0)
                slots.initialize(repeating: -1)
                defer { runs.deallocate(); ranges.deallocate(); slots.deallocate() }
                pool.chunks(count, chunks: chunks) { c, slot, r in
                    runs[c] += 1
                    ranges[c] = r
                    slots[c] = slot
                }
                XCTAssertEqual(Array(runs), Array(repeating: 1, count: chunks), "round \(round): \(count) in \(chunks)")
                XCTAssertEqual(Array(ranges), (0..<chunks).map { Batches.shard(count, rank: $0, size: chunks) })
                XCTAssertTrue(slots.allSatisfy { (0..<3).contains($0) }, "slots \(Array(slots))")
                if chunks % 2 == 0 {
                    pool.run(3) { i in parts[i] += 1 }
                    loops += 1
                }
            }
            XCTAssertEqual(Array(parts), Array(repeating: loops, count: 3), "round \(round): every run part once")
            if round % 50 == 49 { usleep(2000) }  // long enough for the workers to go to sleep
        }
        XCTAssertEqual(pool.chunkCount(1000), 3 * ThreadPool.chunksPerThread)
        XCTAssertEqual(pool.chunkCount(1000, grain: 400), 2)
        XCTAssertEqual(pool.chunkCount(100, grain: 400), 1)
        XCTAssertEqual(ThreadPool(threads: 1).chunkCount(1000), 1)
    }

    /// With `recordsChunks` the tally counts, per slot, exactly the chunks the body saw on that slot, with time for
    /// each slot that ran any (the bodies sleep); nothing is counted while it is off, and `resetChunkTally` zeroes it.
    func testChunkTallyCountsEachSlotsChunks() {
        let pool = ThreadPool(threads: 2)
        pool.chunks(40, chunks: 8) { _, _, _ in }
        XCTAssertEqual(pool.chunkTally.map(\.chunks), [0, 0], "off by default")
        pool.recordsChunks = true
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
        seen.initialize(repeating: 0)
        defer { seen.deallocate() }
        for _ in 0..<20 {
            pool.chunks(40, chunks: 8) { _, slot, _ in
                seen[slot] += 1
                usleep(200)
            }
        }
        let tally = pool.chunkTally
        XCTAssertEqual(tally.map(\.chunks), Array(seen), "the tally is the slots' own count")
        XCTAssertEqual(tally.map(\.chunks).reduce(0, +), 160)
        XCTAssertEqual(pool.chunkLoops, 20)
        XCTAssertTrue(tally.allSatisfy { $0.loops <= 20 && ($0.loops > 0) == ($0.chunks > 0) }, "\(tally)")
        XCTAssertGreaterThanOrEqual(tally[0].loops + tally[1].loops, 20, "every loop has a thread that ran it")
        for (slot, t) in tally.enumerated() where t.chunks > 0 {
            XCTAssertGreaterThanOrEqual(t.seconds, Double(t.chunks) * 150e-6, "slot \(slot): \(t)")
        }
        pool.chunks(1, chunks: 1) { _, _, _ in }  // one chunk: counted on the caller
        XCTAssertEqual(pool.chunkTally[0].chunks, seen[0] + 1)
        XCTAssertEqual(pool.chunkTally[0].loops, tally[0].loops + 1)
        XCTAssertEqual(pool.chunkLoops, 21)
        pool.resetChunkTally()
        XCTAssertEqual(pool.chunkTally.map(\.chunks), [0, 0])
        XCTAssertEqual(pool.chunkTally.map(\.seconds), [0, 0])
        XCTAssertEqual(pool.chunkLoops, 0)
    }

    /// Workers start at the first parallel loop (a one-thread pool, or one never used in parallel, starts none) and
    /// stop when the pool is released.
    func testWorkersStartLazilyAndStopWithThePool() throws {
        try XCTSkipUnless(processThreads() > 0, "needs /proc/self/task")
        let before = processThreads()
        do {
            let pool = ThreadPool(threads: 3)
            pool.run(1) { _ in }
            XCTAssertEqual(processThreads(), before, "no workers before a parallel loop")
            pool.run(3) { _ in }
            XCTAssertEqual(processThreads(), before + 2)
        }
        XCTAssertEqual(processThreads(), before, "the released pool joined its workers")
    }
}
