/**
 * The generator as a function: document text in, files written or compared.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import { emit, type GeneratedFile } from "./emit.js"
import { compareDirectories, type Difference, syncDirectory, writeFormatted } from "./files.js"
import type { IR, SchemaObject } from "./ir.js"
import { buildModel, type Model, type Supplement } from "./model.js"

/** Parses the document as YAML 1.2 (core schema: `1e+09` is a number). */
export const parseDocument = (text: string): unknown =>
  parse(text, { version: "1.2", schema: "core", uniqueKeys: false })

/**
 * Merges supplementary documents (YAML with `x-module` and `components.schemas`) into the document's components; a
 * schema name both define is an error, never a silent override.
 */
export const mergeSupplements = (doc: SchemaObject, texts: ReadonlyArray<string>): Array<Supplement> => {
  const supplements: Array<Supplement> = []
  doc.components = doc.components ?? {}
  doc.components.schemas = doc.components.schemas ?? {}
  for (const text of texts) {
    const supplement = parseDocument(text) as SchemaObject
    const module = supplement?.["x-module"]
    const schemas = supplement?.components?.schemas
    if (typeof module !== "string" || typeof schemas !== "object" || schemas === null) {
      throw new Error("a supplementary document needs x-module and components.schemas")
    }
    for (const [name, schema] of Object.entries(schemas)) {
      if (doc.components.schemas[name] !== undefined) {
        throw new Error(`supplementary schema ${name} (${module}) is already defined by the document`)
      }
      doc.components.schemas[name] = schema
    }
    supplements.push({ module, schemas: Object.keys(schemas) })
  }
  return supplements
}

export const generateFiles = (
  text: string,
  supplements: ReadonlyArray<string> = []
): { readonly model: Model; readonly files: Array<GeneratedFile> } => {
  const doc = parseDocument(text) as SchemaObject
  const model = buildModel(doc, mergeSupplements(doc, supplements))
  return { model, files: emit(model) }
}

export interface Stats {
  readonly components: number
  readonly inline: number
  readonly defs: number
  readonly operations: number
  readonly taggedUnions: number
  readonly plainUnions: number
  readonly openEnums: number
}

export const statsOf = (model: Model): Stats => {
  let taggedUnions = 0
  let plainUnions = 0
  let openEnums = 0
  const walk = (ir: IR): void => {
    switch (ir.kind) {
      case "enum":
      case "numericEnum":
        openEnums++
        break
      case "array":
        walk(ir.items)
        break
      case "tuple":
        ir.elements.forEach(walk)
        break
      case "object":
        for (const p of ir.properties) walk(p.schema)
        if (ir.additional !== undefined) walk(ir.additional)
        break
      case "record":
        walk(ir.value)
        break
      case "nullable":
        walk(ir.inner)
        break
      case "union":
        plainUnions++
        ir.members.forEach(walk)
        break
      case "tagged":
        taggedUnions++
        for (const m of ir.members) walk(m.member)
        break
    }
  }
  const schemas = [...model.schemas.values()]
  for (const s of schemas) walk(s.ir)
  return {
    components: schemas.filter((s) => s.origin === "component").length,
    inline: schemas.filter((s) => s.origin === "inline").length,
    defs: schemas.filter((s) => s.origin === "def").length,
    operations: model.operations.length,
    taggedUnions,
    plainUnions,
    openEnums
  }
}

export interface GenerateOptions {
  readonly spec: string
  /** Supplementary documents (see `mergeSupplements`). */
  readonly supplements?: ReadonlyArray<string> | undefined
  readonly outDir: string
  readonly check: boolean
  readonly biomeConfig: string
}

export const generate = (
  options: GenerateOptions
): { readonly differences: Array<Difference>; readonly warnings: ReadonlyArray<string>; readonly stats: string } => {
  const { model, files } = generateFiles(options.spec, options.supplements)
  const formatted = writeFormatted(files, options.biomeConfig)
  try {
    const differences = options.check
      ? compareDirectories(formatted, options.outDir)
      : syncDirectory(formatted, options.outDir)
    const s = statsOf(model)
    const stats = `${s.operations} operations, ${s.components} component schemas, ${s.inline} inline schemas, ${s.defs} $defs schemas, ${s.taggedUnions} tagged unions, ${s.plainUnions} plain unions, ${s.openEnums} open enums`
    return { differences, warnings: model.warnings, stats }
  } finally {
    fs.rmSync(path.dirname(formatted), { recursive: true, force: true })
  }
}
