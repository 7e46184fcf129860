/**
 * The intermediate representation of a schema, and its construction from OpenAPI 3.1 schema objects.
 *
 * Everything the document says in prose (descriptions, titles, examples, defaults) is dropped here: only the shape
 * survives.
 */

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI schema object is untyped JSON
export type SchemaObject = any

export type IR =
  | { readonly kind: "unknown" }
  | { readonly kind: "string" }
  | { readonly kind: "number" }
  | { readonly kind: "boolean" }
  | { readonly kind: "binary" }
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "enum"; readonly values: ReadonlyArray<string> }
  | { readonly kind: "numericEnum"; readonly values: ReadonlyArray<number> }
  | { readonly kind: "ref"; readonly name: string }
  | { readonly kind: "array"; readonly items: IR }
  | { readonly kind: "tuple"; readonly elements: ReadonlyArray<IR> }
  | {
      readonly kind: "object"
      readonly properties: ReadonlyArray<Property>
      /** `undefined`: closed (extra keys ignored); otherwise the schema of every extra key's value. */
      readonly additional: IR | undefined
    }
  | { readonly kind: "record"; readonly value: IR }
  | { readonly kind: "nullable"; readonly inner: IR }
  | { readonly kind: "union"; readonly members: ReadonlyArray<IR> }
  | {
      readonly kind: "tagged"
      readonly key: string
      readonly members: ReadonlyArray<{ readonly tag: string; readonly member: IR }>
      /** Tags whose member does not require the discriminant, in declaration order: tried when it is absent. */
      readonly absent: ReadonlyArray<string>
    }

export interface Property {
  readonly name: string
  readonly schema: IR
  readonly required: boolean
  readonly deprecated: boolean
}

export const unknownIR: IR = { kind: "unknown" }

/** Where `$ref`s resolve: the document's components, and the `$defs` of the enclosing schema if it has any. */
export interface Scope {
  /** The key of the schema that owns `defs` (for naming what they define). */
  readonly owner: string
  readonly defs: Readonly<Record<string, SchemaObject>> | undefined
}

export interface Resolver {
  /** The component schemas of the document. */
  readonly components: Readonly<Record<string, SchemaObject>>
  /** The IR reference to a component. */
  readonly componentRef: (name: string) => IR
  /** The IR reference to a `$defs` entry of a scope. */
  readonly defRef: (scope: Scope, name: string) => IR
  readonly warn: (message: string) => void
}

const componentPrefix = "#/components/schemas/"
const defsPrefix = "#/$defs/"

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Follows `$ref`s to the schema object they name, with the scope it lives in. */
export const deref = (
  resolver: Resolver,
  schema: SchemaObject,
  scope: Scope
): { readonly schema: SchemaObject; readonly scope: Scope } | undefined => {
  const seen = new Set<string>()
  while (isObject(schema) && typeof schema.$ref === "string") {
    const ref: string = schema.$ref
    if (seen.has(ref)) return undefined
    seen.add(ref)
    if (ref.startsWith(componentPrefix)) {
      const name = ref.slice(componentPrefix.length)
      const target = resolver.components[name]
      if (target === undefined) return undefined
      schema = target
      scope = { owner: name, defs: target.$defs }
    } else if (ref.startsWith(defsPrefix) && scope.defs !== undefined) {
      const target = scope.defs[ref.slice(defsPrefix.length)]
      if (target === undefined) return undefined
      schema = target
    } else {
      return undefined
    }
  }
  return { schema, scope }
}

const nullSchema = (s: SchemaObject): boolean => isObject(s) && s.type === "null" && s.$ref === undefined

interface FlatObject {
  readonly properties: Array<{ readonly name: string; readonly schema: SchemaObject; readonly scope: Scope }>
  readonly required: Set<string>
  additional: SchemaObject | boolean | undefined
}

const isObjectLike = (s: SchemaObject): boolean =>
  isObject(s) && (s.type === "object" || isObject(s.properties) || Array.isArray(s.allOf))

/**
 * Merges an object schema and its `allOf` members (following references) into one list of properties. Later
 * members override earlier ones' properties of the same name.
 */
