/// ASCII classification of UTF-8 bytes, for the byte-level parsers.
extension UInt8 {
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isASCIILowercaseLetter: Bool { self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z") }
    var isASCIILetter: Bool { isASCIILowercaseLetter || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z")) }
}
