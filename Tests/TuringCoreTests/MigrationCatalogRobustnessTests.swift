import TestSupport
import Testing
@testable import TuringCore

@Suite("MigrationCatalog: bad input")
struct MigrationCatalogRobustnessTests {
    @Test("random names and contents load or give a one-line error naming a given file")
    func randomFolders() {
        var rng = SplitMix64(seed: 7)
        let names = ["001_a.up.sql", "001_a.down.sql", "1_a.up.sql", "002_b.up.sql", "002_b.down.sql", "x.sql", "README", "003_c.down.sql", "00_z.up.sql"]
        let contents = ["", "SELECT 1;", "-- turing:no-transaction\n", "-- turing:nope\n", "\u{FEFF}--turing:no-transaction\r\n", "\r\r\r", "-- turing:"]
        for _ in 0..<500 {
            let files = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                MigrationSourceFile(fileName: names.randomElement(using: &rng)!, contents: contents.randomElement(using: &rng)!)
            }
            do {
                let migrations = try MigrationCatalog.load(files)
                #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
                #expect(Set(migrations.map(\.version)).count == migrations.count)
            } catch {
                #expect(files.map(\.fileName).contains(error.fileName))
                #expect(!error.description.contains("\n"))
            }
        }
    }
}
