/**
 * Faster `ParseResult` decoding and encoding for the generated schemas, with the same results.
 *
 * What it mirrors, exactly two calls of `effect/ParseResult` (the ones `Schema.decodeUnknownEither` and
 * `Schema.encodeUnknownEither` make):
 * - `ParseResult.decodeUnknownEither(schema)` with the default parse options — `onExcessProperty: "ignore"` (keys
 *   the schema does not list are dropped), `errors: "first"`, `exact: false` (a missing required key reads as
 *   `undefined`), `propertyOrder: "none"` (output keys in the schema's order, then a record's other keys in input
 *   order);
 * - `ParseResult.encodeUnknownEither(schema, { onExcessProperty: "preserve" })`, the same but keys the schema does
 *   not list are kept, written first as they are;
 * and in both a {@link MistralSchema.taggedUnion}'s own decoder and encoder.
 *
 * `ParseResult` builds an `Either` per node and per property, which is most of the client's CPU per streamed event
 * and a large share per response. The generated schemas have no transformations, so they can be walked by
 * straight-line closures compiled once per schema. Compiled here are exactly the node kinds the generator emits:
 * structs and records (`TypeLiteral`, string index signatures only), arrays and fixed tuples (`TupleType`), unions,
 * literals, `string`, `number`, `boolean`, `undefined`, `unknown`, `Suspend` and `taggedUnion` declarations.
 * Everything else — another node kind, a union where more than one member could take the input's kind, a node with
 * parse-option annotations, another declaration (`Binary`) — is left to `ParseResult` for that node only. A failure
 * (`Fail`) anywhere re-runs the whole input through `ParseResult`, so errors are always `ParseResult`'s own.
 * `test/fastParse.test.ts` checks the equivalence on every generated schema with generated and mutated inputs.
 * Results are real `Either`s.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as MistralSchema from "../MistralSchema.js"

const Fail: unique symbol = Symbol("effect-mistral/fastParse/Fail")

/** Returns the decoded (or encoded) value, or `Fail`. */
type Fast = (input: unknown) => unknown

// the kinds of JavaScript value a node can accept, as bits
const STRING = 1
const NUMBER = 2
const BOOLEAN = 4
const NULL = 8
const UNDEFINED = 16
const RECORD = 32
const ARRAY = 64
const OTHER = 128
const ANY = 255
const kindCount = 8

const kindIndex = (input: unknown): number => {
  switch (typeof input) {
    case "string":
      return 0
    case "number":
      return 1
    case "boolean":
      return 2
    case "undefined":
      return 4
    case "object":
      return input === null ? 3 : Array.isArray(input) ? 6 : 5
    default:
      return 7
  }
}

const kindOfLiteral = (literal: AST.LiteralValue): number =>
  literal === null
    ? NULL
    : typeof literal === "string"
      ? STRING
      : typeof literal === "number"
        ? NUMBER
        : typeof literal === "boolean"
          ? BOOLEAN
          : OTHER

/** A superset of the kinds of input `ast` accepts (a node never accepts a kind outside its mask). */
const kindsOf = (ast: AST.AST, visiting: Set<AST.AST> = new Set()): number => {
  switch (ast._tag) {
    case "Literal":
      return kindOfLiteral(ast.literal)
    case "StringKeyword":
      return STRING
    case "NumberKeyword":
      return NUMBER
    case "BooleanKeyword":
      return BOOLEAN
    case "UndefinedKeyword":
      return UNDEFINED
    case "TypeLiteral":
      // `Schema.Struct({})` takes anything but null and undefined
      return ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
        ? ANY & ~(NULL | UNDEFINED)
        : RECORD
    case "TupleType":
      return ARRAY
    case "Union":
      return ast.types.reduce((mask, member) => mask | kindsOf(member, visiting), 0)
    case "Suspend": {
      if (visiting.has(ast)) return ANY
      visiting.add(ast)
      const mask = kindsOf(ast.f(), visiting)
      visiting.delete(ast)
      return mask
    }
    case "Declaration":
      return MistralSchema.getTaggedUnionAnnotation(ast) !== undefined ? RECORD : ANY
    default:
      return ANY
  }
}

