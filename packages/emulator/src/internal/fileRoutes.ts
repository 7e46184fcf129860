/**
 * Files, kept in memory with their bytes: multipart upload, list, retrieve,
 * delete, download and signed URLs that point back at the emulator (they
 * work without an `Authorization` header until they expire).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import { apiError, notFound, validation } from "./errors.js"
import { booleanQuery, integerQuery, nowSeconds, page, pathParam, queryParam, queryParams } from "./http.js"
import type { State, StoredFile } from "./state.js"
import type { ValidationDetail } from "./validation.js"

const purposes = ["fine-tune", "batch", "ocr"]
const visibilities = ["workspace", "user"]

const mimetypes: Record<string, string> = {
  jsonl: "application/jsonl",
  json: "application/json",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp"
}

const mimetypeOf = (filename: string, declared: string | undefined): string => {
  if (declared !== undefined && declared !== "" && declared !== "application/octet-stream") return declared
  const extension = filename.includes(".") ? filename.split(".").at(-1)!.toLowerCase() : ""
  return mimetypes[extension] ?? declared ?? "application/octet-stream"
}

const countLines = (content: Uint8Array): number => {
  let lines = 0
  let blank = true
  for (const byte of content) {
    if (byte === 10) {
      if (!blank) lines++
      blank = true
    } else if (byte !== 13 && byte !== 32) {
      blank = false
    }
  }
  return blank ? lines : lines + 1
}

/** Stores a file and answers its `FileSchema` fields. */
export const addFile = (
  state: State,
  options: {
    readonly filename: string
    readonly content: Uint8Array
    readonly purpose: string
    readonly sampleType: string
    readonly source: string
    readonly mimetype?: string | undefined
    readonly createdAt: number
    readonly expiryHours?: number | null | undefined
    readonly visibility?: string | undefined
  }
): StoredFile => {
  const mimetype = mimetypeOf(options.filename, options.mimetype)
  const file: StoredFile = {
    id: state.ids.uuid("file"),
    object: "file",
    bytes: options.content.length,
    created_at: options.createdAt,
    filename: options.filename,
    purpose: options.purpose,
    sample_type: options.sampleType,
    num_lines: mimetype === "application/jsonl" ? countLines(options.content) : null,
    mimetype,
    source: options.source,
    signature: createHash("sha256").update(options.content).digest("hex").slice(0, 16),
    expires_at:
      options.expiryHours === undefined || options.expiryHours === null
        ? null
        : options.createdAt + options.expiryHours * 3600,
    visibility: options.visibility ?? "workspace",
    content: options.content
  }
  state.files.set(file.id, file)
  return file
}

const DOWNLOAD_CHUNK = 64 * 1024

const contentChunks = (content: Uint8Array): Stream.Stream<Uint8Array> =>
  Stream.unfold(0, (offset) =>
    offset < content.length
      ? Option.some([content.subarray(offset, offset + DOWNLOAD_CHUNK), offset + DOWNLOAD_CHUNK] as const)
      : Option.none()
  )

/** A stored file as `FileSchema`, without its bytes. */
export const fileWire = ({ content: _, ...file }: StoredFile) => file

const signatureOf = (state: State, fileId: string, expires: number) =>
  state.ids.digest("signed-url", fileId, String(expires)).slice(0, 32)

interface Upload {
  readonly fields: Record<string, string>
  readonly file: { readonly filename: string; readonly contentType: string; readonly content: Uint8Array } | undefined
}

/** Reads a multipart body part by part, keeping the file's chunks and joining them once (uploads may be large). */
const readUpload = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const fields: Record<string, string> = {}
  let file: Upload["file"]
  yield* Stream.runForEach(request.multipartStream, (part) => {
    if (part._tag === "Field") {
      if (part.key === "file") {
        file = { filename: "file", contentType: part.contentType, content: new TextEncoder().encode(part.value) }
      } else {
        fields[part.key] = part.value
      }
      return Effect.void
    }
    return Effect.map(Stream.runCollect(part.content), (chunks) => {
      if (part.key === "file") {
        file = { filename: part.name, contentType: part.contentType, content: Buffer.concat(Chunk.toArray(chunks)) }
      }
    })
  }).pipe(
    // a part is a file when it has a file name, whatever its type: by default a JSON type (which `application/jsonl`
    // matches) makes a field, held in memory up to the field size limit
    Multipart.withLimits({
      maxParts: Option.none(),
      maxFieldSize: 64 * 1024 * 1024,
      maxFileSize: Option.none(),
      fieldMimeTypes: []
    }),
    Effect.mapError((error) => apiError(400, `Could not read the multipart body: ${error.message}`))
  )
  return { fields, file } satisfies Upload
})

