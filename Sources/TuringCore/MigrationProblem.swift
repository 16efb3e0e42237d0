/// Something that makes `up` refuse and `validate` fail.
public enum MigrationProblem: Sendable, Hashable, CustomStringConvertible {
    /// An applied migration whose up file changed since.
    case modified(version: MigrationVersion, fileName: String)
    /// An applied migration whose files are gone.
    case missing(version: MigrationVersion, name: String)
    /// A pending migration numbered below one that is already applied.
    case pendingBelowApplied(version: MigrationVersion, fileName: String, newestApplied: MigrationVersion)

    public var version: MigrationVersion {
        switch self {
        case .modified(let version, _), .missing(let version, _), .pendingBelowApplied(let version, _, _): version
        }
    }

    public var description: String {
        switch self {
        case .modified(_, let fileName):
            "\(fileName) was changed after it was applied; restore the applied text (see git history), or revert it with `down` before editing"
        case .missing(let version, let name):
            "\(version)_\(name).up.sql was applied but is missing; restore the file from version control"
        case .pendingBelowApplied(_, let fileName, let newestApplied):
            "\(fileName) is pending but the newer \(newestApplied) is already applied; renumber it above \(newestApplied)"
        }
    }
}
