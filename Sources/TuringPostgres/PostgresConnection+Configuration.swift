import CLibPQ
import Foundation
import TuringCore

extension PostgresConnection {
    /// Where and as whom to connect.
    public struct Configuration: Sendable {
        /// A URL (`postgres://…`), a `key=value` conninfo string, or empty for libpq's `PG*` environment and defaults.
        public var connectionString: String
        /// Shown in `pg_stat_activity.application_name`; overrides one given in the connection string.
        public var applicationName: String
        /// Seconds to wait for a connection when neither the string nor `PGCONNECT_TIMEOUT` says.
        public var defaultConnectTimeout: Int

        public init(connectionString: String, applicationName: String, defaultConnectTimeout: Int = 10) {
            self.connectionString = connectionString
            self.applicationName = applicationName
            self.defaultConnectTimeout = defaultConnectTimeout
        }

        /// The connection string with any password replaced by `***`, safe to print.
        public var redactedConnectionString: String { SecretRedaction.redact(connectionString) }

        /// Removes every password this configuration knows of from `text` (libpq messages can echo settings).
        func scrub(_ text: String) -> String {
            var secrets = [String]()
            if let password = ConnectionParameters.password(in: connectionString) { secrets.append(password) }
            if let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty {
                secrets.append(password)
            }
            var scrubbed = SecretRedaction.redactAll(in: text, secrets: secrets)
            if !connectionString.isEmpty {
                scrubbed = scrubbed.replacingOccurrences(of: connectionString, with: redactedConnectionString)
            }
            return scrubbed.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// The keyword/value pairs handed to `PQconnectdbParams`.
struct ConnectionParameters {
    private var pairs: [(String, String)] = []

    init(_ configuration: PostgresConnection.Configuration) {
        // Later pairs override earlier ones: the timeout default comes first so the string can override it.
        if ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            pairs.append(("connect_timeout", String(configuration.defaultConnectTimeout)))
        }
        if !configuration.connectionString.isEmpty {
            pairs.append(("dbname", configuration.connectionString))  // expanded as a URL or conninfo
        }
        pairs.append(("application_name", configuration.applicationName))
        pairs.append(("client_encoding", "UTF8"))
    }

    /// Connects (blocking). The caller checks `PQstatus` and must `PQfinish` the handle either way.
    func connect() -> OpaquePointer? {
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keywordPointers = keywords.map { $0.map { UnsafePointer($0) } }
        let valuePointers = values.map { $0.map { UnsafePointer($0) } }
        return PQconnectdbParams(keywordPointers, valuePointers, 1)
    }

    /// The password inside a URL or conninfo string, found the way libpq parses it.
    static func password(in connectionString: String) -> String? {
        guard !connectionString.isEmpty else { return nil }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                let password = String(cString: value)
                return password.isEmpty ? nil : password
            }
            option += 1
        }
        return nil
    }
}
