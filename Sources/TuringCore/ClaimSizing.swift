/// How many tasks a worker process asks `turing.claim_tasks` for.
public enum ClaimSizing {
    /// Enough to fill the free slots plus `prefetch`, counting the claimed-but-unstarted tasks already `buffered`;
    /// never so many that unstarted claims exceed `batchSize`, never more than `remainingAllowed` (what `--max-tasks`
    /// still allows: max − finished − in flight − buffered; nil for no limit), never negative.
    public static func claimCount(freeSlots: Int, buffered: Int, batchSize: Int, prefetch: Int, remainingAllowed: Int?) -> Int {
        let buffered = max(buffered, 0)
        let wanted = max(freeSlots, 0) + max(prefetch, 0) - buffered
        let roomInBatch = max(batchSize, 0) - buffered
        let allowed = remainingAllowed.map { max($0, 0) } ?? Int.max
        return max(0, min(wanted, roomInBatch, allowed))
    }
}
