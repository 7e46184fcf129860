/**
 * A faster path through the generated schemas, with the exact results of `effect/ParseResult`.
 *
 * `ParseResult` builds an `Either` per node and per property, which is most of the client's CPU per streamed event
 * and a large share per request. The generated schemas are plain structs, arrays, literals, primitives, unions and
 * tagged unions with no transformations, so they can be walked by straight-line closures compiled once per schema.
 *
 * The contract: where the fast path succeeds, its value equals what `ParseResult` returns for the same input and
 * options (same keys, same key order, same nested values); anything it cannot prove that for — a union where more
 * than one member could take the input's kind, a transformation, an unknown declaration, parse-option annotations —
 * is delegated to `ParseResult` for that node only. A failure (`Fail`) anywhere re-runs the whole input through
 * `ParseResult`, so errors are always `ParseResult`'s own. `test/fastParse.test.ts` checks the equivalence on every
 * generated schema with generated and mutated inputs.
 */
import type * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as MistralSchema from "../MistralSchema.js"

const Fail: unique symbol = Symbol("effect-mistral/fastParse/Fail")

/** Returns the parsed value, or `Fail`. */
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
    case "TemplateLiteral":
      return STRING
    case "NumberKeyword":
      return NUMBER
    case "BooleanKeyword":
      return BOOLEAN
    case "UndefinedKeyword":
      return UNDEFINED
    case "NeverKeyword":
      return 0
    case "Enums":
      return ast.enums.reduce((mask, [, value]) => mask | kindOfLiteral(value), 0)
    case "TypeLiteral":
      return ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
        ? ANY & ~(NULL | UNDEFINED)
        : RECORD
    case "TupleType":
      return ARRAY
    case "Union":
      return ast.types.reduce((mask, member) => mask | kindsOf(member, visiting), 0)
    case "Refinement":
      return kindsOf(ast.from, visiting)
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

const hasOwn = (input: object, key: PropertyKey): boolean => Object.hasOwn(input, key)

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
    case "AnyKeyword":
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

interface Compiler {
  readonly compile: (ast: AST.AST) => Fast
}

