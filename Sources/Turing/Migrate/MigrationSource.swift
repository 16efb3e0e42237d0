import Foundation
import TuringCore

/// Where migrations come from: the copies built into the binary, or a folder given with `--dir`.
public enum MigrationSource {
    /// Loads and checks the migrations; a folder that does not exist or cannot be read is a configuration error.
    public static func load(directory: String?) throws -> [Migration] {
        guard let directory else { return try MigrationCatalog.load(EmbeddedMigrations.files) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError(message: "--dir \(directory): no such directory; give the folder that holds the NNN_name.up.sql files")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let files = try names.filter { $0.hasSuffix(".sql") }.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(message: "\(path): cannot be read")
            }
            return MigrationSourceFile(fileName: name, contents: String(decoding: data, as: UTF8.self))
        }
        return try MigrationCatalog.load(files)
    }
}
