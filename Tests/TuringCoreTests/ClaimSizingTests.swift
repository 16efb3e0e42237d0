import TestSupport
import Testing
@testable import TuringCore

@Suite("ClaimSizing")
struct ClaimSizingTests {
    @Test("fills free slots plus prefetch, less what is buffered")
    func fillsSlots() {
        #expect(ClaimSizing.claimCount(freeSlots: 4, buffered: 0, batchSize: 50, prefetch: 2, remainingAllowed: nil) == 6)
        #expect(ClaimSizing.claimCount(freeSlots: 4, buffered: 3, batchSize: 50, prefetch: 2, remainingAllowed: nil) == 3)
        #expect(ClaimSizing.claimCount(freeSlots: 0, buffered: 0, batchSize: 50, prefetch: 2, remainingAllowed: nil) == 2)
    }

    @Test("unstarted claims never exceed the batch size")
    func batchSizeCap() {
        #expect(ClaimSizing.claimCount(freeSlots: 100, buffered: 0, batchSize: 50, prefetch: 4, remainingAllowed: nil) == 50)
        #expect(ClaimSizing.claimCount(freeSlots: 100, buffered: 45, batchSize: 50, prefetch: 4, remainingAllowed: nil) == 5)
        #expect(ClaimSizing.claimCount(freeSlots: 8, buffered: 50, batchSize: 50, prefetch: 4, remainingAllowed: nil) == 0)
        #expect(ClaimSizing.claimCount(freeSlots: 8, buffered: 0, batchSize: 1, prefetch: 0, remainingAllowed: nil) == 1)
    }

    @Test("never more than --max-tasks still allows")
    func maxTasksCap() {
        #expect(ClaimSizing.claimCount(freeSlots: 4, buffered: 0, batchSize: 50, prefetch: 2, remainingAllowed: 3) == 3)
        #expect(ClaimSizing.claimCount(freeSlots: 4, buffered: 0, batchSize: 50, prefetch: 2, remainingAllowed: 0) == 0)
    }

    @Test("never negative, whatever the inputs")
    func neverNegative() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let count = ClaimSizing.claimCount(
                freeSlots: Int.random(in: -5...20, using: &rng), buffered: Int.random(in: -5...60, using: &rng),
                batchSize: Int.random(in: -1...50, using: &rng), prefetch: Int.random(in: -2...5, using: &rng),
                remainingAllowed: Bool.random(using: &rng) ? nil : Int.random(in: -10...10, using: &rng)
            )
            #expect(count >= 0)
        }
        #expect(ClaimSizing.claimCount(freeSlots: -3, buffered: -2, batchSize: -1, prefetch: -1, remainingAllowed: -4) == 0)
    }

    @Test("--max-tasks 7 with 4 workers: claims add up to exactly 7")
    func maxTasksScenario() {
        var finished = 0, inFlight = 0, buffered = 0, claimedTotal = 0
        let workers = 4, maxTasks = 7
        for _ in 0..<20 {
            let claim = ClaimSizing.claimCount(
                freeSlots: workers - inFlight, buffered: buffered, batchSize: 50, prefetch: 1,
                remainingAllowed: maxTasks - finished - inFlight - buffered
            )
            claimedTotal += claim
            buffered += claim
            let started = min(buffered, workers - inFlight)
            buffered -= started
            inFlight += started
            finished += inFlight
            inFlight = 0
        }
        #expect(claimedTotal == 7)
        #expect(finished == 7)
    }

    @Test("prefetch covers what the slots finish during the claim and write round trips")
    func prefetchByLittlesLaw() {
        // Unmeasured: a quarter of the slots, at least 1, within the batch.
        #expect(ClaimSizing.prefetch(workers: 16, batchSize: 50, meanTaskSeconds: nil, meanClaimSeconds: nil) == 4)
        #expect(ClaimSizing.prefetch(workers: 2, batchSize: 50, meanTaskSeconds: nil, meanClaimSeconds: 0.001) == 1)
        // 64 slots of 50 ms tasks, 1 ms claims: 2 × 64 × 0.001 / 0.05 = 2.56 → 3.
        #expect(ClaimSizing.prefetch(workers: 64, batchSize: 50, meanTaskSeconds: 0.05, meanClaimSeconds: 0.001) == 3)
        // No-op tasks: a full batch, never more; a zero-length task does not overflow.
        #expect(ClaimSizing.prefetch(workers: 64, batchSize: 50, meanTaskSeconds: 0.00001, meanClaimSeconds: 0.001) == 50)
        #expect(ClaimSizing.prefetch(workers: 64, batchSize: 50, meanTaskSeconds: 0, meanClaimSeconds: 0.001) == 50)
        // A 47 s LLM conversation: 1.
        #expect(ClaimSizing.prefetch(workers: 4, batchSize: 50, meanTaskSeconds: 47, meanClaimSeconds: 0.002) == 1)
        // Nonsense in, the unmeasured default out.
        #expect(ClaimSizing.prefetch(workers: 8, batchSize: 50, meanTaskSeconds: .nan, meanClaimSeconds: 0.001) == 2)
    }
}
