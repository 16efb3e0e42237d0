import CLibPQ

extension PostgresRows {
    /// Copies every cell of a `PGresult` (text format) into Swift values; the caller still clears the result.
    init(copying result: OpaquePointer) {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        columns = (0..<columnCount).map { column in
            Column(name: String(cString: PQfname(result, column)), typeOID: PQftype(result, column))
        }
        var cells: [[String?]] = []
        cells.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                values.append(PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
            cells.append(values)
        }
        self.cells = cells
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        commandTag = String(cString: PQcmdStatus(result))
    }
}
