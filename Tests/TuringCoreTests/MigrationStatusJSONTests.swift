import Foundation
import Testing
@testable import TuringCore

@Suite("MigrationStatus JSON")
struct MigrationStatusJSONTests {
    @Test("status --json has version, name, state and applied_at")
    func encodesSnakeCase() throws {
        let statuses = [
            MigrationStatus(version: MigrationVersion("87")!, name: "baseline", state: .applied, appliedAt: Date(timeIntervalSince1970: 0), durationSeconds: 1.5),
            MigrationStatus(version: MigrationVersion("88")!, name: "parallel", state: .pending, appliedAt: nil, durationSeconds: nil),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(statuses), as: UTF8.self)
        #expect(json == #"[{"applied_at":"1970-01-01T00:00:00Z","duration_seconds":1.5,"name":"baseline","state":"applied","version":"087"},"#
            + #"{"applied_at":null,"duration_seconds":null,"name":"parallel","state":"pending","version":"088"}]"#)
    }
}
