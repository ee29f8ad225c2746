import CYAML

/// Turns YAML text into a `YAMLNode` tree with libyaml's event parser.
///
/// Syntax errors end parsing (libyaml cannot continue past them); structural problems that
/// libyaml accepts but a config must not contain — duplicate keys, non-scalar keys, several
/// documents — are collected so that every one of them is reported at once.
public enum YAMLParser {
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
private struct TreeBuilder {
    /// What a mapping waits for next: a key, the value of a key, or the value of a rejected key.
    private enum KeyState {
        case awaitingKey
        case awaitingValue(YAMLScalar)
        case skippingValue
    }

    private enum Frame {
        case mapping(YAMLMapping, KeyState, seen: Set<String>)
        case sequence(YAMLSequence)
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
                stack.append(.mapping(YAMLMapping(entries: [], mark: mark), .awaitingKey, seen: []))
                rememberAnchorLater(event.data.mapping_start.anchor)
            case YAML_SEQUENCE_START_EVENT:
                stack.append(.sequence(YAMLSequence(items: [], mark: mark)))
                rememberAnchorLater(event.data.sequence_start.anchor)
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                let node: YAMLNode
                switch stack.removeLast() {
                case .mapping(let mapping, _, _): node = .mapping(mapping)
                case .sequence(let sequence): node = .sequence(sequence)
                }
                if let anchor = pendingAnchors.popLast(), let anchor { anchors[anchor] = node }
                add(node)
            case YAML_SCALAR_EVENT:
                let scalarData = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalarData.value, count: scalarData.length), as: UTF8.self)
                let scalar = YAMLScalar(value: value, isPlain: scalarData.style == YAML_PLAIN_SCALAR_STYLE && scalarData.tag == nil, mark: mark)
                if let anchor = scalarData.anchor { anchors[String(cString: anchor)] = .scalar(scalar) }
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

    /// Anchors of collections are recorded when the collection ends; this stack pairs them.
    private var pendingAnchors: [String?] = []

    private mutating func rememberAnchorLater(_ anchor: UnsafeMutablePointer<yaml_char_t>?) {
        pendingAnchors.append(anchor.map { String(cString: $0) })
    }

    private mutating func add(_ node: YAMLNode) {
        guard let top = stack.popLast() else {
            if root == nil { root = node }
            return
        }
        switch top {
        case .sequence(var sequence):
            sequence.items.append(node)
            stack.append(.sequence(sequence))
        case .mapping(var mapping, let keyState, var seen):
            switch (keyState, node) {
            case (.awaitingValue(let key), _):
                if seen.contains(key.value) {
                    problems.append(ConfigProblem(key.mark, "duplicate key '\(key.value)'"))
                } else {
                    seen.insert(key.value)
                    mapping.entries.append(.init(key: key, value: node))
                }
                stack.append(.mapping(mapping, .awaitingKey, seen: seen))
            case (.skippingValue, _):
                stack.append(.mapping(mapping, .awaitingKey, seen: seen))
            case (.awaitingKey, .scalar(let key)):
                stack.append(.mapping(mapping, .awaitingValue(key), seen: seen))
            case (.awaitingKey, _):
                problems.append(ConfigProblem(node.mark, "a mapping key must be a plain string, got \(node.kindName)"))
                stack.append(.mapping(mapping, .skippingValue, seen: seen))
            }
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
