/// A query's complete result, copied out of libpq (so the `PGresult` is already cleared) and safe to share.
public struct PostgresRows: Sendable, Sequence {
    /// One result column: its name and the type OID the server reported.
    public struct Column: Sendable, Hashable {
        public let name: String
        public let typeOID: UInt32
    }

    public let columns: [Column]
    /// Cell texts, row by row; nil is SQL NULL.
    public let cells: [[String?]]
    /// Rows affected, for INSERT/UPDATE/DELETE (`PQcmdTuples`); 0 otherwise.
    public let affectedRows: Int
    /// The command tag, such as `INSERT 0 1`.
    public let commandTag: String

    public var count: Int { cells.count }
    public var isEmpty: Bool { cells.isEmpty }

    public subscript(index: Int) -> PostgresRow { PostgresRow(columns: columns, cells: cells[index]) }

    public var first: PostgresRow? { cells.isEmpty ? nil : self[0] }

    public func makeIterator() -> AnyIterator<PostgresRow> {
        var index = 0
        return AnyIterator {
            guard index < cells.count else { return nil }
            defer { index += 1 }
            return self[index]
        }
    }
}

/// One row of a result; read its cells as Swift types with `decode`.
public struct PostgresRow: Sendable {
    public let columns: [PostgresRows.Column]
    public let cells: [String?]

    /// Reads column `index` as `T` (use an optional type for nullable columns).
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard index >= 0, index < cells.count else {
            throw PostgresError(kind: .decoding, message: "no column \(index) in a row of \(cells.count)")
        }
        do {
            guard let text = cells[index] else { return try T.decodeNull() }
            return try T.decode(postgresText: text)
        } catch var error as PostgresError {
            error.message += " (column \"\(columns[index].name)\")"
            throw error
        }
    }

    /// Reads the column named `name` as `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError(kind: .decoding, message: "no column named \"\(name)\"")
        }
        return try decode(index, as: type)
    }
}
