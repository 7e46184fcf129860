/**
 * The JSON endpoints that answer from their request body alone: chat and FIM
 * completions, embeddings, classifiers and OCR. The HTTP routes and the batch
 * runner both go through these handlers, so a batch line gets the answer the
 * route would have given.
 */
import { chatCompletion, fimCompletion } from "./completions.js"
import { checkEmbeddingOptions, classify, embeddings, moderate } from "./embeddings.js"
import { errorBody } from "./errors.js"
import { instanceOf } from "./jsonSchema.js"
import { textOf } from "./replies.js"
import type { State } from "./state.js"
import * as Validation from "./validation.js"

type Body = Record<string, unknown>

/** What an endpoint answers: a status and a JSON body (the API's error body unless 200). */
export interface Answer {
  readonly status: number
  readonly body: unknown
}

type Handler = (state: State, body: unknown, created: number) => Answer

const checked =
  (
    check: (body: unknown) => ReadonlyArray<Validation.ValidationDetail>,
    run: (state: State, body: Body, created: number) => Answer
  ): Handler =>
  (state, body, created) => {
    const detail = check(body)
    return detail.length > 0 ? { status: 422, body: { detail } } : run(state, body as Body, created)
  }

const ok = (body: unknown): Answer => ({ status: 200, body })

const conversationText = (messages: ReadonlyArray<Record<string, unknown>>) =>
  messages.map((message) => textOf(message.content)).join("\n")

const textsOf = (input: unknown): ReadonlyArray<string> =>
  typeof input === "string" ? [input] : (input as ReadonlyArray<string>)

/** The pages asked for: an array of indices, or a string such as `"0,2-3"`. */
const selectPages = (count: number, pages: unknown): ReadonlyArray<number> => {
  const all = Array.from({ length: count }, (_, i) => i)
  if (Array.isArray(pages)) return all.filter((i) => pages.includes(i))
  if (typeof pages !== "string" || pages.trim() === "") return all
  const wanted = new Set<number>()
  for (const part of pages.split(",")) {
    const [from, to] = part.split("-").map((n) => Number(n.trim()))
    for (let i = from; i <= (Number.isFinite(to) ? to : from); i++) wanted.add(i)
  }
  return all.filter((i) => wanted.has(i))
}

const textDecoder = new TextDecoder("utf-8", { fatal: true })

/** The text of a file when it is UTF-8 text, else `undefined`. */
const textOfBytes = (bytes: Uint8Array): string | undefined => {
  try {
    const text = textDecoder.decode(bytes)
    return text.includes("\u0000") ? undefined : text
  } catch {
    return undefined
  }
}

const annotation = (format: unknown): string | null => {
  const schema = (format as { readonly json_schema?: { readonly schema?: unknown } } | null | undefined)?.json_schema
    ?.schema
  return typeof schema === "object" && schema !== null ? JSON.stringify(instanceOf(schema as Body)) : null
}

/**
 * OCR: a text file (uploaded with `purpose: "ocr"` or any other) is read as
 * its text, one page per form feed; anything else (a PDF, an image, a URL) is
 * one page naming the document.
 */
const ocr = (state: State, body: Body): Answer => {
  const document = body.document as Body
  let name: string
  let text: string | undefined
  let size: number | null = null
  if (typeof document.file_id === "string") {
    const file = state.files.get(document.file_id)
    if (file === undefined) return { status: 404, body: errorBody(404, `File ${document.file_id} not found`) }
    name = file.filename
    text = textOfBytes(file.content)
    size = file.bytes
  } else {
    const url =
      typeof document.document_url === "string"
        ? document.document_url
        : typeof document.image_url === "string"
          ? document.image_url
          : String((document.image_url as Body | undefined)?.url ?? "")
    name =
      typeof document.document_name === "string"
        ? document.document_name
        : url.startsWith("data:")
          ? "inline document"
          : (url
              .split("?")[0]
              .split("/")
              .filter((part) => part !== "")
              .at(-1) ?? "document")
  }
  const texts = text === undefined ? [`# ${name}\n\nText of ${name}, read by the Mistral emulator.`] : text.split("\f")
  const pages = selectPages(texts.length, body.pages).map((index) => ({
    index,
    markdown: texts[index],
    images: [],
    tables: [],
    hyperlinks: [],
    header: null,
    footer: null,
    dimensions: { dpi: 200, height: 2200, width: 1700 }
  }))
  return ok({
    pages,
    model: typeof body.model === "string" ? body.model : "mistral-ocr-latest",
    document_annotation: annotation(body.document_annotation_format),
    usage_info: { pages_processed: pages.length, doc_size_bytes: size }
  })
}

export const endpoints: Readonly<Record<string, Handler>> = {
  "/v1/chat/completions": checked(Validation.checkChat, (state, body, created) => {
    const result = chatCompletion(body, state.ids, created)
    return result._tag === "Ok" ? ok(result.value) : { status: 422, body: { detail: result.detail } }
  }),
  "/v1/fim/completions": checked(Validation.checkFim, (state, body, created) =>
    ok(fimCompletion(body, state.ids, created))
  ),
  "/v1/embeddings": checked(
    (body) => {
      const detail = Validation.checkEmbeddings(body)
      return detail.length > 0 ? detail : checkEmbeddingOptions(body as Body)
    },
    (state, body) => ok(embeddings(body, state.ids.hex("embd")))
  ),
  "/v1/moderations": checked(Validation.checkClassification, (state, body) =>
    ok({ id: state.ids.hex("mod"), model: body.model, results: textsOf(body.input).map(moderate) })
  ),
  "/v1/chat/moderations": checked(Validation.checkChatModeration, (state, body) => {
    const input = body.input as ReadonlyArray<unknown>
    const conversations = (input.length > 0 && input.every(Array.isArray) ? input : [input]) as ReadonlyArray<
      ReadonlyArray<Body>
    >
    return ok({
      id: state.ids.hex("mod"),
      model: body.model,
      results: conversations.map((messages) => moderate(conversationText(messages)))
    })
  }),
  "/v1/classifications": checked(Validation.checkClassification, (state, body) =>
    ok({ id: state.ids.hex("cls"), model: body.model, results: textsOf(body.input).map(classify) })
  ),
  "/v1/chat/classifications": checked(Validation.checkChatClassification, (state, body) => {
    const requests = (Array.isArray(body.input) ? body.input : [body.input]) as ReadonlyArray<{
      readonly messages: ReadonlyArray<Body>
    }>
    return ok({
      id: state.ids.hex("cls"),
      model: body.model,
      results: requests.map((request) => classify(conversationText(request.messages)))
    })
  }),
  "/v1/ocr": checked(Validation.checkOcr, (state, body) => ocr(state, body))
}