export const fileRoutes = (state: State) => {
  const findFile = Effect.flatMap(pathParam("file_id"), (id) => {
    const file = state.files.get(id)
    return file === undefined ? Effect.fail(notFound(`File ${id} not found`)) : Effect.succeed(file)
  })

  // in chunks as the socket takes them (views of the stored bytes, no copies): a large file (a batch's output) is
  // never copied whole into the socket's buffer, and a fault can act between chunks
  const download = (file: StoredFile) =>
    HttpServerResponse.stream(contentChunks(file.content), {
      contentType: "application/octet-stream",
      contentLength: file.content.length,
      headers: { "content-disposition": `attachment; filename="${file.filename.replace(/["\\\r\n]/g, "_")}"` }
    })

  const upload = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data")) {
      return yield* Effect.fail(
        validation([{ loc: ["body", "file"], msg: "Expected a multipart/form-data body", type: "missing" }])
      )
    }
    const { fields, file } = yield* readUpload
    const detail: Array<ValidationDetail> = []
    if (file === undefined) detail.push({ loc: ["body", "file"], msg: "Field required", type: "missing" })
    const purpose = fields.purpose ?? "fine-tune"
    if (!purposes.includes(purpose)) {
      detail.push({
        loc: ["body", "purpose"],
        msg: "Input should be 'fine-tune', 'batch' or 'ocr'",
        type: "enum"
      })
    }
    const visibility = fields.visibility ?? "workspace"
    if (!visibilities.includes(visibility)) {
      detail.push({ loc: ["body", "visibility"], msg: "Input should be 'workspace' or 'user'", type: "enum" })
    }
    const expiry = fields.expiry === undefined || fields.expiry === "" ? null : Number(fields.expiry)
    if (expiry !== null && !(Number.isInteger(expiry) && expiry > 0)) {
      detail.push({ loc: ["body", "expiry"], msg: "Input should be a positive integer", type: "int_parsing" })
    }
    if (detail.length > 0 || file === undefined) return yield* Effect.fail(validation(detail))
    const stored = addFile(state, {
      filename: file.filename,
      content: file.content,
      purpose,
      sampleType: purpose === "batch" ? "batch_request" : "instruct",
      source: "upload",
      mimetype: file.contentType,
      createdAt: yield* nowSeconds,
      expiryHours: expiry,
      visibility
    })
    return HttpServerResponse.unsafeJson(fileWire(stored))
  })

  const list = Effect.gen(function* () {
    const pageIndex = yield* integerQuery("page", 0, 0)
    const pageSize = yield* integerQuery("page_size", 100, 1)
    const includeTotal = yield* booleanQuery("include_total", true)
    const sampleTypes = yield* queryParams("sample_type")
    const sources = yield* queryParams("source")
    const mimes = yield* queryParams("mimetypes")
    const search = yield* queryParam("search")
    const purpose = yield* queryParam("purpose")
    const files = [...state.files.values()]
      .reverse()
      .filter(
        (file) =>
          (sampleTypes.length === 0 || sampleTypes.includes(file.sample_type)) &&
          (sources.length === 0 || sources.includes(file.source)) &&
          (mimes.length === 0 || (file.mimetype !== null && mimes.includes(file.mimetype))) &&
          (search === undefined || search === "" || file.filename.includes(search) || file.id.includes(search)) &&
          (purpose === undefined || purpose === "" || file.purpose === purpose)
      )
    return HttpServerResponse.unsafeJson({
      data: page(files, pageIndex, pageSize).map(fileWire),
      object: "list",
      total: includeTotal ? files.length : null
    })
  })

  const retrieve = Effect.map(findFile, (file) => HttpServerResponse.unsafeJson({ ...fileWire(file), deleted: false }))

  const remove = Effect.map(findFile, (file) => {
    state.files.delete(file.id)
    return HttpServerResponse.unsafeJson({ id: file.id, object: "file", deleted: true })
  })

  const content = Effect.map(findFile, download)

  const signedUrl = Effect.gen(function* () {
    const file = yield* findFile
    const request = yield* HttpServerRequest.HttpServerRequest
    const expiry = yield* integerQuery("expiry", 24, 1)
    const expires = (yield* nowSeconds) + expiry * 3600
    const host = request.headers.host ?? "127.0.0.1"
    const url = `http://${host}/signed/files/${file.id}?expires=${expires}&signature=${signatureOf(state, file.id, expires)}`
    return HttpServerResponse.unsafeJson({ url })
  })

  const signedContent = Effect.gen(function* () {
    const file = yield* findFile
    const expires = Number((yield* queryParam("expires")) ?? "")
    const signature = yield* queryParam("signature")
    if (signature !== signatureOf(state, file.id, expires)) {
      return yield* Effect.fail(apiError(403, "Invalid signature"))
    }
    if (expires < (yield* nowSeconds)) return yield* Effect.fail(apiError(403, "This signed URL has expired"))
    return download(file)
  })

  return HttpRouter.empty.pipe(
    HttpRouter.post("/v1/files", upload),
    HttpRouter.get("/v1/files", list),
    HttpRouter.get("/v1/files/:file_id", retrieve),
    HttpRouter.del("/v1/files/:file_id", remove),
    HttpRouter.get("/v1/files/:file_id/content", content),
    HttpRouter.get("/v1/files/:file_id/url", signedUrl),
    HttpRouter.get("/signed/files/:file_id", signedContent)
  )
}
