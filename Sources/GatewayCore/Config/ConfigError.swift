/// One thing wrong with a config file, at the place the operator has to look.
public struct ConfigProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var mark: SourceMark
    public var message: String

    public init(_ mark: SourceMark, _ message: String) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(mark): \(message)" }
}

/// Every problem found in one config file, so an operator can fix them all in one edit.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]
    /// The file's text when it could be read, for showing the offending lines.
    public var source: String?

    public init(file: String, problems: [ConfigProblem], source: String? = nil) {
        self.file = file
        self.problems = problems.sorted { $0.mark < $1.mark }
        self.source = source
    }

    /// One `file:line:col: message` line per problem; the format editors and CI logs link to.
    public var lines: [String] { problems.map { "\(file):\($0.mark.line):\($0.mark.column): \($0.message)" } }

    public var description: String { lines.joined(separator: "\n") }

    /// Each problem followed by its source line and a caret under the column, for people.
    public var annotated: String {
        guard let source else { return description }
        let sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false)
        return problems.map { problem in
            let header = "\(file):\(problem.mark.line):\(problem.mark.column): \(problem.message)"
            guard problem.mark.line >= 1, problem.mark.line <= sourceLines.count else { return header }
            let line = sourceLines[problem.mark.line - 1]
            let caret = String(repeating: " ", count: max(0, problem.mark.column - 1)) + "^"
            return "\(header)\n    \(line)\n    \(caret)"
        }.joined(separator: "\n")
    }
}
