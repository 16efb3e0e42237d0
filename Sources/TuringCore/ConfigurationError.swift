/// A flag or environment variable with an unusable value: one line naming the flag and its variable (exit code 2).
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
