/**
 * The model of the whole API: named schemas (components, inline operation schemas, `$defs`), operations, groups and
 * the partition of schemas into modules.
 */
import { convert, type IR, type Resolver, refsOf, type SchemaObject, type Scope } from "./ir.js"
import { moduleNames, NameAllocator, pascalCase, sanitizeIdentifier } from "./naming.js"

export interface NamedSchema {
  readonly name: string
  readonly ir: IR
  readonly origin: "component" | "inline" | "def"
  /** Set once the partition is known. */
  module: string
}

export type ResponseKind = "json" | "empty" | "bytes" | "sse" | "json-or-sse"

export interface OperationModel {
  readonly operationId: string
  readonly method: string
  readonly path: string
  readonly rawPath: string
  readonly tags: ReadonlyArray<string>
  readonly deprecated: boolean
  readonly module: string
  readonly pathParameters: string | undefined
  readonly query: string | undefined
  readonly queryJson: ReadonlyArray<string>
  readonly headers: string | undefined
  readonly body: { readonly mediaType: string; readonly required: boolean; readonly schema: string } | undefined
  readonly response: ResponseKind
  readonly successStatus: number
  readonly successMediaType: string | undefined
  readonly success: string | undefined
  readonly event: string | undefined
  readonly errors: ReadonlyArray<{ readonly status: number; readonly schema: string }>
}

export interface Model {
  readonly schemas: ReadonlyMap<string, NamedSchema>
  readonly operations: ReadonlyArray<OperationModel>
  /** Module name → the tag it comes from. */
  readonly modules: ReadonlyArray<string>
  /** The modules of supplementary documents (schemas the OpenAPI document does not describe). */
  readonly supplementModules: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/**
 * Documented-required response fields the real API omits: they are generated as optional.
 *
 * Only fields with evidence belong here. `ChatCompletionResponse.data` (required but never defined nor sent) needs no
 * entry: names in `required` that no property defines are ignored for every schema.
 */
export const requiredOverrides: Readonly<Record<string, ReadonlyArray<string>>> = {}

/** The pseudo-group of schemas no operation reaches. */
const unreachedGroup = "\u0000unreached"

const methods = ["get", "put", "post", "delete", "patch"] as const

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Strips prose so that two schemas can be compared by shape. */
const shapeOf = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(shapeOf)
  if (!isObject(schema)) return schema
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(schema).sort()) {
    if (["description", "title", "example", "examples", "default", "$defs"].includes(key)) continue
    result[key] = shapeOf(schema[key])
  }
  return result
}

/**
 * Gives the inline `data` payload of component SSE wrappers (`{ event, data }`) a name of its own
 * (`ConversationEventsData`), so that the wrapper and every stream descriptor share one schema.
 */
export const hoistEventData = (doc: SchemaObject): void => {
  const components: Record<string, SchemaObject> = doc.components.schemas
  const wrappers = new Set<string>()
  for (const item of Object.values<SchemaObject>(doc.paths)) {
    for (const method of methods) {
      const op = item[method]
      if (op === undefined) continue
      for (const response of Object.values<SchemaObject>(op.responses ?? {})) {
        const ref = response?.content?.["text/event-stream"]?.schema?.$ref
        if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) {
          wrappers.add(ref.slice("#/components/schemas/".length))
        }
      }
    }
  }
  for (const wrapper of [...wrappers].sort()) {
    const schema = components[wrapper]
    const data = schema?.properties?.data
    if (!isObject(data) || typeof data.$ref === "string") continue
    let name = `${wrapper}Data`
    for (let i = 2; components[name] !== undefined; i++) name = `${wrapper}Data${i}`
    components[name] = data
    schema.properties = { ...schema.properties, data: { $ref: `#/components/schemas/${name}` } }
  }
}

/**
 * Schemas that a supplementary document adds to the API's (the messages of a protocol the document does not describe,
 * such as the realtime WebSocket): the schemas it reaches that no operation does go to `module`.
 */
