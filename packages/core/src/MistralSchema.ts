/**
 * Schema primitives the generated schemas are built from: open enums, tolerant tagged unions and binary uploads.
 *
 * They carry the forward-compatibility rules of the project: an enum value the document does not list still decodes,
 * a union member with an unknown discriminant decodes to an explicit {@link Unknown} value that keeps the raw input,
 * and a known member whose body does not match is a decode error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import * as StreamedFile from "./StreamedFile.js"

/**
 * The annotation under which {@link openEnum} keeps the values the document lists.
 *
 * @since 0.1.0
 * @category annotations
 */
export const KnownValuesAnnotationId: unique symbol = Symbol.for("effect-mistral/MistralSchema/KnownValues")

/**
 * A string enum that stays open: the listed values for completion, any other string accepted.
 *
 * @since 0.1.0
 * @category models
 */
export type OpenEnum<A extends string> = A | (string & {})

/**
 * A numeric enum that stays open.
 *
 * @since 0.1.0
 * @category models
 */
export type OpenNumericEnum<A extends number> = A | (number & {})

/**
 * An open string enum: decodes and encodes any string, typed as the listed values or any other string.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openEnum = <const A extends ReadonlyArray<string>>(...values: A): Schema.Schema<OpenEnum<A[number]>> =>
  Schema.String.annotations({ [KnownValuesAnnotationId]: values })

/**
 * An open numeric enum: decodes and encodes any number.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openNumericEnum = <const A extends ReadonlyArray<number>>(
  ...values: A
): Schema.Schema<OpenNumericEnum<A[number]>> => Schema.Number.annotations({ [KnownValuesAnnotationId]: values })

/**
 * The values an {@link openEnum} lists, if the schema is one.
 *
 * @since 0.1.0
 * @category getters
 */
export const knownValues = (schema: Schema.Schema.Any): ReadonlyArray<string | number> | undefined =>
  schema.ast.annotations[KnownValuesAnnotationId] as ReadonlyArray<string | number> | undefined

const variance = { _A: (_: unknown) => _, _I: (_: unknown) => _, _R: (_: never) => _ }

/** A schema whose AST is built by `build` on first access, then kept as an own property (one lookup afterwards). */
class LazySchema {
  readonly [Schema.TypeId] = variance
  private build: (() => Schema.Schema.AnyNoContext) | undefined
  private schema: Schema.Schema.AnyNoContext | undefined
  constructor(build: () => Schema.Schema.AnyNoContext) {
    this.build = build
    this.schema = undefined
  }
  private force(): Schema.Schema.AnyNoContext {
    if (this.schema === undefined) {
      const build = this.build!
      this.build = undefined
      this.schema = build()
    }
    return this.schema
  }
  get ast(): AST.AST {
    const ast = this.force().ast
    Object.defineProperty(this, "ast", { value: ast, enumerable: true })
    return ast
  }
  annotations(annotations: Schema.Annotations.GenericSchema<unknown>): Schema.Schema.AnyNoContext {
    return this.force().annotations(annotations)
  }
  pipe() {
    // biome-ignore lint/complexity/noArguments: the Pipeable protocol passes its functions as arguments
    return pipeArguments(this, arguments)
  }
  toString() {
    return String(this.ast)
  }
}

/**
 * A schema built on first use: `build` runs the first time anything reads the schema's AST (a decode, an encode, a
 * JSON Schema, an annotation), once; until then the schema costs one small object. The generated schemas are all
 * declared this way, so that importing an API group does not build its schemas.
 *
 * The schema has the AST `build` gives, unchanged: decoders, encoders and JSON Schemas are those of the built schema.
 *
 * @since 0.2.0
 * @category constructors
 */
export const lazy = <A, I>(build: () => Schema.Schema<A, I>): Schema.Schema<A, I> =>
  new LazySchema(build as () => Schema.Schema.AnyNoContext) as unknown as Schema.Schema<A, I>

