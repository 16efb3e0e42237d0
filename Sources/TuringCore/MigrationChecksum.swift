/// The checksum recorded for an applied migration file.
public enum MigrationChecksum {
    /// SHA-256 (hex) of `contents` with a leading UTF-8 byte-order mark removed and CRLF/CR line endings turned into LF,
    /// so that a checkout with other line endings does not count as a modified file.
    public static func of(_ contents: String) -> String {
        SHA256.hexDigest(normalisedBytes(contents))
    }

    static func normalisedBytes(_ contents: String) -> [UInt8] {
        var bytes = Array(contents.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var normalised: [UInt8] = []
        normalised.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") {
                normalised.append(UInt8(ascii: "\n"))
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            } else {
                normalised.append(byte)
            }
            index += 1
        }
        return normalised
    }
}