/** A node that takes only primitives (or anything, for `unknown`) and gives them back unchanged. */
interface Primitive {
  /** The kinds it takes whatever the value. */
  readonly kinds: number
  /** The values it takes besides. */
  readonly literals: ReadonlyArray<AST.LiteralValue>
}

const hasParseAnnotations = (ast: AST.AST): boolean =>
  ast.annotations[AST.ParseOptionsAnnotationId] !== undefined ||
  ast.annotations[AST.DecodingFallbackAnnotationId] !== undefined

const primitiveOf = (ast: AST.AST): Primitive | undefined => {
  if (hasParseAnnotations(ast)) return undefined
  switch (ast._tag) {
    case "StringKeyword":
      return { kinds: STRING, literals: [] }
    case "NumberKeyword":
      return { kinds: NUMBER, literals: [] }
    case "BooleanKeyword":
      return { kinds: BOOLEAN, literals: [] }
    case "UndefinedKeyword":
      return { kinds: UNDEFINED, literals: [] }
    case "UnknownKeyword":
      return { kinds: ANY, literals: [] }
    case "Literal":
      return { kinds: 0, literals: [ast.literal] }
    case "Union": {
      let kinds = 0
      const literals: Array<AST.LiteralValue> = []
      for (const member of ast.types) {
        const primitive = primitiveOf(member)
        if (primitive === undefined) return undefined
        kinds |= primitive.kinds
        literals.push(...primitive.literals)
      }
      return { kinds, literals }
    }
    default:
      return undefined
  }
}

const accepts = (primitive: Primitive, input: unknown): boolean =>
  (primitive.kinds & (1 << kindIndex(input))) !== 0 ||
  (primitive.literals.length > 0 && primitive.literals.includes(input as AST.LiteralValue))