/**
 * A union member whose discriminant the document does not know (a new entry kind, chunk type or stream event).
 *
 * `raw` is the value as it came off the wire; encoding gives it back unchanged.
 *
 * @since 0.1.0
 * @category models
 */
export type Unknown<K extends string> = { readonly [P in K]: "$unknown" } & { readonly raw: unknown }

/**
 * The discriminant value of an {@link Unknown} member.
 *
 * @since 0.1.0
 * @category constants
 */
export const unknownTag = "$unknown" as const

/**
 * The known members of a forward-compatible union: the union without its {@link Unknown} member.
 *
 * @since 0.2.0
 * @category models
 */
export type Known<A> = Exclude<A, { readonly raw: unknown }>

/**
 * Whether a decoded union value is one of the members the document lists (not the {@link Unknown} member): a
 * guard that narrows a tolerant union to its known members, for one generic rule across every union.
 *
 * @example
 * ```ts
 * import * as Models from "@effect-mistral/core/Models"
 * import { MistralSchema } from "@effect-mistral/core"
 * import * as Effect from "effect/Effect"
 *
 * const ids = Effect.map(Models.list(), (models) =>
 *   (models.data ?? []).filter(MistralSchema.isKnown).map((m) => m.id)
 * )
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const isKnown = <A>(value: A): value is Known<A> => !isUnknown(value)

/**
 * The known members of an array of union values (see {@link isKnown}), in order; unknown members are left out.
 *
 * @since 0.2.0
 * @category filters
 */
export const known = <A>(values: ReadonlyArray<A> | null | undefined): Array<Known<A>> =>
  values === null || values === undefined ? [] : values.filter(isKnown)

/**
 * Whether a decoded union value is an {@link Unknown} member.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnknown = <A>(value: A): value is Extract<A, { readonly raw: unknown }> => {
  if (typeof value !== "object" || value === null || !("raw" in value)) return false
  for (const key in value) {
    if ((value as Record<string, unknown>)[key] === unknownTag) return true
  }
  return false
}

/**
 * Builds an {@link Unknown} member, e.g. to send back a value the client did not recognise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeUnknown = <K extends string>(key: K, raw: unknown): Unknown<K> =>
  ({ [key]: unknownTag, raw }) as Unknown<K>

/**
 * @since 0.1.0
 * @category models
 */
export type TaggedMembers = {
  readonly [tag: string]: Schema.Schema.AnyNoContext | ReadonlyArray<Schema.Schema.AnyNoContext>
}

type MemberSchema<M extends TaggedMembers> = {
  readonly [T in keyof M]: M[T] extends ReadonlyArray<infer S> ? S : M[T]
}[keyof M]

/**
 * The schema {@link taggedUnion} builds.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaggedUnion<K extends string, M extends TaggedMembers>
  extends Schema.Schema<
    Schema.Schema.Type<MemberSchema<M>> | Unknown<K>,
    Schema.Schema.Encoded<MemberSchema<M>> | Unknown<K>
  > {}

type Parser = (input: unknown, options?: AST.ParseOptions) => Effect.Effect<unknown, ParseResult.ParseIssue>

/** Tries the members at `indices` in order and keeps the first success; synchronous results stay synchronous. */
const firstSuccess = (
  parsers: ReadonlyArray<Parser>,
  indices: ReadonlyArray<number>,
  input: unknown,
  options: AST.ParseOptions,
  ast: AST.AST
): Effect.Effect<unknown, ParseResult.ParseIssue> => {
  if (indices.length === 1) return parsers[indices[0]](input, options)
  const issues: Array<ParseResult.ParseIssue> = []
  const loop = (index: number): Effect.Effect<unknown, ParseResult.ParseIssue> => {
    if (index >= indices.length) {
      return issues.length === 1
        ? Either.left(issues[0])
        : Either.left(
            new ParseResult.Composite(ast, input, issues as [ParseResult.ParseIssue, ...Array<ParseResult.ParseIssue>])
          )
    }
    const result = parsers[indices[index]](input, options)
    if (Either.isEither(result)) {
      const either = result as Either.Either<unknown, ParseResult.ParseIssue>
      if (Either.isRight(either)) return either
      issues.push(either.left)
      return loop(index + 1)
    }
    return Effect.catchAll(result, (issue) => {
      issues.push(issue)
      return loop(index + 1)
    })
  }
  return loop(0)
}

