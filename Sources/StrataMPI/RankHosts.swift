import Foundation

/// Which host each rank of the job runs on, gathered once when MPI starts, so that messages about a stalled or
/// failed job can name the hosts involved (on a cluster, the node that died or was cut off).
public struct RankHosts: Sendable, Equatable {
    /// The host of each rank, by rank.
    public let hosts: [String]

    public init(_ hosts: [String]) { self.hosts = hosts }

    /// This machine's name as its kernel knows it (the UTS namespace's, so an emulated node reports its own),
    /// without a DNS lookup.
    public static var local: String {
        let name = (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return name.flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
    }

    /// "rank 0 of 2 on node1".
    public func place(of rank: Int) -> String {
        "rank \(rank) of \(hosts.count) on \(host(rank))"
    }

    /// How many distinct hosts the ranks run on.
    public var distinctCount: Int { Set(hosts).count }

    func host(_ rank: Int) -> String { hosts.indices.contains(rank) ? hosts[rank] : "?" }

    /// The ranks `rank` waits for in a collective, as a message names them: the other rank and its host with two
    /// ranks; otherwise the other hosts (at most `limit`) with their ranks, e.g. "one of ranks 1-3 (on n2: 1,
    /// on n3: 2-3)".
    public func others(than rank: Int, limit: Int = 4) -> String {
        let peers = hosts.indices.filter { $0 != rank }
        if peers.count == 1 { return "rank \(peers[0]) on \(host(peers[0]))" }
        var order: [String] = []
        var byHost: [String: [Int]] = [:]
        for r in peers {
            if byHost[hosts[r]] == nil { order.append(hosts[r]) }
            byHost[hosts[r], default: []].append(r)
        }
        var parts = order.prefix(limit).map { "on \($0): \(RankHosts.ranges(byHost[$0]!))" }
        if order.count > limit { parts.append("and \(order.count - limit) more host(s)") }
        return "one of ranks \(RankHosts.ranges(peers)) (\(parts.joined(separator: ", ")))"
    }

    /// Sorted ranks as ranges: [1, 2, 3, 5] -> "1-3, 5".
    static func ranges(_ ranks: [Int]) -> String {
        var out: [String] = []
        var i = 0
        while i < ranks.count {
            var j = i
            while j + 1 < ranks.count && ranks[j + 1] == ranks[j] + 1 { j += 1 }
            out.append(i == j ? "\(ranks[i])" : "\(ranks[i])-\(ranks[j])")
            i = j + 1
        }
        return out.joined(separator: ", ")
    }
}

extension MPICommunicator {
    /// The distinct hosts of the job's ranks (gathered at start): 1 when every rank shares this machine.
    public var hostCount: Int { hosts.distinctCount }
}
