/// A YAML document as a plain tree that remembers where each node came from. libyaml's own
/// document API loses nothing either, but a Swift tree is easier to validate exhaustively.
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    public var mark: SourceMark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    /// A short name of the node's kind, for "expected X, got Y" messages.
    public var kindName: String {
        switch self {
        case .scalar(let scalar): scalar.isNull ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}

public struct YAMLScalar: Sendable {
    public var value: String
    /// Plain (unquoted) scalars may be numbers, booleans or null; quoted ones are always strings.
    public var isPlain: Bool
    public var mark: SourceMark

    public var isNull: Bool {
        isPlain && (value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL")
    }
}

public struct YAMLMapping: Sendable {
    public struct Entry: Sendable {
        public var key: YAMLScalar
        public var value: YAMLNode
    }

    public var entries: [Entry]
    public var mark: SourceMark

    public subscript(key: String) -> YAMLNode? {
        entries.first { $0.key.value == key }?.value
    }
}

public struct YAMLSequence: Sendable {
    public var items: [YAMLNode]
    public var mark: SourceMark
}
