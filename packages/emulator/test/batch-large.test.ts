import * as Http from "node:http"
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { MistralEmulator } from "../src/index.js"
import { call } from "./support.js"

const COUNT = 100_000
const boundary = "----emulator-test-boundary"

/** POSTs a multipart upload with chunked transfer encoding (no content-length), its file written line by line. */
const chunkedUpload = (url: string, lines: (index: number) => string, count: number) =>
  Effect.promise(
    () =>
      new Promise<{ status: number; json: Record<string, unknown>; chunked: boolean }>((resolve, reject) => {
        const request = Http.request(`${url}/v1/files`, {
          method: "POST",
          headers: {
            authorization: "Bearer test-key",
            "content-type": `multipart/form-data; boundary=${boundary}`
          }
        })
        request.on("error", reject)
        request.on("response", (response) => {
          let text = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            text += chunk
          })
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(text), chunked: request.chunkedEncoding })
          )
        })
        request.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n` +
            "Content-Type: application/jsonl\r\n\r\n"
        )
        let index = 0
        const writeSome = () => {
          while (index < count) {
            let text = ""
            for (let n = 0; n < 500 && index < count; n++) text += lines(index++)
            if (!request.write(text)) return void request.once("drain", writeSome)
          }
          request.end(`\r\n--${boundary}--\r\n`)
        }
        writeSome()
      })
  )

const line = (index: number) =>
  `${JSON.stringify({ custom_id: `q${index}`, body: { messages: [{ role: "user", content: `question ${index}` }], max_tokens: 4 } })}\n`

it.layer(MistralEmulator.layer({ batchStep: 25_000 }))("a large batch", (it) => {
  it.effect(
    "a chunked multipart upload of 100,000 requests runs as a job in steps, and its output has every result",
    () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const uploaded = yield* chunkedUpload(emulator.url, line, COUNT)
        assert.strictEqual(uploaded.status, 200)
        assert.isTrue(uploaded.chunked)
        assert.strictEqual(uploaded.json.num_lines, COUNT)
        let expectedBytes = 0
        for (let index = 0; index < COUNT; index++) expectedBytes += Buffer.byteLength(line(index))
        assert.strictEqual(uploaded.json.bytes, expectedBytes)

        const created = yield* call(emulator, "POST", "/v1/batch/jobs", {
          body: { input_files: [uploaded.json.id], endpoint: "/v1/chat/completions", model: "mistral-small-latest" }
        })
        assert.strictEqual(created.json.total_requests, COUNT)
        const seen: Array<[string, number]> = []
        for (let poll = 0; poll < 6; poll++) {
          const job = yield* call(emulator, "GET", `/v1/batch/jobs/${created.json.id}`)
          seen.push([job.json.status, job.json.completed_requests])
        }
        assert.deepStrictEqual(seen, [
          ["RUNNING", 0],
          ["RUNNING", 25_000],
          ["RUNNING", 50_000],
          ["RUNNING", 75_000],
          ["SUCCESS", 100_000],
          ["SUCCESS", 100_000]
        ])
        const done = yield* call(emulator, "GET", `/v1/batch/jobs/${created.json.id}`)
        assert.strictEqual(done.json.succeeded_requests, COUNT)
        const output = yield* call(emulator, "GET", `/v1/files/${done.json.output_file}`)
        assert.strictEqual(output.json.num_lines, COUNT)
      }),
    { timeout: 120_000 }
  )
})
