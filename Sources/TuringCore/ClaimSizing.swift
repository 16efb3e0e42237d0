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

    /// Claims to keep ready beyond the free slots, by Little's law: what the slots finish during a claim round
    /// trip (doubled, for the loop's other round trip, the result write), so that a freed slot finds its next task
    /// in the buffer instead of waiting. At least 1, at most `batchSize`. Before both means are measured: a quarter
    /// of the slots. Short tasks get full batches; long ones (an LLM conversation) a prefetch of 1, which keeps
    /// sharing between processes fair.
    public static func prefetch(workers: Int, batchSize: Int, meanTaskSeconds: Double?, meanClaimSeconds: Double?) -> Int {
        let cap = max(1, batchSize)
        guard let task = meanTaskSeconds, let claim = meanClaimSeconds, task.isFinite, claim.isFinite, task >= 0, claim >= 0
        else { return min(cap, max(1, workers / 4)) }
        let finishedDuringTwoRoundTrips = 2 * Double(max(workers, 1)) * claim / max(task, 1e-6)
        return Int(min(Double(cap), max(1, finishedDuringTwoRoundTrips.rounded(.up))))
    }
}
