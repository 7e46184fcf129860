/** Chat and FIM completions (plain and streamed), embeddings, classifiers and OCR. */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { type Completion, completionChunks } from "./completions.js"
import { endpoints } from "./endpoints.js"
import { dataStreamResponse, nowSeconds, readBody } from "./http.js"
import type { State } from "./state.js"

const streamed = new Set(["/v1/chat/completions", "/v1/fim/completions"])

export const completionRoutes = (state: State) => {
  const route = (path: string) =>
    Effect.gen(function* () {
      const body = yield* readBody
      const answer = endpoints[path](state, body, yield* nowSeconds)
      if (answer.status === 200 && streamed.has(path) && (body as { readonly stream?: unknown }).stream === true) {
        return dataStreamResponse(completionChunks(answer.body as Completion))
      }
      return HttpServerResponse.unsafeJson(answer.body, { status: answer.status })
    })
  return HttpRouter.empty.pipe(
    HttpRouter.post("/v1/chat/completions", route("/v1/chat/completions")),
    HttpRouter.post("/v1/fim/completions", route("/v1/fim/completions")),
    HttpRouter.post("/v1/embeddings", route("/v1/embeddings")),
    HttpRouter.post("/v1/moderations", route("/v1/moderations")),
    HttpRouter.post("/v1/chat/moderations", route("/v1/chat/moderations")),
    HttpRouter.post("/v1/classifications", route("/v1/classifications")),
    HttpRouter.post("/v1/chat/classifications", route("/v1/chat/classifications")),
    HttpRouter.post("/v1/ocr", route("/v1/ocr"))
  )
}
