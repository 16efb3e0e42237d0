/// Why a plan cannot be made: an unknown target, problems in the history, or a file needed to revert that is gone.
public struct MigrationPlanError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What is wrong and what to do, one line.
    public let message: String
    /// The problems that made `planUp` refuse; empty for other errors.
    public let problems: [MigrationProblem]

    public init(message: String, problems: [MigrationProblem] = []) {
        self.message = message
        self.problems = problems
    }

    public var description: String { message }
}
