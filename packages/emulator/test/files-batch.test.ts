import * as BatchSchemas from "@effect-mistral/core/generated/batch"
import * as Components from "@effect-mistral/core/generated/components"
import * as EmbeddingSchemas from "@effect-mistral/core/generated/embeddings"
import * as FileSchemas from "@effect-mistral/core/generated/files"
import * as ModelsSchemas from "@effect-mistral/core/generated/models"
import * as OcrSchemas from "@effect-mistral/core/generated/ocr"
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { MistralEmulator } from "../src/index.js"
import { call, decodes, type Json } from "./support.js"

const upload = (
  emulator: MistralEmulator.Service,
  content: Uint8Array<ArrayBuffer> | string,
  filename: string,
  fields: Record<string, string> = {}
) =>
  Effect.promise(async () => {
    const form = new FormData()
    for (const [key, value] of Object.entries(fields)) form.append(key, value)
    form.append("file", new Blob([content]), filename)
    const response = await fetch(`${emulator.url}/v1/files`, {
      method: "POST",
      headers: { authorization: "Bearer test-key" },
      body: form
    })
    const text = await response.text()
    return { status: response.status, json: JSON.parse(text) as Json }
  })

const download = (url: string, authorization: boolean) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers: authorization ? { authorization: "Bearer test-key" } : {} })
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      bytes: new Uint8Array(await response.arrayBuffer())
    }
  })

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b))

const jsonl = (lines: ReadonlyArray<unknown>) => `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`