/**
 * The annotation under which {@link taggedUnion} keeps its dispatch table: the discriminant, the indices of the
 * declaration's type parameters listed for each tag, and those tried when the discriminant is absent.
 *
 * @since 0.1.0
 * @category annotations
 */
export const TaggedUnionAnnotationId: unique symbol = Symbol.for("effect-mistral/MistralSchema/TaggedUnion")

/**
 * @since 0.1.0
 * @category annotations
 */
export interface TaggedUnionAnnotation {
  readonly key: string
  readonly indicesByTag: ReadonlyMap<string, ReadonlyArray<number>>
  readonly absentIndices: ReadonlyArray<number>
}

/**
 * The dispatch table of a {@link taggedUnion} declaration, if `ast` is one.
 *
 * @since 0.1.0
 * @category getters
 */
export const getTaggedUnionAnnotation = (ast: AST.AST): TaggedUnionAnnotation | undefined =>
  ast._tag === "Declaration"
    ? (ast.annotations[TaggedUnionAnnotationId] as TaggedUnionAnnotation | undefined)
    : undefined

/**
 * What a {@link taggedUnion} does with an input before any member parses it: the indices of the members to try, in
 * order (those listed for its tag, or those listed for an absent tag), or why no member is tried:
 * - `"NotAnObject"`: the input is not an object;
 * - `"DecodedUnknown"`: it is already an {@link Unknown} member (`{ [key]: "$unknown", raw }`);
 * - `"MissingTag"`: the tag is absent and no member is listed for that;
 * - `"TagNotAString"`: the tag is not a string;
 * - `"UnknownTag"`: the tag is a string the union does not list.
 *
 * @since 0.1.0
 * @category models
 */
export type TaggedUnionSelection =
  | ReadonlyArray<number>
  | "NotAnObject"
  | "DecodedUnknown"
  | "MissingTag"
  | "TagNotAString"
  | "UnknownTag"

/**
 * How a {@link taggedUnion} picks its members for an input, given its dispatch table: the one choice that its own
 * decoder and encoder and the client's compiled decoder all make.
 *
 * @since 0.1.0
 * @category getters
 */
export const selectMembers = (table: TaggedUnionAnnotation, input: unknown): TaggedUnionSelection => {
  if (!Predicate.isRecord(input)) return "NotAnObject"
  const tag = input[table.key]
  if (tag === unknownTag && "raw" in input) return "DecodedUnknown"
  if (tag === undefined) return table.absentIndices.length === 0 ? "MissingTag" : table.absentIndices
  if (typeof tag !== "string") return "TagNotAString"
  return table.indicesByTag.get(tag) ?? "UnknownTag"
}

