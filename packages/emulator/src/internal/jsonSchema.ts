/**
 * A deterministic instance of a JSON schema, for `response_format`
 * `json_schema` answers: strings are short fixed texts (or fit their
 * `format`), integers 1, numbers 42 (moved into `minimum`/`maximum`),
 * booleans `true`, arrays one item (or `minItems`), enums and `const` their
 * first value, objects every property (only the required ones below depth 4,
 * so recursive schemas end). `$ref`s into `#/$defs` and `#/definitions`,
 * `anyOf`/`oneOf` (the first non-null option) and `allOf` (merged) are
 * followed.
 */

type JsonSchema = Record<string, unknown>

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const formats: Record<string, string> = {
  "date-time": "2025-01-01T00:00:00Z",
  date: "2025-01-01",
  time: "00:00:00Z",
  email: "emulator@example.com",
  uri: "https://example.com/emulator",
  url: "https://example.com/emulator",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1"
}

const resolve = (root: JsonSchema, schema: JsonSchema, seen: ReadonlySet<string>): JsonSchema | undefined => {
  const ref = schema.$ref
  if (typeof ref !== "string") return schema
  if (seen.has(ref) || !ref.startsWith("#")) return undefined
  let target: unknown = root
  for (const segment of ref
    .slice(1)
    .split("/")
    .filter((part) => part !== "")) {
    if (!isObject(target)) return undefined
    target = target[segment.replace(/~1/g, "/").replace(/~0/g, "~")]
  }
  return isObject(target)
    ? resolve(root, { ...schema, ...target, $ref: undefined }, new Set([...seen, ref]))
    : undefined
}

const typeOf = (schema: JsonSchema): string | undefined => {
  const type = schema.type
  if (typeof type === "string") return type
  if (Array.isArray(type)) return type.find((t) => t !== "null") ?? "null"
  if (isObject(schema.properties)) return "object"
  if (schema.items !== undefined) return "array"
  return undefined
}

const numberIn = (schema: JsonSchema, preferred: number, integer: boolean): number => {
  let value = preferred
  const step = integer ? 1 : 0.5
  if (typeof schema.minimum === "number" && value < schema.minimum) value = schema.minimum
  if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) {
    value = schema.exclusiveMinimum + step
  }
  if (typeof schema.maximum === "number" && value > schema.maximum) value = schema.maximum
  if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) {
    value = schema.exclusiveMaximum - step
  }
  return integer ? Math.ceil(value) : value
}

const stringFor = (schema: JsonSchema, name: string): string => {
  const format = typeof schema.format === "string" ? formats[schema.format] : undefined
  let value = format ?? (name === "" ? "emulator" : name)
  const minLength = typeof schema.minLength === "number" ? schema.minLength : 0
  while (value.length < minLength) value += "x"
  if (typeof schema.maxLength === "number" && value.length > schema.maxLength) value = value.slice(0, schema.maxLength)
  return value
}

const generate = (root: JsonSchema, raw: JsonSchema, name: string, depth: number): unknown => {
  // a chain of $refs that never reaches a schema gives up; recursion through properties ends by depth
  const schema = resolve(root, raw, new Set())
  if (schema === undefined || depth > 12) return null
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  if (Array.isArray(schema.allOf)) {
    const merged: JsonSchema = { ...schema, allOf: undefined }
    for (const part of schema.allOf) {
      const resolved = isObject(part) ? resolve(root, part, new Set()) : undefined
      if (resolved === undefined) continue
      merged.properties = {
        ...(isObject(merged.properties) ? merged.properties : {}),
        ...(isObject(resolved.properties) ? resolved.properties : {})
      }
      merged.required = [
        ...(Array.isArray(merged.required) ? merged.required : []),
        ...(Array.isArray(resolved.required) ? resolved.required : [])
      ]
      merged.type ??= resolved.type
    }
    return generate(root, merged, name, depth)
  }
  const options = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined
  if (options !== undefined) {
    const option = options.find((candidate) => isObject(candidate) && candidate.type !== "null") ?? options[0]
    return isObject(option) ? generate(root, option, name, depth) : null
  }
  switch (typeOf(schema)) {
    case "string":
      return stringFor(schema, name)
    case "integer":
      return numberIn(schema, 1, true)
    case "number":
      return numberIn(schema, 42, false)
    case "boolean":
      return true
    case "null":
      return null
    case "array": {
      const items = isObject(schema.items) ? schema.items : {}
      const minItems = typeof schema.minItems === "number" ? schema.minItems : 1
      const count =
        typeof schema.maxItems === "number" ? Math.min(Math.max(minItems, 1), schema.maxItems) : Math.max(minItems, 1)
      return Array.from({ length: count }, () => generate(root, items, name, depth + 1))
    }
    case "object": {
      const properties = isObject(schema.properties) ? schema.properties : {}
      const required = new Set(Array.isArray(schema.required) ? schema.required : [])
      const value: Record<string, unknown> = {}
      for (const [key, property] of Object.entries(properties)) {
        if (!isObject(property) || (depth >= 4 && !required.has(key))) continue
        value[key] = generate(root, property, key, depth + 1)
      }
      return value
    }
    default:
      return name === "" ? {} : stringFor(schema, name)
  }
}

/** A document conforming to `schema`, the same every time. */
export const instanceOf = (schema: Record<string, unknown>): unknown => generate(schema, schema, "", 0)
