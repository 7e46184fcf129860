import { Session } from "node:inspector/promises"
import { writeFileSync } from "node:fs"
await import("effect"); await import("@effect-mistral/core"); await import("@effect-mistral/node")
const { make } = await import("./dist/clients/effectLean.js")
const s = new Session(); s.connect()
await s.post("Profiler.enable"); await s.post("Profiler.setSamplingInterval", { interval: 50 }); await s.post("Profiler.start")
const t0 = performance.now()
const c = await make(process.argv[2]); const t1 = performance.now()
await c.sequential(1); const t2 = performance.now()
const { profile } = await s.post("Profiler.stop")
writeFileSync("/tmp/lazy-p2.cpuprofile", JSON.stringify(profile))
console.log("layer", (t1 - t0).toFixed(1), "request", (t2 - t1).toFixed(1))
process.exit(0)