export const flattenObject = (resolver: Resolver, schema: SchemaObject, scope: Scope): FlatObject | undefined => {
  const result: FlatObject = { properties: [], required: new Set(), additional: undefined }
  const visit = (s: SchemaObject, sc: Scope, depth: number): boolean => {
    if (depth > 32) return false
    const resolved = deref(resolver, s, sc)
    if (resolved === undefined) return false
    const { schema: target, scope: targetScope } = resolved
    if (!isObjectLike(target)) return false
    if (Array.isArray(target.allOf)) {
      for (const member of target.allOf) if (!visit(member, targetScope, depth + 1)) return false
    }
    if (isObject(target.properties)) {
      for (const [name, property] of Object.entries(target.properties)) {
        const index = result.properties.findIndex((p) => p.name === name)
        const entry = { name, schema: property, scope: targetScope }
        if (index >= 0) result.properties[index] = entry
        else result.properties.push(entry)
      }
    }
    if (Array.isArray(target.required)) for (const name of target.required) result.required.add(String(name))
    if (target.additionalProperties !== undefined) result.additional = target.additionalProperties
    return true
  }
  return visit(schema, scope, 0) ? result : undefined
}

/** The single value a property pins its schema to (`const` or a one-value `enum`), if any. */
export const pinnedValue = (
  resolver: Resolver,
  schema: SchemaObject,
  scope: Scope
): { readonly value: unknown } | undefined => {
  const resolved = deref(resolver, schema, scope)
  if (resolved === undefined || !isObject(resolved.schema)) return undefined
  const s = resolved.schema
  if ("const" in s) return { value: s.const }
  if (Array.isArray(s.enum) && s.enum.length === 1) return { value: s.enum[0] }
  if (Array.isArray(s.allOf) && s.allOf.length === 1) return pinnedValue(resolver, s.allOf[0], resolved.scope)
  return undefined
}

const preferredKeys = ["type", "object", "role", "kind", "event", "status", "op"]

export interface Discriminant {
  readonly key: string
  /** For each member, in order: its tag and whether it requires the discriminant. */
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly required: boolean }>
}

/**
 * Finds the property that discriminates the members of a union: the declared `discriminator.propertyName`, or a
 * property every member pins to a distinct string (`const` or one-value `enum`). `undefined` when the members are not
 * all objects or no such property exists.
 */
export const findDiscriminant = (
  resolver: Resolver,
  members: ReadonlyArray<SchemaObject>,
  scope: Scope,
  discriminator: SchemaObject | undefined
): Discriminant | undefined => {
  if (members.length < 2) return undefined
  const flats: Array<{ flat: FlatObject; ref: string | undefined }> = []
  for (const member of members) {
    const flat = flattenObject(resolver, member, scope)
    if (flat === undefined || flat.properties.length === 0) return undefined
    flats.push({ flat, ref: isObject(member) && typeof member.$ref === "string" ? member.$ref : undefined })
  }
  const tagsFor = (key: string, explicit: boolean): Discriminant["tags"] | undefined => {
    const tags: Array<{ tag: string; required: boolean }> = []
    for (const { flat, ref } of flats) {
      const property = flat.properties.find((p) => p.name === key)
      let tag: string | undefined
      if (property !== undefined) {
        const pinned = pinnedValue(resolver, property.schema, property.scope)
        if (pinned !== undefined && typeof pinned.value === "string") tag = pinned.value
      }
      if (tag === undefined && explicit && ref !== undefined && isObject(discriminator?.mapping)) {
        const entry = Object.entries(discriminator.mapping as Record<string, string>).find(
          ([, target]) => target === ref
        )
        if (entry !== undefined) tag = entry[0]
      }
      if (tag === undefined) return undefined
      tags.push({ tag, required: flat.required.has(key) && property !== undefined })
    }
    return tags
  }
  if (isObject(discriminator) && typeof discriminator.propertyName === "string") {
    const tags = tagsFor(discriminator.propertyName, true)
    if (tags !== undefined) return { key: discriminator.propertyName, tags }
  }
  const candidates = new Set<string>()
  for (const p of flats[0].flat.properties) candidates.add(p.name)
  const ordered = [...candidates].sort((a, b) => {
    const ia = preferredKeys.indexOf(a)
    const ib = preferredKeys.indexOf(b)
    return (ia < 0 ? preferredKeys.length : ia) - (ib < 0 ? preferredKeys.length : ib) || (a < b ? -1 : a > b ? 1 : 0)
  })
  for (const key of ordered) {
    const tags = tagsFor(key, false)
    if (tags !== undefined && new Set(tags.map((t) => t.tag)).size === tags.length) return { key, tags }
  }
  return undefined
}

