import { prepare, startServer } from "./dist/server.js"
prepare([])
const server = await startServer()
console.log(server.origin)
