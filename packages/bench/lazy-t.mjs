const t0 = performance.now()
const out = []
let last = t0
const lap = (l) => { const n = performance.now(); out.push(`${l}=${(n - last).toFixed(1)}`); last = n }
await import("effect"); await import("@effect/platform/HttpClient"); lap("base")
await import("@effect-mistral/core/generated/index"); lap("generated")
await import("@effect-mistral/core"); lap("core")
await import("@effect-mistral/node"); lap("node")
const { make } = await import("./dist/clients/effectLean.js"); lap("client")
const c = await make(process.argv[2]); lap("layer")
await c.sequential(1); lap("request")
out.push(`total=${(performance.now() - t0).toFixed(1)}`)
console.log(out.join(" "))
process.exit(0)