/** Compiles schemas for one direction and one set of parse options (which every node sees, as in `ParseResult`). */
const makeCompiler = (isDecoding: boolean, options: AST.ParseOptions | undefined): Compiler => {
  const memo = new WeakMap<AST.AST, Fast>()
  const preserveExcess = options?.onExcessProperty === "preserve"
  const unsupported =
    options?.onExcessProperty === "error" ||
    options?.exact === true ||
    options?.errors === "all" ||
    options?.propertyOrder === "original"

  /** `ParseResult` itself, for this node only. */
  const delegate = (ast: AST.AST): Fast => {
    const schema = Schema.make(ast)
    const parse = isDecoding
      ? ParseResult.decodeUnknownEither(schema, options)
      : ParseResult.encodeUnknownEither(schema, options)
    return (input) => {
      const result = parse(input)
      return result._tag === "Right" ? result.right : Fail
    }
  }

  const compile = (ast: AST.AST): Fast => {
    const cached = memo.get(ast)
    if (cached !== undefined) return cached
    // annotations that change how ParseResult parses a node: that node is left to it (whichever direction)
    const fast = unsupported || hasParseAnnotations(ast) ? delegate(ast) : build(ast)
    memo.set(ast, fast)
    return fast
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
      case "Refinement": {
        if (!isDecoding) return delegate(ast)
        const from = compile(ast.from)
        const parseOptions = options ?? AST.defaultParseOption
        return (input) => {
          const value = from(input)
          return value === Fail || Option.isSome(ast.filter(value, parseOptions, ast)) ? Fail : value
        }
      }
      case "Declaration": {
        const tagged = MistralSchema.getTaggedUnionAnnotation(ast)
        return tagged === undefined ? delegate(ast) : taggedUnion(ast, tagged)
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
    const values = signatures.map((signature) => compile(signature.type))
    // primitive properties are checked in place, without a call
    const primitives = signatures.map((signature) => primitiveOf(signature.type))
    const indexValues = indexSignatures.map((signature) => compile(signature.type))
    const expected = new Set<PropertyKey>(names)
    const count = names.length
    return (input) => {
      if (!Predicate.isRecord(input)) return Fail
      const output: Record<PropertyKey, unknown> = {}
      if (preserveExcess) {
        // ParseResult writes the keys it does not expect first, as they are
        for (const key of Reflect.ownKeys(input)) {
          if (!expected.has(key) && (indexValues.length === 0 || typeof key === "symbol")) output[key] = input[key]
        }
      }
      for (let i = 0; i < count; i++) {
        const name = names[i]
        const value = input[name]
        if (optional[i] && (value === undefined || inherited[i]) && !hasOwn(input, name)) continue
        const primitive = primitives[i]
        if (primitive !== undefined) {
          if (!accepts(primitive, value)) return Fail
          output[name] = value
        } else {
          const parsed = values[i](value)
          if (parsed === Fail) return Fail
          output[name] = parsed
        }
      }
      for (let i = 0; i < indexValues.length; i++) {
        const parse = indexValues[i]
        for (const key of Object.keys(input)) {
          const value = parse(input[key])
          if (value === Fail) return Fail
          if (!expected.has(key)) output[key] = value
        }
      }
      return output
    }
  }

  const tuple = (ast: AST.TupleType): Fast => {
    if (ast.rest.length > 1) return delegate(ast)
    const elements = ast.elements.map((element) => compile(element.type))
    const required = ast.elements.filter((element) => !element.isOptional).length
    const rest = ast.rest.length === 1 ? compile(ast.rest[0].type) : undefined
    const count = elements.length
    return (input) => {
      if (!Array.isArray(input)) return Fail
      const length = input.length
      if (length < required || (rest === undefined && length > count)) return Fail
      const output: Array<unknown> = []
      let i = 0
      for (; i < count; i++) {
        if (i >= length) continue
        const value = elements[i](input[i])
        if (value === Fail) return Fail
        output.push(value)
      }
      if (rest !== undefined) {
        for (; i < length; i++) {
          const value = rest(input[i])
          if (value === Fail) return Fail
          output.push(value)
        }
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
      const parse = byKind[kindIndex(input)]
      if (parse === Fail) return Fail
      if (parse !== undefined) return parse(input)
      whole ??= delegate(ast)
      return whole(input)
    }
  }

  const taggedUnion = (ast: AST.Declaration, tagged: MistralSchema.TaggedUnionAnnotation): Fast => {
    const members = ast.typeParameters.map(compile)
    const byTag = new Map<string, ReadonlyArray<Fast>>()
    for (const [tag, indices] of tagged.indicesByTag) {
      byTag.set(
        tag,
        indices.map((i) => members[i])
      )
    }
    const whenAbsent = tagged.absentIndices.map((i) => members[i])
    const key = tagged.key
    const firstSuccess = (parsers: ReadonlyArray<Fast>, input: unknown): unknown => {
      for (const parse of parsers) {
        const value = parse(input)
        if (value !== Fail) return value
      }
      return Fail
    }
    return (input) => {
      if (!Predicate.isRecord(input)) return Fail
      const tag = input[key]
      if (tag === MistralSchema.unknownTag && "raw" in input) return isDecoding ? input : input.raw
      if (tag === undefined) return firstSuccess(whenAbsent, input)
      if (typeof tag !== "string") return Fail
      const candidates = byTag.get(tag)
      if (candidates === undefined) return isDecoding ? { [key]: MistralSchema.unknownTag, raw: input } : Fail
      return firstSuccess(candidates, input)
    }
  }

  return { compile }
}

type Parser = (input: unknown) => Either.Either<unknown, ParseResult.ParseError>

const right = (value: unknown): Either.Either<unknown, never> =>
  ({ _tag: "Right", right: value }) as Either.Either<unknown, never>

const withFallback = (fast: Fast, full: Parser): Parser => {
  return (input) => {
    const value = fast(input)
    // a failure is described by ParseResult itself
    return value === Fail ? full(input) : right(value)
  }
}

const decoding = makeCompiler(true, undefined)
const encodingPreserved = makeCompiler(false, { onExcessProperty: "preserve" })

/**
 * `Schema.decodeUnknownEither(schema)`, faster.
 *
 * @internal
 */
export const decodeUnknownEither = (schema: Schema.Schema.AnyNoContext): Parser =>
  withFallback(decoding.compile(schema.ast), Schema.decodeUnknownEither(schema))

/**
 * `Schema.encodeUnknownEither(schema, { onExcessProperty: "preserve" })`, faster.
 *
 * @internal
 */
export const encodeUnknownEitherPreserving = (schema: Schema.Schema.AnyNoContext): Parser =>
  withFallback(
    encodingPreserved.compile(schema.ast),
    Schema.encodeUnknownEither(schema, { onExcessProperty: "preserve" })
  )

/**
 * The fast path alone, for tests: `{ value }` where it answers, `undefined` where `ParseResult` would be asked.
 *
 * @internal
 */
export const fastDecodeOnly = (
  schema: Schema.Schema.AnyNoContext
): ((input: unknown) => { value: unknown } | undefined) => {
  const fast = decoding.compile(schema.ast)
  return (input) => {
    const value = fast(input)
    return value === Fail ? undefined : { value }
  }
}
