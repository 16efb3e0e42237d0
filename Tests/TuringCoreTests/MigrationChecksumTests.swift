import Testing
@testable import TuringCore

@Suite("MigrationChecksum")
struct MigrationChecksumTests {
    @Test("CRLF, CR and LF line endings give the same checksum")
    func lineEndingsNormalised() {
        let lf = MigrationChecksum.of("CREATE TABLE t (\n  a int\n);\n")
        #expect(MigrationChecksum.of("CREATE TABLE t (\r\n  a int\r\n);\r\n") == lf)
        #expect(MigrationChecksum.of("CREATE TABLE t (\r  a int\r);\r") == lf)
        #expect(MigrationChecksum.of("\u{FEFF}CREATE TABLE t (\r\n  a int\n);\r") == lf)
    }

    @Test("the checksum is the SHA-256 of the normalised text")
    func isSHA256() {
        #expect(MigrationChecksum.of("abc") == SHA256.hexDigest(Array("abc".utf8)))
        #expect(MigrationChecksum.of("a\r\nb") == SHA256.hexDigest(Array("a\nb".utf8)))
    }

    @Test("a real edit changes the checksum, even in whitespace inside a line")
    func editsChangeIt() {
        #expect(MigrationChecksum.of("SELECT 1;") != MigrationChecksum.of("SELECT 2;"))
        #expect(MigrationChecksum.of("SELECT 1;") != MigrationChecksum.of("SELECT  1;"))
        #expect(MigrationChecksum.of("a\n\nb") != MigrationChecksum.of("a\nb"))
    }
}