it.layer(MistralEmulator.layer())("files, batch and models", (it) => {
  it.effect("files: upload, list, retrieve, download, signed URL, delete", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const content = jsonl([{ messages: [{ role: "user", content: "hi" }] }, { messages: [] }])
      const created = yield* upload(emulator, content, "train.jsonl", { purpose: "fine-tune" })
      assert.strictEqual(created.status, 200)
      const file = decodes(FileSchemas.CreateFileResponse, created.json)
      assert.match(file.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.deepStrictEqual(
        [file.object, file.bytes, file.filename, file.purpose, file.sample_type, file.source, file.num_lines],
        ["file", Buffer.byteLength(content), "train.jsonl", "fine-tune", "instruct", "upload", 2]
      )
      assert.strictEqual(file.mimetype, "application/jsonl")

      const image = yield* upload(emulator, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]), "scan.png", {
        purpose: "ocr",
        visibility: "user",
        expiry: "2"
      })
      assert.strictEqual(image.json.mimetype, "image/png")
      assert.strictEqual(image.json.visibility, "user")
      assert.strictEqual(image.json.expires_at, image.json.created_at + 7200)

      const listed = yield* call(emulator, "GET", "/v1/files")
      const list = decodes(FileSchemas.ListFilesResponse, listed.json)
      assert.deepStrictEqual(
        list.data.map((f) => f.filename),
        ["scan.png", "train.jsonl"]
      )
      assert.strictEqual(list.total, 2)
      const ocrOnly = yield* call(emulator, "GET", "/v1/files?purpose=ocr&page_size=1")
      assert.deepStrictEqual(
        ocrOnly.json.data.map((f: Json) => f.filename),
        ["scan.png"]
      )
      const searched = yield* call(emulator, "GET", "/v1/files?search=train&include_total=false")
      assert.strictEqual(searched.json.data.length, 1)
      assert.isNull(searched.json.total)

      const retrieved = yield* call(emulator, "GET", `/v1/files/${file.id}`)
      decodes(FileSchemas.GetFileResponse, retrieved.json)
      assert.isFalse(retrieved.json.deleted)

      const bytes = yield* download(`${emulator.url}/v1/files/${file.id}/content`, true)
      assert.strictEqual(bytes.status, 200)
      assert.strictEqual(bytes.contentType, "application/octet-stream")
      assert.strictEqual(new TextDecoder().decode(bytes.bytes), content)

      const signed = yield* call(emulator, "GET", `/v1/files/${file.id}/url?expiry=1`)
      const { url } = decodes(FileSchemas.GetSignedUrlResponse, signed.json)
      assert.isTrue(url.startsWith(emulator.url))
      const viaUrl = yield* download(url, false)
      assert.strictEqual(viaUrl.status, 200)
      assert.strictEqual(new TextDecoder().decode(viaUrl.bytes), content)
      const tampered = yield* download(url.replace(/signature=./, "signature=x"), false)
      assert.strictEqual(tampered.status, 403)
      const noToken = yield* download(`${emulator.url}/v1/files/${file.id}/content`, false)
      assert.strictEqual(noToken.status, 401)

      const ocr = yield* call(emulator, "POST", "/v1/ocr", {
        body: { model: "mistral-ocr-latest", document: { type: "file", file_id: file.id } }
      })
      const ocrResponse = decodes(OcrSchemas.OCRResponse, ocr.json)
      assert.strictEqual(ocrResponse.pages[0].markdown, content)
      assert.strictEqual(ocrResponse.usage_info.doc_size_bytes, Buffer.byteLength(content))

      const deleted = yield* call(emulator, "DELETE", `/v1/files/${file.id}`)
      const deletion = decodes(FileSchemas.DeleteFileResponse, deleted.json)
      assert.deepStrictEqual([deletion.id, deletion.deleted], [file.id, true])
      const gone = yield* call(emulator, "GET", `/v1/files/${file.id}`)
      assert.strictEqual(gone.status, 404)
      const goneContent = yield* call(emulator, "GET", `/v1/files/${file.id}/content`)
      assert.strictEqual(goneContent.status, 404)

      const noFile = yield* Effect.promise(async () => {
        const form = new FormData()
        form.append("purpose", "batch")
        const response = await fetch(`${emulator.url}/v1/files`, {
          method: "POST",
          headers: { authorization: "Bearer test-key" },
          body: form
        })
        return { status: response.status, json: (await response.json()) as Json }
      })
      assert.strictEqual(noFile.status, 422)
      assert.deepStrictEqual(noFile.json.detail[0].loc, ["body", "file"])
      const badPurpose = yield* upload(emulator, "x", "x.txt", { purpose: "nonsense" })
      assert.strictEqual(badPurpose.status, 422)
      const json = yield* call(emulator, "POST", "/v1/files", { body: { file: "x" } })
      assert.strictEqual(json.status, 422)
    })
  )

  it.effect("files: a 50 MB upload comes back byte for byte", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const size = 50 * 1024 * 1024
      const content = new Uint8Array(size)
      for (let i = 0; i < size; i += 4096) content.fill((i * 2654435761) >>> 24, i, i + 4096)
      content.set([13, 10, 45, 45], size / 2) // a CRLF and dashes in the middle, as a boundary would start
      const created = yield* upload(emulator, content, "big.bin", { purpose: "batch" })
      assert.strictEqual(created.status, 200)
      assert.strictEqual(created.json.bytes, size)
      const bytes = yield* download(`${emulator.url}/v1/files/${created.json.id}/content`, true)
      assert.isTrue(sameBytes(bytes.bytes, content))
      yield* call(emulator, "DELETE", `/v1/files/${created.json.id}`)
      const log = yield* emulator.requests
      assert.strictEqual(log.find((request) => request.operation === "files_api_routes_upload_file")?.body, "")
    })
  )

  it.effect("batch: a chat batch runs QUEUED → RUNNING → SUCCESS and writes output and error files", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const input = `${jsonl([
        { custom_id: "a", body: { messages: [{ role: "user", content: "First" }], max_tokens: 50 } },
        { custom_id: "b", body: { messages: [{ role: "user", content: "Second" }] } },
        { custom_id: "c", body: { messages: "not a list" } }
      ])}this is not json\n`
      const file = yield* upload(emulator, input, "requests.jsonl", { purpose: "batch" })
      assert.strictEqual(file.json.sample_type, "batch_request")

      const created = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: {
          input_files: [file.json.id],
          endpoint: "/v1/chat/completions",
          model: "mistral-small-latest",
          metadata: { run: "nightly" }
        }
      })
      assert.strictEqual(created.status, 200)
      const job = decodes(BatchSchemas.BatchJob, created.json)
      assert.deepStrictEqual([job.status, job.total_requests, job.completed_requests], ["QUEUED", 4, 0])

      const running = yield* call(emulator, "GET", `/v1/batch/jobs/${job.id}`)
      assert.strictEqual(decodes(BatchSchemas.BatchJob, running.json).status, "RUNNING")
      assert.isNumber(running.json.started_at)
      const done = yield* call(emulator, "GET", `/v1/batch/jobs/${job.id}`)
      const finished = decodes(BatchSchemas.BatchJob, done.json)
      assert.deepStrictEqual(
        [finished.status, finished.completed_requests, finished.succeeded_requests, finished.failed_requests],
        ["SUCCESS", 4, 2, 2]
      )
      assert.strictEqual(finished.errors.length, 2)
      assert.isNull(finished.outputs)

      const outputMeta = yield* call(emulator, "GET", `/v1/files/${finished.output_file}`)
      assert.deepStrictEqual(
        [outputMeta.json.purpose, outputMeta.json.sample_type, outputMeta.json.source, outputMeta.json.num_lines],
        ["batch", "batch_result", "mistral", 2]
      )
      const output = yield* download(`${emulator.url}/v1/files/${finished.output_file}/content`, true)
      const lines = new TextDecoder()
        .decode(output.bytes)
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
      assert.deepStrictEqual(
        lines.map((line) => [line.custom_id, line.response.status_code, line.error]),
        [
          ["a", 200, null],
          ["b", 200, null]
        ]
      )
      for (const line of lines) decodes(Components.ChatCompletionResponse, line.response.body)
      assert.strictEqual(
        lines[1].response.body.choices[0].message.content,
        "Echo: Second (reply 1 from the Mistral emulator)"
      )
      assert.strictEqual(lines[0].response.body.model, "mistral-small-latest")

      const errors = yield* download(`${emulator.url}/v1/files/${finished.error_file}/content`, true)
      const errorLines = new TextDecoder()
        .decode(errors.bytes)
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
      assert.deepStrictEqual(
        errorLines.map((line) => [line.custom_id, line.response.status_code]),
        [
          ["c", 422],
          [null, 400]
        ]
      )

      const inline = yield* call(emulator, "GET", `/v1/batch/jobs/${job.id}?inline=true`)
      assert.strictEqual(inline.json.outputs.length, 4)
      assert.strictEqual(inline.json.status, "SUCCESS") // terminal: looking again changes nothing

      const listed = yield* call(emulator, "GET", "/v1/batch/jobs?status=SUCCESS")
      const list = decodes(BatchSchemas.ListBatchJobsResponse, listed.json)
      assert.strictEqual(list.total, 1)
      const byMetadata = yield* call(
        emulator,
        "GET",
        `/v1/batch/jobs?metadata=${encodeURIComponent(JSON.stringify({ run: "other" }))}`
      )
      assert.strictEqual(byMetadata.json.total, 0)
    })
  )

  it.effect("batch: inline embeddings, cancellation, deletion and bad requests", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const created = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: {
          endpoint: "/v1/embeddings",
          model: "mistral-embed",
          requests: [
            { custom_id: "1", body: { input: "hello" } },
            { custom_id: "2", body: { input: ["a", "b"] } }
          ]
        }
      })
      const id = created.json.id
      yield* call(emulator, "GET", `/v1/batch/jobs/${id}`)
      const done = yield* call(emulator, "GET", `/v1/batch/jobs/${id}`)
      const job = decodes(BatchSchemas.BatchJob, done.json)
      assert.strictEqual(job.status, "SUCCESS")
      assert.strictEqual(job.outputs?.length, 2)
      const second = (job.outputs ?? [])[1].response as Json
      assert.strictEqual(decodes(EmbeddingSchemas.EmbeddingResponse, second.body).data.length, 2)

      const toCancel = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: { endpoint: "/v1/chat/completions", model: "m", requests: [{ body: { messages: [] } }] }
      })
      const cancelled = yield* call(emulator, "POST", `/v1/batch/jobs/${toCancel.json.id}/cancel`)
      assert.strictEqual(decodes(BatchSchemas.BatchJob, cancelled.json).status, "CANCELLATION_REQUESTED")
      const after = yield* call(emulator, "GET", `/v1/batch/jobs/${toCancel.json.id}`)
      assert.strictEqual(after.json.status, "CANCELLED")
      assert.isNull(after.json.output_file)

      const failing = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: { endpoint: "/v1/chat/completions", model: "m", requests: [{ body: { messages: [] } }] }
      })
      yield* call(emulator, "GET", `/v1/batch/jobs/${failing.json.id}`)
      const failed = yield* call(emulator, "GET", `/v1/batch/jobs/${failing.json.id}`)
      assert.deepStrictEqual([failed.json.status, failed.json.failed_requests], ["FAILED", 1])

      const deleted = yield* call(emulator, "DELETE", `/v1/batch/jobs/${id}`)
      decodes(BatchSchemas.DeleteBatchJobResponse, deleted.json)
      assert.strictEqual((yield* call(emulator, "GET", `/v1/batch/jobs/${id}`)).status, 404)

      const missingFile = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: { endpoint: "/v1/chat/completions", input_files: ["00000000-0000-4000-8000-000000000000"] }
      })
      assert.strictEqual(missingFile.status, 404)
      const unsupported = yield* call(emulator, "POST", "/v1/batch/jobs", {
        body: { endpoint: "/v1/audio/transcriptions", requests: [{ body: {} }] }
      })
      assert.strictEqual(unsupported.status, 422)
      const neither = yield* call(emulator, "POST", "/v1/batch/jobs", { body: { endpoint: "/v1/embeddings" } })
      assert.strictEqual(neither.status, 422)
    })
  )

  it.effect("models: fine-tuned models can be updated, archived, unarchived and deleted", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const listed = yield* call(emulator, "GET", "/v1/models")
      decodes(ModelsSchemas.ModelList, listed.json)
      const fineTuned = listed.json.data.find((card: Json) => card.type === "fine-tuned")
      assert.isDefined(fineTuned)
      const id = encodeURIComponent(fineTuned.id)
      const got = yield* call(emulator, "GET", `/v1/models/${id}`)
      decodes(ModelsSchemas.RetrieveModelV1ModelsModelIdGetResponse, got.json)
      assert.strictEqual(got.json.id, fineTuned.id)

      const updated = yield* call(emulator, "PATCH", `/v1/fine_tuning/models/${id}`, {
        body: { name: "renamed", description: "better" }
      })
      const model = decodes(ModelsSchemas.JobsApiRoutesFineTuningUpdateFineTunedModelResponse, updated.json)
      assert.deepStrictEqual(
        [updated.json.name, updated.json.description, model.model_type],
        ["renamed", "better", "completion"]
      )
      const archived = yield* call(emulator, "POST", `/v1/fine_tuning/models/${id}/archive`)
      assert.isTrue(decodes(ModelsSchemas.ArchiveModelResponse, archived.json).archived)
      assert.isTrue((yield* call(emulator, "GET", `/v1/models/${id}`)).json.archived)
      const unarchived = yield* call(emulator, "DELETE", `/v1/fine_tuning/models/${id}/archive`)
      assert.isFalse(decodes(ModelsSchemas.UnarchiveModelResponse, unarchived.json).archived)

      const base = yield* call(emulator, "DELETE", "/v1/models/mistral-small-latest")
      assert.strictEqual(base.status, 404)
      const baseArchive = yield* call(emulator, "POST", "/v1/fine_tuning/models/mistral-small-latest/archive")
      assert.strictEqual(baseArchive.status, 404)
      const deleted = yield* call(emulator, "DELETE", `/v1/models/${id}`)
      const deletion = decodes(ModelsSchemas.DeleteModelResponse, deleted.json)
      assert.deepStrictEqual([deletion.id, deletion.deleted], [fineTuned.id, true])
      assert.strictEqual((yield* call(emulator, "GET", `/v1/models/${id}`)).status, 404)
    })
  )
})
