/// turing's version, printed by `--version` of both tools.
public enum TuringVersion {
    public static let current = "0.1.0"
}