/**
 * A tolerant discriminated union of object schemas, keyed by the value of the `key` property.
 *
 * Decoding:
 * - a known tag decodes with its member (several members for one tag are tried in order); a body that does not
 *   match is a decode error;
 * - an unknown tag (a string the map does not list) decodes to `{ [key]: "$unknown", raw }`;
 * - an absent tag tries the members listed in `absent` (those whose discriminant the document makes optional), in
 *   order; if none is listed or none matches, it is an error;
 * - a tag that is not a string, or an input that is not an object, is an error.
 *
 * Encoding mirrors it: an {@link Unknown} member encodes to its `raw` value.
 *
 * Member parsers are compiled once per schema, not per call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const taggedUnion = <const K extends string, const M extends TaggedMembers>(
  key: K,
  members: M,
  absent: ReadonlyArray<keyof M & string> = []
): TaggedUnion<K, M> => {
  const schemas: Array<Schema.Schema.AnyNoContext> = []
  const indicesByTag = new Map<string, ReadonlyArray<number>>()
  for (const tag of Object.keys(members)) {
    const member = members[tag]
    const list: ReadonlyArray<Schema.Schema.AnyNoContext> = Array.isArray(member)
      ? member
      : [member as Schema.Schema.AnyNoContext]
    const indices: Array<number> = []
    for (const schema of list) {
      indices.push(schemas.length)
      schemas.push(schema)
    }
    indicesByTag.set(tag, indices)
  }
  const table: TaggedUnionAnnotation = {
    key,
    indicesByTag,
    absentIndices: absent.flatMap((tag) => indicesByTag.get(tag) ?? [])
  }

  const make =
    (compile: (schema: Schema.Schema.AnyNoContext) => Parser, encoding: boolean) =>
    (...typeParameters: ReadonlyArray<Schema.Schema.AnyNoContext>) => {
      const parsers = typeParameters.map(compile)
      return (
        input: unknown,
        options: AST.ParseOptions,
        ast: AST.Declaration
      ): Effect.Effect<unknown, ParseResult.ParseIssue> => {
        const selection = selectMembers(table, input)
        switch (selection) {
          case "NotAnObject":
            return Either.left(new ParseResult.Type(ast, input, `Expected an object with a "${key}" discriminant`))
          case "DecodedUnknown":
            // encoding gives back the raw value, validating keeps it as is
            return Either.right(encoding ? (input as Unknown<K>).raw : input)
          case "MissingTag":
            return Either.left(
              new ParseResult.Pointer(key, input, new ParseResult.Type(ast, undefined, `Missing "${key}" discriminant`))
            )
          case "TagNotAString": {
            const tag = (input as Record<string, unknown>)[key]
            return Either.left(
              new ParseResult.Pointer(
                key,
                input,
                new ParseResult.Type(ast, tag, `Expected a string "${key}" discriminant`)
              )
            )
          }
          case "UnknownTag": {
            if (!encoding) return Either.right(makeUnknown(key, input))
            const tag = (input as Record<string, unknown>)[key]
            return Either.left(
              new ParseResult.Type(
                ast,
                input,
                `Unknown "${key}" value ${JSON.stringify(tag)}: wrap values the schema does not list as { ${key}: "$unknown", raw }`
              )
            )
          }
          default:
            return firstSuccess(parsers, selection, input, options, ast)
        }
      }
    }

  const schema: Schema.Schema<unknown, unknown> = Schema.declare(
    schemas,
    {
      decode: make((member) => ParseResult.decodeUnknownEither(member), false),
      encode: make((member) => ParseResult.encodeUnknownEither(member), true)
    },
    { title: `TaggedUnion<${key}>`, [TaggedUnionAnnotationId]: table }
  )
  // the declaration is typed by its members: `unknown` above only because the member list is built at run time
  return schema as TaggedUnion<K, M>
}

/**
 * What a `format: binary` field (a multipart file part) accepts: a `Blob` (which includes `File`), a `Uint8Array`,
 * or a `StreamedFile` (its bytes written from a `Stream` as the request goes out; one whose stream can fail is taken by
 * `Files.upload`, which fails with the stream's error).
 *
 * @since 0.1.0
 * @category models
 */
export type BinaryInput = Blob | Uint8Array | StreamedFile.StreamedFile

/**
 * A binary multipart field: accepts a `Blob` (which includes `File`), a `Uint8Array` or a `StreamedFile`, kept as
 * is; the runtime turns it into a multipart part.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Binary: Schema.Schema<BinaryInput> = Schema.declare(
  (u: unknown): u is BinaryInput =>
    u instanceof Uint8Array || (typeof Blob !== "undefined" && u instanceof Blob) || StreamedFile.isStreamedFile(u),
  { identifier: "Binary", title: "Blob | Uint8Array | StreamedFile" }
)