export interface ConvertOptions {
  /** Properties of this (top-level) object that are documented as required but must stay optional. */
  readonly optionalOverrides?: ReadonlySet<string> | undefined
  /**
   * Whether a one-value `enum` stays open: true for a named enum type (a component such as `ToolTypes`, which grows
   * over time), false inline, where a one-value enum pins a value (`stream: enum [true]`).
   */
  readonly openSingleValueEnum?: boolean | undefined
}

/** Converts an OpenAPI schema object to IR. */
export const convert = (resolver: Resolver, schema: SchemaObject, scope: Scope, options: ConvertOptions = {}): IR => {
  if (schema === true || schema === undefined) return unknownIR
  if (!isObject(schema)) return unknownIR
  const s: SchemaObject = schema

  if (typeof s.$ref === "string") {
    const ref: string = s.$ref
    if (ref.startsWith(componentPrefix)) {
      const name = ref.slice(componentPrefix.length)
      if (resolver.components[name] !== undefined) return resolver.componentRef(name)
    } else if (ref.startsWith(defsPrefix) && scope.defs?.[ref.slice(defsPrefix.length)] !== undefined) {
      return resolver.defRef(scope, ref.slice(defsPrefix.length))
    }
    resolver.warn(`unresolvable $ref "${ref}" in ${scope.owner}: using Schema.Unknown`)
    return unknownIR
  }

  if (s.nullable === true) {
    const { nullable: _, ...rest } = s
    return nullable(convert(resolver, rest, scope, options))
  }

  if (Array.isArray(s.type)) {
    const types: Array<string> = s.type
    const nonNull = types.filter((t) => t !== "null")
    const inner: IR =
      nonNull.length === 1
        ? convert(resolver, { ...s, type: nonNull[0] }, scope, options)
        : nonNull.length === 0
          ? { kind: "literal", value: null }
          : union(nonNull.map((t) => convert(resolver, { ...s, type: t }, scope, options)))
    return types.includes("null") ? nullable(inner) : inner
  }

  if ("const" in s) return literal(s.const)

  if (Array.isArray(s.enum)) {
    const values: Array<unknown> = s.enum
    const nonNull = values.filter((v) => v !== null)
    const inner =
      options.openSingleValueEnum === true && nonNull.length === 1 && typeof nonNull[0] === "string"
        ? ({ kind: "enum", values: [nonNull[0]] } as const)
        : enumIR(nonNull)
    return values.includes(null) ? nullable(inner) : inner
  }

  if (Array.isArray(s.allOf)) {
    if (s.allOf.length === 1 && !isObject(s.properties)) return convert(resolver, s.allOf[0], scope, options)
    const flat = flattenObject(resolver, s, scope)
    if (flat !== undefined) return objectFromFlat(resolver, flat, scope, options)
    resolver.warn(`allOf of non-object members in ${scope.owner}: using its first member`)
    return convert(resolver, s.allOf[0], scope, options)
  }

  const alternatives: Array<SchemaObject> | undefined = Array.isArray(s.anyOf)
    ? s.anyOf
    : Array.isArray(s.oneOf)
      ? s.oneOf
      : undefined
  if (alternatives !== undefined) {
    const nonNull = alternatives.filter((m) => !nullSchema(m))
    const hasNull = nonNull.length !== alternatives.length
    let inner: IR
    if (nonNull.length === 0) inner = { kind: "literal", value: null }
    else if (nonNull.length === 1) inner = convert(resolver, nonNull[0], scope)
    else {
      const discriminant = findDiscriminant(resolver, nonNull, scope, s.discriminator)
      if (discriminant !== undefined) {
        inner = {
          kind: "tagged",
          key: discriminant.key,
          members: nonNull.map((m, i) => ({ tag: discriminant.tags[i].tag, member: convert(resolver, m, scope) })),
          absent: [...new Set(discriminant.tags.filter((t) => !t.required).map((t) => t.tag))]
        }
      } else {
        inner = union(nonNull.map((m) => convert(resolver, m, scope)))
      }
    }
    return hasNull ? nullable(inner) : inner
  }

  switch (s.type) {
    case "null":
      return { kind: "literal", value: null }
    case "string":
      return s.format === "binary" ? { kind: "binary" } : { kind: "string" }
    case "integer":
    case "number":
      return { kind: "number" }
    case "boolean":
      return { kind: "boolean" }
    case "array":
      return arrayIR(resolver, s, scope)
    case "object":
      break
    default:
      if (s.type !== undefined) {
        resolver.warn(`unknown type ${JSON.stringify(s.type)} in ${scope.owner}: using Schema.Unknown`)
        return unknownIR
      }
      if (s.items !== undefined || s.prefixItems !== undefined) return arrayIR(resolver, s, scope)
      if (!isObject(s.properties) && s.additionalProperties === undefined) return unknownIR
  }

  const flat = flattenObject(resolver, s, scope)
  if (flat === undefined) return unknownIR
  return objectFromFlat(resolver, flat, scope, options)
}

