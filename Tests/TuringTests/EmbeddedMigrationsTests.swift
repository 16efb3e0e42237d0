import Foundation
import Testing
@testable import Turing

/// `turing-migrate` carries its migrations inside the binary (Sources/Turing/EmbeddedMigrations.swift, generated
/// by scripts/embed-migrations); they must be exactly the files in migrations/.
@Suite("Embedded migrations")
struct EmbeddedMigrationsTests {
    static let hint = "the migrations built into turing-migrate differ from migrations/: run scripts/embed-migrations"

    static let migrationsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations").path

    @Test("EmbeddedMigrations.files equal the files in migrations/, byte for byte")
    func embeddedEqualFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.migrationsFolder)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!names.isEmpty, "no .sql files in \(Self.migrationsFolder)")
        let embedded = Dictionary(EmbeddedMigrations.files.map { ($0.fileName, $0.contents) }, uniquingKeysWith: { first, _ in first })
        #expect(EmbeddedMigrations.files.count == embedded.count, "a file is embedded twice; \(Self.hint)")
        #expect(embedded.keys.sorted() == names, "file names differ; \(Self.hint)")
        for name in names {
            let onDisk = try #require(FileManager.default.contents(atPath: Self.migrationsFolder + "/" + name))
            let inBinary = Data((embedded[name] ?? "").utf8)
            #expect(inBinary == onDisk, "\(name) differs (\(inBinary.count) bytes embedded, \(onDisk.count) on disk); \(Self.hint)")
        }
    }
}
