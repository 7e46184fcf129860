import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import * as Generated from "../src/generated/index.js"
import { Operations } from "../src/generated/Operations.js"
import type * as Operation from "../src/Operation.js"

const specPath =
  process.env.MISTRAL_OPENAPI ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../shared/spec/mistral-openapi.yaml")

interface DocumentedOperation {
  readonly operationId: string
  readonly tags: ReadonlyArray<string>
  readonly deprecated?: boolean
  readonly requestBody?: { readonly required?: boolean }
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string }>
  readonly responses: Record<string, { readonly content?: Record<string, unknown> }>
}

const document = parse(fs.readFileSync(specPath, "utf8"), { version: "1.2" }) as {
  readonly paths: Record<string, Partial<Record<string, DocumentedOperation>>>
}

const methods = ["get", "put", "post", "delete", "patch"] as const

const documented = Object.entries(document.paths).flatMap(([rawPath, item]) =>
  methods.flatMap((method) => {
    const op = item[method]
    return op === undefined ? [] : [{ rawPath, method, op }]
  })
)

const registry: Record<string, Operation.Operation> = Operations

describe("Operations", () => {
  it("has one descriptor per operation of the document (288)", () => {
    expect(documented.length).toBe(288)
    expect(Object.keys(registry).sort()).toEqual(documented.map((d) => d.op.operationId).sort())
  })

  it.each(documented.map((d) => [d.op.operationId, d] as const))("%s matches the document", (operationId, d) => {
    const descriptor = registry[operationId]
    expect(descriptor.operationId).toBe(operationId)
    expect(descriptor.method).toBe(d.method.toUpperCase())
    expect(descriptor.path).toBe(d.rawPath.replace(/#.*$/, ""))
    expect(descriptor.path).not.toContain("#")
    expect(descriptor.tags).toEqual(d.op.tags)
    expect(descriptor.deprecated).toBe(d.op.deprecated === true)
    expect(descriptor.body !== undefined).toBe(d.op.requestBody !== undefined)
    if (d.op.requestBody !== undefined) expect(descriptor.body?.required).toBe(d.op.requestBody.required === true)

    const success = Object.keys(d.op.responses)
      .filter((s) => s.startsWith("2"))
      .sort()[0]
    expect(descriptor.successStatus).toBe(Number(success))
    const content = Object.keys(d.op.responses[success].content ?? {})
    const json = content.includes("application/json")
    const sse = content.includes("text/event-stream")
    expect(descriptor.success !== undefined).toBe(json)
    expect(descriptor.event !== undefined).toBe(sse)
    expect(descriptor.response).toBe(
      json && sse ? "json-or-sse" : json ? "json" : sse ? "sse" : content.length > 0 ? "bytes" : "empty"
    )

    for (const location of ["path", "query", "header"] as const) {
      const names = (d.op.parameters ?? []).filter((p) => p.in === location).map((p) => p.name)
      const schema =
        location === "path" ? descriptor.pathParameters : location === "query" ? descriptor.query : descriptor.headers
      expect(schema !== undefined).toBe(names.length > 0)
    }
    for (const [status, answer] of Object.entries(d.op.responses)) {
      const hasJson = answer.content?.["application/json"] !== undefined
      if (!status.startsWith("2")) expect(descriptor.errors[Number(status)] !== undefined).toBe(hasJson)
    }
  })

  it("is exported with the schemas from the generated index", () => {
    expect(Generated.Operations).toBe(Operations)
    expect(Generated.agents_api_v1_conversations_start).toBe(Operations.agents_api_v1_conversations_start)
  })

  it("describes the conversations operations", () => {
    const start = Operations.agents_api_v1_conversations_start
    expect(start.body.schema).toBe(Generated.ConversationRequest)
    expect(start.success).toBe(Generated.ConversationResponse)
    expect(start.response).toBe("json")
    expect(start.errors[422]).toBe(Generated.HTTPValidationError)

    for (const stream of [
      Operations.agents_api_v1_conversations_start_stream,
      Operations.agents_api_v1_conversations_append_stream,
      Operations.agents_api_v1_conversations_restart_stream
    ]) {
      expect(stream.response).toBe("sse")
      expect(stream.successMediaType).toBe("text/event-stream")
      expect(stream.event).toBe(Generated.ConversationEventsData)
    }
    expect(Operations.audio_api_v1_transcriptions_post_stream.response).toBe("sse")
    expect(Operations.audio_api_v1_transcriptions_post_stream.body.mediaType).toBe("multipart/form-data")

    const list = Operations.agents_api_v1_conversations_list
    expect(list.queryJson).toEqual(["metadata"])
    expect(list.success).toBe(Generated.AgentsApiV1ConversationsListResponse)

    expect(Operations.agents_api_v1_conversations_delete.response).toBe("empty")
    expect(Operations.files_api_routes_download_file.response).toBe("bytes")
    expect(Operations.files_api_routes_download_file.successMediaType).toBe("application/octet-stream")
    expect(Operations.files_api_routes_upload_file.body.mediaType).toBe("multipart/form-data")
  })

  it("answers JSON or SSE for chat and FIM completions", () => {
    for (const op of [
      Operations.chat_completion_v1_chat_completions_post,
      Operations.fim_completion_v1_fim_completions_post
    ]) {
      expect(op.response).toBe("json-or-sse")
      expect(op.successMediaType).toBe("application/json")
      expect(op.event).toBe(Generated.CompletionChunk)
    }
    expect(Operations.chat_completion_v1_chat_completions_post.success).toBe(Generated.ChatCompletionResponse)
  })

  it("drops path fragments and keeps header parameters by wire name", () => {
    expect(Operations.agents_api_v1_conversations_append_stream.path).toBe("/v1/conversations/{conversation_id}")
    const withHeaders = Object.values(registry).filter((op) => op.headers !== undefined)
    expect(withHeaders.length).toBeGreaterThan(0)
  })
})
