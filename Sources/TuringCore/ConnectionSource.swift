/// Where the database connection settings come from: `--database-url` > `DATABASE_URL` > libpq's `PG*` variables and defaults.
public enum ConnectionSource: Sendable, Equatable {
    /// `--database-url` (a URL or `key=value` conninfo).
    case argument(String)
    /// The `DATABASE_URL` environment variable.
    case environment(String)
    /// Nothing given: libpq reads `PGHOST`, `PGDATABASE`, `PGPASSFILE`… and its defaults, exactly as psql does.
    case libpqDefaults

    /// Applies the precedence; an empty or blank argument or `DATABASE_URL` counts as not given.
    public static func resolve(argument: String?, environment: [String: String]) -> ConnectionSource {
        if let argument, !argument.allSatisfy(\.isWhitespace) { return .argument(argument) }
        if let url = environment["DATABASE_URL"], !url.allSatisfy(\.isWhitespace) { return .environment(url) }
        return .libpqDefaults
    }

    /// The string to hand to libpq; nil for `libpqDefaults` (connect with an empty conninfo).
    public var connectionString: String? {
        switch self {
        case .argument(let text), .environment(let text): text
        case .libpqDefaults: nil
        }
    }

    /// Where the settings came from, for messages: "--database-url", "DATABASE_URL" or "libpq defaults (PG* variables)".
    public var origin: String {
        switch self {
        case .argument: "--database-url"
        case .environment: "DATABASE_URL"
        case .libpqDefaults: "libpq defaults (PG* variables)"
        }
    }

    /// Safe to print: the origin and the connection string with any password hidden.
    public var redactedDescription: String {
        guard let connectionString else { return origin }
        return "\(origin) \(SecretRedaction.redact(connectionString))"
    }
}