/** Compiles schemas for one direction; the options are fixed per direction (see the header). */
const makeCompiler = (isDecoding: boolean): ((ast: AST.AST) => Fast) => {
  const compiled = new WeakMap<AST.AST, Fast>()

  /** `ParseResult` itself, for this node only. */
  const delegate = (ast: AST.AST): Fast => {
    const schema = Schema.make(ast)
    const decode = isDecoding
      ? ParseResult.decodeUnknownEither(schema)
      : ParseResult.encodeUnknownEither(schema, { onExcessProperty: "preserve" })
    return (input) => {
      const result = decode(input)
      return Either.isRight(result) ? result.right : Fail
    }
  }

  const compile = (ast: AST.AST): Fast => {
    const cached = compiled.get(ast)
    if (cached !== undefined) return cached
    // annotations that change how ParseResult parses a node: that node is left to it
    const fast = hasParseAnnotations(ast) ? delegate(ast) : build(ast)
    compiled.set(ast, fast)
    return fast
  }

  /**
   * Parsers for `asts`, each compiled the first time its slot is called, which the slot then holds: the parts of a
   * schema no input reaches (the tools a request does not use, the entry kinds an answer does not have) are never
   * compiled, and a compiled slot is called as directly as an eager one.
   */
  const slots = (asts: ReadonlyArray<AST.AST>): Array<Fast> => {
    const parsers: Array<Fast> = []
    for (let i = 0; i < asts.length; i++) {
      const ast = asts[i]
      parsers.push(
        compiled.get(ast) ??
          ((input) => {
            const fast = compile(ast)
            parsers[i] = fast
            return fast(input)
          })
      )
    }
    return parsers
  }

  const build = (ast: AST.AST): Fast => {
    // a primitive (or a union of primitives and literals) is checked in place, whatever ParseResult's member order
    const primitive = primitiveOf(ast)
    if (primitive !== undefined) return (input) => (accepts(primitive, input) ? input : Fail)
    switch (ast._tag) {
      case "TypeLiteral":
        return typeLiteral(ast)
      case "TupleType":
        return tuple(ast)
      case "Union":
        return union(ast)
      case "Suspend": {
        let target: Fast | undefined
        return (input) => {
          target ??= compile(ast.f())
          return target(input)
        }
      }
      case "Declaration": {
        const table = MistralSchema.getTaggedUnionAnnotation(ast)
        return table === undefined ? delegate(ast) : taggedUnion(ast, table)
      }
      default:
        return delegate(ast)
    }
  }

  const typeLiteral = (ast: AST.TypeLiteral): Fast => {
    const signatures = ast.propertySignatures
    const indexSignatures = ast.indexSignatures
    if (signatures.length === 0 && indexSignatures.length === 0) {
      return (input) => (input !== null && input !== undefined ? input : Fail)
    }
    // index signatures keyed by plain strings only (what `Schema.Record({ key: Schema.String, ... })` makes)
    if (indexSignatures.some((signature) => signature.parameter._tag !== "StringKeyword")) return delegate(ast)
    const names = signatures.map((signature) => signature.name)
    const optional = signatures.map((signature) => signature.isOptional)
    // an absent key reads as undefined unless Object.prototype has it: only then is `hasOwn` asked first
    const inherited = names.map((name) => name in Object.prototype)
    const values = slots(signatures.map((signature) => signature.type))
    // primitive properties are checked in place, without a call
    const primitives = signatures.map((signature) => primitiveOf(signature.type))
    const indexValues = slots(indexSignatures.map((signature) => signature.type))
    const expected = new Set<PropertyKey>(names)
    const count = names.length
    return (input) => {
      if (!Predicate.isRecord(input)) return Fail
      const output: Record<PropertyKey, unknown> = {}
      if (!isDecoding) {
        // encoding preserves the keys it does not expect, and ParseResult writes them first, as they are
        for (const key of Reflect.ownKeys(input)) {
          if (!expected.has(key) && (indexValues.length === 0 || typeof key === "symbol")) output[key] = input[key]
        }
      }
      for (let i = 0; i < count; i++) {
        const name = names[i]
        const value = input[name]
        if (optional[i] && (value === undefined || inherited[i]) && !Object.hasOwn(input, name)) continue
        const primitive = primitives[i]
        if (primitive !== undefined) {
          if (!accepts(primitive, value)) return Fail
          output[name] = value
        } else {
          const decoded = values[i](value)
          if (decoded === Fail) return Fail
          output[name] = decoded
        }
      }
      for (let i = 0; i < indexValues.length; i++) {
        const decode = indexValues[i]
        for (const key of Object.keys(input)) {
          // ParseResult checks a listed key against the index signature too, but keeps the property's value
          const value = decode(input[key])
          if (value === Fail) return Fail
          if (!expected.has(key)) output[key] = value
        }
      }
      return output
    }
  }

  const tuple = (ast: AST.TupleType): Fast => {
    // `Schema.Array(x)` (one rest element) and fixed tuples of required elements
    if (ast.rest.length > 1 || ast.elements.some((element) => element.isOptional)) return delegate(ast)
    if (ast.rest.length === 1 && ast.elements.length > 0) return delegate(ast)
    if (ast.rest.length === 1) {
      const element = compile(ast.rest[0].type)
      return (input) => {
        if (!Array.isArray(input)) return Fail
        const output: Array<unknown> = []
        for (let i = 0; i < input.length; i++) {
          const value = element(input[i])
          if (value === Fail) return Fail
          output.push(value)
        }
        return output
      }
    }
    const elements = ast.elements.map((element) => compile(element.type))
    const count = elements.length
    return (input) => {
      if (!Array.isArray(input) || input.length !== count) return Fail
      const output: Array<unknown> = []
      for (let i = 0; i < count; i++) {
        const value = elements[i](input[i])
        if (value === Fail) return Fail
        output.push(value)
      }
      return output
    }
  }

  const union = (ast: AST.Union): Fast => {
    // For each kind of input, the members that could take it. With one, ParseResult's choice is that member
    // whatever order it tries them in (the others reject the input); with several, ParseResult decides.
    const byKind: Array<Fast | typeof Fail | undefined> = []
    let whole: Fast | undefined
    const masks = ast.types.map((member) => kindsOf(member))
    for (let kind = 0; kind < kindCount; kind++) {
      const members = ast.types.filter((_, i) => (masks[i] & (1 << kind)) !== 0)
      if (members.length === 0) byKind.push(Fail)
      else if (members.length === 1) byKind.push(compile(members[0]))
      else byKind.push(undefined)
    }
    return (input) => {
      const decode = byKind[kindIndex(input)]
      if (decode === Fail) return Fail
      if (decode !== undefined) return decode(input)
      whole ??= delegate(ast)
      return whole(input)
    }
  }

  /** The same choice of members as the declaration's own decoder: {@link MistralSchema.selectMembers}. */
  const taggedUnion = (ast: AST.Declaration, table: MistralSchema.TaggedUnionAnnotation): Fast => {
    const members = slots(ast.typeParameters)
    return (input) => {
      const selection = MistralSchema.selectMembers(table, input)
      if (typeof selection === "string") {
        // decoding keeps an unknown member's raw value; encoding gives back the raw value of a decoded one
        if (selection === "UnknownTag") return isDecoding ? MistralSchema.makeUnknown(table.key, input) : Fail
        if (selection === "DecodedUnknown") return isDecoding ? input : (input as { readonly raw: unknown }).raw
        return Fail
      }
      for (let i = 0; i < selection.length; i++) {
        const value = members[selection[i]](input)
        if (value !== Fail) return value
      }
      return Fail
    }
  }

  return compile
}

