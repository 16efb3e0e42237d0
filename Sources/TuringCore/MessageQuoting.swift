/// A value quoted for a one-line message: control characters, quotes and backslashes escaped, so the message stays one line.
func quoted(_ text: String) -> String {
    let escaped = text.unicodeScalars.map { scalar in
        scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == "\\" ? scalar.escaped(asASCII: true) : String(scalar)
    }
    return "\"" + escaped.joined() + "\""
}