export interface Supplement {
  readonly module: string
  /** The component names the supplement defines. */
  readonly schemas: ReadonlyArray<string>
}

export const buildModel = (doc: SchemaObject, supplements: ReadonlyArray<Supplement> = []): Model => {
  hoistEventData(doc)
  const warnings: Array<string> = []
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message)
  }
  const components: Record<string, SchemaObject> = doc.components?.schemas ?? {}
  const names = new NameAllocator()

  // operation ids name the descriptors: reserve them first (snake_case, so they never meet a PascalCase schema)
  const rawOperations: Array<{ path: string; method: string; op: SchemaObject }> = []
  for (const [path, item] of Object.entries<SchemaObject>(doc.paths ?? {})) {
    for (const method of methods) if (item[method] !== undefined) rawOperations.push({ path, method, op: item[method] })
  }
  rawOperations.sort((a, b) => (a.op.operationId < b.op.operationId ? -1 : a.op.operationId > b.op.operationId ? 1 : 0))
  for (const { op } of rawOperations) {
    if (names.has(op.operationId)) throw new Error(`Duplicate operationId ${op.operationId}`)
    names.allocate(op.operationId)
  }

  const componentNames = new Map<string, string>()
  for (const key of Object.keys(components).sort()) componentNames.set(key, names.allocate(sanitizeIdentifier(key)))

  const schemas = new Map<string, NamedSchema>()
  const defNames = new Map<string, string>()
  const pendingDefs: Array<{ name: string; schema: SchemaObject; scope: Scope }> = []

  const resolver: Resolver = {
    components,
    componentRef: (name) => ({ kind: "ref", name: componentNames.get(name)! }),
    defRef: (scope, defName) => {
      const key = `${scope.owner}#${defName}`
      let name = defNames.get(key)
      if (name === undefined) {
        const schema = scope.defs![defName]
        const twin = components[defName]
        if (twin !== undefined && JSON.stringify(shapeOf(twin)) === JSON.stringify(shapeOf(schema))) {
          name = componentNames.get(defName)!
        } else {
          const preferred = sanitizeIdentifier(defName)
          name = names.allocate(names.has(preferred) ? `${pascalCase(scope.owner)}${preferred}` : preferred)
          pendingDefs.push({ name, schema, scope })
        }
        defNames.set(key, name)
      }
      return { kind: "ref", name }
    },
    warn
  }

  for (const [key, name] of componentNames) {
    const schema = components[key]
    const overrides = requiredOverrides[key]
    schemas.set(name, {
      name,
      origin: "component",
      module: "",
      ir: convert(
        resolver,
        schema,
        { owner: key, defs: schema?.$defs },
        {
          optionalOverrides: overrides === undefined ? undefined : new Set(overrides),
          openSingleValueEnum: true
        }
      )
    })
  }

  const groupOf = moduleNames(rawOperations.map(({ op }) => (op.tags ?? ["default"])[0]))

  const operations: Array<OperationModel> = []
  const rootsByOperation = new Map<string, Array<string>>()
  for (const { path, method, op } of rawOperations) {
    const operationId: string = op.operationId
    const pascal = pascalCase(operationId)
    const tags: Array<string> = op.tags ?? ["default"]
    const module = groupOf.get(tags[0])!
    const roots: Array<string> = []
    const inlineScope = (schema: SchemaObject): Scope => ({ owner: pascal, defs: schema?.$defs })

    /** A schema as a named schema: references stay, inline schemas get a name from the operation and a role. */
    const named = (schema: SchemaObject, role: string): string => {
      const ir = convert(resolver, schema, inlineScope(schema))
      if (ir.kind === "ref") {
        roots.push(ir.name)
        return ir.name
      }
      const name = names.allocate(`${pascal}${role}`)
      schemas.set(name, { name, ir, origin: "inline", module })
      roots.push(name)
      return name
    }

    const parameters: Array<SchemaObject> = op.parameters ?? []
    const parameterStruct = (location: string, role: string): { name: string | undefined; json: Array<string> } => {
      const list = parameters.filter((p) => p.in === location)
      if (list.length === 0) return { name: undefined, json: [] }
      const json: Array<string> = []
      const properties = list.map((p) => {
        let schema = p.schema
        if (schema === undefined && isObject(p.content)) {
          const mediaType = Object.keys(p.content)[0]
          schema = (p.content[mediaType] as SchemaObject)?.schema
          if (mediaType === "application/json") json.push(p.name)
        }
        return {
          name: String(p.name),
          schema: convert(resolver, schema, inlineScope(schema)),
          required: location === "path" || p.required === true,
          deprecated: p.deprecated === true
        }
      })
      const name = names.allocate(`${pascal}${role}`)
      const ir: IR = { kind: "object", properties, additional: undefined }
      schemas.set(name, { name, ir, origin: "inline", module })
      roots.push(name)
      return { name, json }
    }
    const pathParameters = parameterStruct("path", "PathParameters")
    const query = parameterStruct("query", "Query")
    const headers = parameterStruct("header", "Headers")

    let body: OperationModel["body"]
    if (op.requestBody !== undefined) {
      const content: Record<string, SchemaObject> = op.requestBody.content ?? {}
      const mediaType = content["application/json"]
        ? "application/json"
        : content["multipart/form-data"]
          ? "multipart/form-data"
          : Object.keys(content)[0]
      if (mediaType !== "application/json" && mediaType !== "multipart/form-data") {
        warn(`${operationId}: request body media type ${mediaType} is not supported`)
      }
      body = {
        mediaType,
        required: op.requestBody.required === true,
        schema: named(content[mediaType]?.schema, "Body")
      }
    }

    const responses: Record<string, SchemaObject> = op.responses ?? {}
    const statuses = Object.keys(responses)
      .filter((s) => /^2\d\d$/.test(s))
      .sort()
    const successStatus = statuses.length > 0 ? Number(statuses[0]) : 200
    const successContent: Record<string, SchemaObject> = responses[String(successStatus)]?.content ?? {}
    const mediaTypes = Object.keys(successContent)
    const jsonType = mediaTypes.find((m) => m === "application/json" || m.endsWith("+json"))
    const sseType = mediaTypes.find((m) => m === "text/event-stream")
    let response: ResponseKind
    let successMediaType: string | undefined
    let success: string | undefined
    let event: string | undefined
    if (jsonType !== undefined && sseType !== undefined) {
      response = "json-or-sse"
      successMediaType = jsonType
    } else if (jsonType !== undefined) {
      response = "json"
      successMediaType = jsonType
    } else if (sseType !== undefined) {
      response = "sse"
      successMediaType = sseType
    } else if (mediaTypes.length > 0) {
      response = "bytes"
      successMediaType = mediaTypes[0]
    } else {
      response = "empty"
    }
    if (jsonType !== undefined) {
      const schema = successContent[jsonType]?.schema
      success = schema === undefined ? named({}, "Response") : named(schema, "Response")
    }
    if (sseType !== undefined) event = eventSchema(successContent[sseType]?.schema)

    function eventSchema(schema: SchemaObject): string {
      const scope = inlineScope(schema)
      const dataOf = (s: SchemaObject, sc: Scope): { schema: SchemaObject; scope: Scope } | undefined => {
        let target = s
        let targetScope = sc
        if (isObject(s) && typeof s.$ref === "string" && s.$ref.startsWith("#/components/schemas/")) {
          const key = s.$ref.slice("#/components/schemas/".length)
          target = components[key]
          targetScope = { owner: key, defs: target?.$defs }
        }
        if (isObject(target) && isObject(target.properties) && target.properties.data !== undefined) {
          return { schema: target.properties.data, scope: targetScope }
        }
        return undefined
      }
      const direct = dataOf(schema, scope)
      if (direct !== undefined) {
        const ir = convert(resolver, direct.schema, direct.scope)
        if (ir.kind === "ref") {
          roots.push(ir.name)
          return ir.name
        }
        const name = names.allocate(`${pascal}Event`)
        schemas.set(name, { name, ir, origin: "inline", module })
        roots.push(name)
        return name
      }
      const alternatives: Array<SchemaObject> | undefined = isObject(schema)
        ? ((schema.oneOf ?? schema.anyOf) as Array<SchemaObject> | undefined)
        : undefined
      if (alternatives !== undefined) {
        const datas = alternatives.map((a) => dataOf(a, scope))
        if (datas.every((d) => d !== undefined)) {
          return named({ anyOf: datas.map((d) => d!.schema) }, "Event")
        }
      }
      return named(schema, "Event")
    }

    const errors: Array<{ status: number; schema: string }> = []
    for (const status of Object.keys(responses).sort()) {
      if (/^2\d\d$/.test(status) || !/^\d{3}$/.test(status)) continue
      const content: Record<string, SchemaObject> = responses[status]?.content ?? {}
      const mediaType = Object.keys(content).find((m) => m === "application/json" || m.endsWith("+json"))
      if (mediaType === undefined) continue
      errors.push({ status: Number(status), schema: named(content[mediaType]?.schema ?? {}, `Error${status}`) })
    }

    rootsByOperation.set(operationId, roots)
    operations.push({
      operationId,
      method: method.toUpperCase(),
      path: path.replace(/#.*$/, ""),
      rawPath: path,
      tags,
      deprecated: op.deprecated === true,
      module,
      pathParameters: pathParameters.name,
      query: query.name,
      queryJson: [...pathParameters.json, ...query.json, ...headers.json],
      headers: headers.name,
      body,
      response,
      successStatus,
      successMediaType,
      success,
      event,
      errors
    })
  }

  // `$defs` met while converting: convert them (which may meet more)
  while (pendingDefs.length > 0) {
    const { name, schema, scope } = pendingDefs.shift()!
    schemas.set(name, { name, origin: "def", module: "", ir: convert(resolver, schema, scope) })
  }

  // partition: a schema reachable from the operations of exactly one group lives in that group's module
  // (schemas no operation reaches count as a group of their own, so that what they use moves to components too)
  const groupsOf = new Map<string, Set<string>>()
  const mark = (roots: ReadonlyArray<string>, group: string) => {
    const stack = [...roots]
    const seen = new Set<string>()
    while (stack.length > 0) {
      const name = stack.pop()!
      if (seen.has(name)) continue
      seen.add(name)
      const groups = groupsOf.get(name) ?? new Set<string>()
      groups.add(group)
      groupsOf.set(name, groups)
      const schema = schemas.get(name)
      if (schema === undefined) {
        warn(`reference to undefined schema ${name}`)
        continue
      }
      for (const ref of refsOf(schema.ir)) if (!seen.has(ref)) stack.push(ref)
    }
  }
  for (const op of operations) mark(rootsByOperation.get(op.operationId)!, op.module)
  for (const supplement of supplements) {
    mark(
      supplement.schemas.map((key) => componentNames.get(key)!),
      supplement.module
    )
  }
  const unreached = [...schemas.keys()].filter((name) => !groupsOf.has(name))
  mark(unreached, unreachedGroup)
  for (const schema of schemas.values()) {
    const groups = groupsOf.get(schema.name)!
    const [group] = groups
    schema.module = groups.size === 1 && group !== unreachedGroup ? group : "components"
  }

  return {
    schemas,
    operations,
    modules: [...new Set([...groupOf.values(), ...supplements.map((s) => s.module)])].sort(),
    supplementModules: supplements.map((s) => s.module),
    warnings
  }
}