type Parser = (input: unknown) => Either.Either<unknown, ParseResult.ParseError>

const withFallback =
  (fast: Fast, full: Parser): Parser =>
  (input) => {
    const value = fast(input)
    // a failure is described by ParseResult itself
    return value === Fail ? full(input) : Either.right(value)
  }

/**
 * A parser compiled on its first call: `ParseResult` compiles a whole schema when asked for a parser, and the fast
 * path leaves it the inputs it fails on only, so a client that never sees a bad answer never pays for it.
 */
const onFirstCall = (make: () => Parser): Parser => {
  let parser: Parser | undefined
  return (input) => {
    if (parser === undefined) parser = make()
    return parser(input)
  }
}

const compileDecoding = makeCompiler(true)
const compileEncodingPreserved = makeCompiler(false)

/**
 * `Schema.decodeUnknownEither(schema)`, faster.
 *
 * @internal
 */
export const decodeUnknownEither = (schema: Schema.Schema.AnyNoContext): Parser =>
  withFallback(
    compileDecoding(schema.ast),
    onFirstCall(() => Schema.decodeUnknownEither(schema))
  )

/**
 * `Schema.encodeUnknownEither(schema, { onExcessProperty: "preserve" })`, faster.
 *
 * @internal
 */
export const encodeUnknownEitherPreserving = (schema: Schema.Schema.AnyNoContext): Parser =>
  withFallback(
    compileEncodingPreserved(schema.ast),
    onFirstCall(() => Schema.encodeUnknownEither(schema, { onExcessProperty: "preserve" }))
  )

const memo = (make: (schema: Schema.Schema.AnyNoContext) => Parser) => {
  const cache = new WeakMap<Schema.Schema.AnyNoContext, Parser>()
  return (schema: Schema.Schema.AnyNoContext): Parser => {
    let parser = cache.get(schema)
    if (parser === undefined) {
      parser = make(schema)
      cache.set(schema, parser)
    }
    return parser
  }
}

/**
 * `decodeUnknownEither`, compiled once per schema and reused by every call.
 *
 * @internal
 */
export const decoderFor = memo(decodeUnknownEither)

/**
 * `encodeUnknownEitherPreserving`, compiled once per schema and reused by every call.
 *
 * @internal
 */
export const encoderFor = memo(encodeUnknownEitherPreserving)

/**
 * The fast path alone, for tests: `{ value }` where it answers, `undefined` where `ParseResult` would be asked.
 *
 * @internal
 */
export const fastDecodeOnly = (
  schema: Schema.Schema.AnyNoContext
): ((input: unknown) => { value: unknown } | undefined) => {
  const fast = compileDecoding(schema.ast)
  return (input) => {
    const value = fast(input)
    return value === Fail ? undefined : { value }
  }
}
