import ArgumentParser
import Foundation
import Turing

/// How both tools run: parse the arguments, run the command, and turn every error into one line on stderr and
/// the documented exit code (0 done, 1 failed, 2 usage or configuration, 3 database unreachable).
public enum CommandLineTool {
    public static func main<Root: ParsableCommand>(_ root: Root.Type, name: String) async -> Never {
        var command: any ParsableCommand
        do {
            command = try root.parseAsRoot()
        } catch {
            if root.exitCode(for: error) == .success {
                print(root.fullMessage(for: error))
                exit(0)
            }
            exitWithMessage(name, root.message(for: error) + " (see \(name) --help)", status: .usage)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            // `--help` and `help NAME` parse into ArgumentParser's help command, whose run() throws the help request.
            if root.exitCode(for: error) == .success {
                print(root.fullMessage(for: error))
                exit(0)
            }
            exitWithMessage(name, describeForTerminal(error), status: ExitStatus.of(error))
        }
    }
}
