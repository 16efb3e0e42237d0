import Testing
@testable import TuringCore

@Suite("MigrationVersion")
struct MigrationVersionTests {
    @Test("088, 88 and 0088 are the same version", arguments: ["088", "88", "0088", "00000000000000000000088"])
    func parsesPaddedAndUnpadded(text: String) throws {
        let version = try #require(MigrationVersion(text))
        #expect(version.number == 88)
        #expect(version == MigrationVersion("88"))
    }

    @Test("anything but digits above zero is rejected", arguments: ["", "0", "000", "abc", "8a", "+88", "-1", " 88", "88 ", "٣", "99999999999999999999999"])
    func rejectsInvalidText(text: String) {
        #expect(MigrationVersion(text) == nil)
    }

    @Test("0 is accepted only when asked for, as the version before all migrations")
    func zeroWhenAllowed() {
        #expect(MigrationVersion("0", allowingZero: true) == .zero)
        #expect(MigrationVersion("000", allowingZero: true)?.number == 0)
        #expect(MigrationVersion("0", allowingZero: false) == nil)
        #expect(MigrationVersion(number: 0) == nil)
    }

    @Test("description pads to three digits and keeps longer numbers")
    func description() {
        #expect(MigrationVersion("88")!.description == "088")
        #expect(MigrationVersion("7")!.description == "007")
        #expect(MigrationVersion("1234")!.description == "1234")
        #expect(MigrationVersion.zero.description == "000")
    }

    @Test("versions compare as numbers, not as text")
    func numericOrdering() {
        let versions = ["100", "9", "088", "10"].compactMap(MigrationVersion.init)
        #expect(versions.sorted().map(\.number) == [9, 10, 88, 100])
        #expect(MigrationVersion("9")! < MigrationVersion("10")!)
    }
}