const arrayIR = (resolver: Resolver, s: SchemaObject, scope: Scope): IR => {
  if (Array.isArray(s.prefixItems)) {
    return { kind: "tuple", elements: s.prefixItems.map((e: SchemaObject) => convert(resolver, e, scope)) }
  }
  return { kind: "array", items: convert(resolver, s.items, scope) }
}

const objectFromFlat = (resolver: Resolver, flat: FlatObject, scope: Scope, options: ConvertOptions): IR => {
  const additional =
    flat.additional === true
      ? unknownIR
      : isObject(flat.additional)
        ? convert(resolver, flat.additional, scope)
        : undefined
  if (flat.properties.length === 0) {
    if (flat.additional === false) return { kind: "object", properties: [], additional: undefined }
    return { kind: "record", value: additional ?? unknownIR }
  }
  // names in `required` that no property defines (a defect of the document) are ignored
  const properties: Array<Property> = flat.properties.map((p) => ({
    name: p.name,
    schema: convert(resolver, p.schema, p.scope),
    required: flat.required.has(p.name) && !(options.optionalOverrides?.has(p.name) ?? false),
    deprecated: isObject(p.schema) && p.schema.deprecated === true
  }))
  return { kind: "object", properties, additional }
}

const literal = (value: unknown): IR => {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return { kind: "literal", value }
  }
  return unknownIR
}

const enumIR = (values: ReadonlyArray<unknown>): IR => {
  const unique = [...new Set(values)]
  if (unique.length === 0) return unknownIR
  if (unique.length === 1) return literal(unique[0])
  if (unique.every((v) => typeof v === "string")) return { kind: "enum", values: unique as Array<string> }
  if (unique.every((v) => typeof v === "number")) return { kind: "numericEnum", values: unique as Array<number> }
  if (unique.every((v) => typeof v === "boolean")) return { kind: "boolean" }
  return union(unique.map(literal))
}

const nullable = (inner: IR): IR => {
  if (inner.kind === "nullable" || (inner.kind === "literal" && inner.value === null) || inner.kind === "unknown") {
    return inner
  }
  return { kind: "nullable", inner }
}

const union = (members: ReadonlyArray<IR>): IR => {
  const unique: Array<IR> = []
  const seen = new Set<string>()
  for (const member of members) {
    const key = JSON.stringify(member)
    if (!seen.has(key)) {
      seen.add(key)
      unique.push(member)
    }
  }
  if (unique.some((m) => m.kind === "unknown")) return unknownIR
  return unique.length === 1 ? unique[0] : { kind: "union", members: unique }
}

/** The names of the named schemas an IR refers to, in order of appearance. */
export const refsOf = (ir: IR, into: Array<string> = []): Array<string> => {
  switch (ir.kind) {
    case "ref":
      into.push(ir.name)
      break
    case "array":
      refsOf(ir.items, into)
      break
    case "tuple":
      for (const e of ir.elements) refsOf(e, into)
      break
    case "object":
      for (const p of ir.properties) refsOf(p.schema, into)
      if (ir.additional !== undefined) refsOf(ir.additional, into)
      break
    case "record":
      refsOf(ir.value, into)
      break
    case "nullable":
      refsOf(ir.inner, into)
      break
    case "union":
      for (const m of ir.members) refsOf(m, into)
      break
    case "tagged":
      for (const m of ir.members) refsOf(m.member, into)
      break
  }
  return into
}
