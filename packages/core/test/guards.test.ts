import { describe, expect, it } from "@effect/vitest"
import { expectTypeOf } from "vitest"
import { Schema } from "effect"
import * as ModelsSchemas from "../src/generated/models.js"
import * as MistralSchema from "../src/MistralSchema.js"

const card = (id: string, type: string) => ({
  id,
  object: "model",
  created: 1,
  owned_by: "mistralai",
  capabilities: { completion_chat: true },
  type
})

describe("guards for forward-compatible unions", () => {
  const list = Schema.decodeUnknownSync(ModelsSchemas.ModelList)({
    object: "list",
    data: [card("a", "base"), card("b", "a-kind-from-the-future"), { ...card("c", "fine-tuned"), job: "j", root: "r" }]
  })

  it("isKnown narrows a union to its known members: models.data.map((m) => m.id)", () => {
    const data = list.data ?? []
    expect(data).toHaveLength(3)
    expect(MistralSchema.isUnknown(data[1])).toBe(true)
    // without the guard `m.id` does not typecheck: the unknown member has no `id` (checked by tsc, no runtime cost)
    expectTypeOf<(typeof data)[number]>().not.toHaveProperty("id")
    expectTypeOf<MistralSchema.Known<(typeof data)[number]>>().toHaveProperty("id")
    // and at run time the unknown member indeed has none
    expect(data.map((m) => (m as { readonly id?: string }).id)).toEqual(["a", undefined, "c"])
    const ids: Array<string> = data.filter(MistralSchema.isKnown).map((m) => m.id)
    expect(ids).toEqual(["a", "c"])
    expect(MistralSchema.known(list.data).map((m) => m.type)).toEqual(["base", "fine-tuned"])
    expect(MistralSchema.known(undefined)).toEqual([])
  })

  it("isKnown is false only for the unknown member", () => {
    const data = list.data ?? []
    expect(data.map(MistralSchema.isKnown)).toEqual([true, false, true])
  })
})
