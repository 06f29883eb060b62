import Dispatch
import Foundation
import Strata

/// The `collectives` mode: the all-reduce time of each message size on this job's ranks and links, for the cost
/// model (launch/cost_model.py fits latency and bandwidth on these). After a barrier, every rank times
/// `allReduceSum` (what training's buckets call); a call's time is the slowest rank's; the median over `repeats`.
/// Rank 0 prints one `COLLECTIVE {json}` line per size: link (the caller's label), ranks, bytes, op, seconds.
func collectivesCheck(_ comm: Communicator, link: String, sizes: [Int], repeats: Int = 15) throws {
    for bytes in sizes {
        let buffer = Tensor(zeros: [max(1, bytes / 4)], repeating: 1)
        var times: [Double] = []
        try comm.allReduceSum(buffer)  // warm-up: connections, registration
        for _ in 0..<repeats {
            try comm.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try comm.allReduceSum(buffer)
            var mine = [Double](repeating: 0, count: comm.size)
            mine[comm.rank] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try comm.allReduceSum(&mine)
            times.append(mine.max()!)
        }
        let median = times.sorted()[times.count / 2]
        if comm.rank == 0 {
            let json: [String: Any] = ["link": link, "ranks": comm.size, "bytes": buffer.count * 4, "op": "allreduce", "seconds": median]
            let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
            print("COLLECTIVE " + text)
        }
    }
}
