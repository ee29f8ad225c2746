import CYAML

/// Turns YAML text into a `YAMLNode` tree with libyaml's event parser.
///
/// Syntax errors end parsing (libyaml cannot continue past them); structural problems that
/// libyaml accepts but a config must not contain — duplicate keys, non-scalar keys, several
/// documents — are collected so that every one of them is reported at once.
public enum YAMLParser {
    /// Deeper nesting is refused: the deepest gateway.yaml has five levels, and a tree of
    /// unbounded depth would be released recursively.
    public static let maxDepth = 64

    public struct Result: Sendable {
        public var root: YAMLNode?
        public var problems: [ConfigProblem]
    }

    public static func parse(_ text: String) -> Result {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }
        return bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return Result(root: nil, problems: [ConfigProblem(SourceMark(line: 1, column: 1), "cannot initialise the YAML parser")])
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            do {
                try builder.run(&parser)
            } catch let problem as ConfigProblem {
                builder.problems.append(problem)
                return Result(root: nil, problems: builder.problems)
            } catch {
                builder.problems.append(ConfigProblem(SourceMark(line: 1, column: 1), "\(error)"))
                return Result(root: nil, problems: builder.problems)
            }
            return Result(root: builder.root, problems: builder.problems)
        }
    }
}

/// Builds the tree from libyaml events; one instance per parse.
///
/// Work is linear in the size of the file: the collection being built is mutated in place at
/// the top of `stack` (never copied out and back, which made each append copy the whole list).
/// Nesting is capped at `YAMLParser.maxDepth`, so no tree is deep enough for its recursive
/// release to exhaust the stack.
private struct TreeBuilder {
    /// What a mapping waits for next: a key, the value of a key, or the value of a rejected key.
    private enum KeyState {
        case awaitingKey
        case awaitingValue(YAMLScalar)
        case skippingValue
    }

    /// A collection under construction.
    private struct Frame {
        var isMapping: Bool
        var mark: SourceMark
        var anchor: String?
        var items: [YAMLNode] = []
        var entries: [YAMLMapping.Entry] = []
        var keyState = KeyState.awaitingKey
        var seen: Set<String> = []
    }

    var root: YAMLNode?
    var problems: [ConfigProblem] = []
    private var stack: [Frame] = []
    private var anchors: [String: YAMLNode] = [:]
    private var documents = 0

    mutating func run(_ parser: inout yaml_parser_t) throws {
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw Self.syntaxProblem(parser)
            }
            defer { yaml_event_delete(&event) }
            let mark = SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    problems.append(ConfigProblem(mark, "the file must hold one YAML document, found a second one"))
                }
            case YAML_MAPPING_START_EVENT:
                try push(Frame(isMapping: true, mark: mark, anchor: Self.name(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_START_EVENT:
                try push(Frame(isMapping: false, mark: mark, anchor: Self.name(event.data.sequence_start.anchor)))
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                let frame = stack.removeLast()
                let node: YAMLNode =
                    frame.isMapping
                    ? .mapping(YAMLMapping(entries: frame.entries, mark: frame.mark))
                    : .sequence(YAMLSequence(items: frame.items, mark: frame.mark))
                if let anchor = frame.anchor { anchors[anchor] = node }
                add(node)
            case YAML_SCALAR_EVENT:
                let scalarData = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalarData.value, count: scalarData.length), as: UTF8.self)
                let scalar = YAMLScalar(value: value, isPlain: scalarData.style == YAML_PLAIN_SCALAR_STYLE && scalarData.tag == nil, mark: mark)
                if let anchor = Self.name(scalarData.anchor) { anchors[anchor] = .scalar(scalar) }
                add(.scalar(scalar))
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                if let node = anchors[name] {
                    add(node)
                } else {
                    problems.append(ConfigProblem(mark, "unknown alias *\(name)"))
                    add(.scalar(YAMLScalar(value: "", isPlain: true, mark: mark)))
                }
            default:
                break
            }
        }
    }

    private mutating func push(_ frame: Frame) throws {
        guard stack.count < YAMLParser.maxDepth else {
            throw ConfigProblem(frame.mark, "the YAML is nested more than \(YAMLParser.maxDepth) levels deep; a gateway.yaml needs far fewer")
        }
        stack.append(frame)
    }

    private static func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        anchor.map { String(cString: $0) }
    }

    private mutating func add(_ node: YAMLNode) {
        guard !stack.isEmpty else {
            if root == nil { root = node }
            return
        }
        let top = stack.count - 1
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return
        }
        switch (stack[top].keyState, node) {
        case (.awaitingValue(let key), _):
            if stack[top].seen.insert(key.value).inserted {
                stack[top].entries.append(.init(key: key, value: node))
            } else {
                problems.append(ConfigProblem(key.mark, "duplicate key '\(key.value)'"))
            }
            stack[top].keyState = .awaitingKey
        case (.skippingValue, _):
            stack[top].keyState = .awaitingKey
        case (.awaitingKey, .scalar(let key)):
            stack[top].keyState = .awaitingValue(key)
        case (.awaitingKey, _):
            problems.append(ConfigProblem(node.mark, "a mapping key must be a plain string, got \(node.kindName)"))
            stack[top].keyState = .skippingValue
        }
    }

    private static func syntaxProblem(_ parser: yaml_parser_t) -> ConfigProblem {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = SourceMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        guard let context = parser.context.map({ String(cString: $0) }) else {
            return ConfigProblem(mark, "YAML syntax error: \(problem)")
        }
        let contextMark = SourceMark(line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1)
        return ConfigProblem(mark, "YAML syntax error: \(problem) (\(context) at \(contextMark))")
    }
}
