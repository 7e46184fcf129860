/**
 * Identifier and module naming: deterministic, collision-free names for schemas, descriptors and modules.
 */

const reservedWords = new Set([
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "as",
  "implements",
  "interface",
  "let",
  "package",
  "private",
  "protected",
  "public",
  "static",
  "yield",
  "await",
  "arguments",
  "eval",
  "undefined",
  "NaN",
  "Infinity",
  "any",
  "boolean",
  "never",
  "number",
  "object",
  "string",
  "symbol",
  "unknown",
  "bigint",
  "type",
  "declare",
  "namespace",
  "module",
  "readonly",
  "keyof",
  "infer",
  "is",
  "asserts",
  "global",
  "require"
])

/** Names the generated modules import or declare themselves: no schema may take them. */
export const importedNames: ReadonlySet<string> = new Set(["Schema", "Operation", "MistralSchema", "Operations"])

const identifierPattern = /^[A-Za-z_$][A-Za-z0-9_$]*$/

export const isIdentifier = (name: string): boolean => identifierPattern.test(name) && !reservedWords.has(name)

const words = (text: string): Array<string> =>
  text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)

/** `agents_api_v1_conversations_start` → `AgentsApiV1ConversationsStart`. */
export const pascalCase = (text: string): string => {
  const result = words(text)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join("")
  return result.length === 0 ? "Schema_" : /^[0-9]/.test(result) ? `_${result}` : result
}

/** `chat_completion_events.fields` → `chatCompletionEventsFields`. */
export const camelCase = (text: string): string => {
  const pascal = pascalCase(text)
  return pascal[0].toLowerCase() + pascal.slice(1)
}

/**
 * A component name as an identifier: as is when it is a valid identifier, otherwise PascalCased; never a reserved
 * word nor a name the generated modules import.
 */
export const sanitizeIdentifier = (name: string): string => {
  let result = isIdentifier(name) ? name : pascalCase(name)
  if (!isIdentifier(result) || importedNames.has(result)) result = `${result}_`
  return result
}

/** Allocates unique names: the first caller keeps the name, later ones get a numeric suffix. */
export class NameAllocator {
  private readonly used = new Set<string>()

  constructor(reserved: Iterable<string> = importedNames) {
    for (const name of reserved) this.used.add(name)
  }

  has(name: string): boolean {
    return this.used.has(name)
  }

  allocate(preferred: string): string {
    let name = preferred
    for (let i = 2; this.used.has(name); i++) name = `${preferred}${i}`
    this.used.add(name)
    return name
  }
}

/** Module names forced for tags whose default name would collide with another group's. */
export const moduleNameOverrides: Readonly<Record<string, string>> = {
  // the deprecated `POST /v1/agents/completions`; `beta.agents` (the Agents API) takes `agents`
  agents: "agentsCompletion"
}

/** The module name of an API group: the first tag, `beta.` dropped, camelCased. */
export const moduleNameOfTag = (tag: string): string => {
  const override = moduleNameOverrides[tag]
  if (override !== undefined) return override
  return camelCase(tag.replace(/^beta\./, ""))
}

/** Assigns module names to the given tags, failing on a collision the override table does not settle. */
export const moduleNames = (tags: Iterable<string>): Map<string, string> => {
  const result = new Map<string, string>()
  const owner = new Map<string, string>()
  for (const tag of [...new Set(tags)].sort()) {
    const name = moduleNameOfTag(tag)
    const previous = owner.get(name)
    if (previous !== undefined) {
      throw new Error(`Tags "${previous}" and "${tag}" both map to module "${name}": add an override`)
    }
    if (name === "components" || name === "index" || name === "Operations") {
      throw new Error(`Tag "${tag}" maps to the reserved module name "${name}"`)
    }
    owner.set(name, tag)
    result.set(tag, name)
  }
  return result
}

/** A property key as written in an object literal or interface. */
export const propertyKey = (name: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && name !== "__proto__" ? name : JSON.stringify(name)
