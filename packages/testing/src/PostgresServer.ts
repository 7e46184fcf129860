/**
 * A Postgres server of the caller's own: `initdb` into a temporary directory, `postgres` on a free loopback port
 * (its socket in the same directory), one database created in it.
 *
 * The binaries are looked for on `PATH`, then in `/usr/lib/postgresql/<version>/bin` (where Debian's `postgresql`
 * package puts them). `initdb` and `postgres` refuse to run as root: as root they run as the `postgres` user (created
 * by Debian's package), or else as `nobody`.
 *
 * @since 0.1.0
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { freePort } from "./freePort.js"

const INSTALL = "apt-get install postgresql"

const onPath = (name: string): string | undefined => {
  try {
    const found = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim()
    return found.length > 0 ? fs.realpathSync(found) : undefined
  } catch {
    return undefined
  }
}

/**
 * The directory holding `initdb` and `postgres`, or undefined.
 *
 * @since 0.1.0
 */
export const binDir = (): string | undefined => {
  const initdb = onPath("initdb")
  if (initdb !== undefined && fs.existsSync(path.join(path.dirname(initdb), "postgres"))) return path.dirname(initdb)
  const root = "/usr/lib/postgresql"
  if (!fs.existsSync(root)) return undefined
  const versions = fs
    .readdirSync(root)
    .filter((version) => fs.existsSync(path.join(root, version, "bin", "initdb")))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
  return versions.length === 0 ? undefined : path.join(root, versions[0]!, "bin")
}

/**
 * Whether the Postgres tests run: with the server on the machine, always; without it they are skipped with one
 * printed line, except under `CI=true`, where a missing server is a failure.
 *
 * @since 0.1.0
 */
export const available = (): boolean => {
  if (binDir() !== undefined) return true
  if (process.env.CI === "true") throw new Error(`CI=true but postgres is not installed (${INSTALL})`)
  console.log(`skipping the Postgres tests: postgres is not installed (${INSTALL})`)
  return false
}

/** Who runs the server: the current user, unless that is root. */
const account = (): { readonly uid: number; readonly gid: number; readonly name: string } | undefined => {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined
  for (const name of ["postgres", "nobody"]) {
    try {
      const [uid, gid] = execFileSync("sh", ["-c", `id -u ${name} && id -g ${name}`], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map(Number)
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid: uid!, gid: gid!, name }
    } catch {
      // no such user: try the next
    }
  }
  throw new Error("running as root, and neither a postgres nor a nobody user exists to run postgres as")
}

const run = (
  executable: string,
  args: ReadonlyArray<string>,
  user: ReturnType<typeof account>
): Promise<{ readonly code: number | null; readonly output: string }> =>
  new Promise((resolve) => {
    const child = spawn(executable, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
      env: { ...process.env, LC_ALL: "C" }
    })
    let output = ""
    child.stdout?.on("data", (chunk) => {
      output += chunk
    })
    child.stderr?.on("data", (chunk) => {
      output += chunk
    })
    child.once("error", (error) => resolve({ code: -1, output: String(error) }))
    child.once("exit", (code) => resolve({ code, output }))
  })

/**
 * A running server: its port, a connection URL to its database (user `postgres`, trust authentication on loopback),
 * and how to stop it (and remove its directory).
 *
 * @since 0.1.0
 */
export interface Server {
  readonly port: number
  readonly url: string
  readonly database: string
  readonly stop: () => Promise<void>
}

/**
 * Starts a server and waits until its database exists (30 s at most).
 *
 * @since 0.1.0
 */
export const start = async (options: { readonly database?: string | undefined } = {}): Promise<Server> => {
  const bin = binDir()
  if (bin === undefined) throw new Error(`postgres is not installed (${INSTALL})`)
  const user = account()
  const database = options.database ?? "effect_mistral"
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-postgres-"))
  const data = path.join(dir, "data")
  if (user !== undefined) fs.chownSync(dir, user.uid, user.gid)
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true })

  const init = await run(
    path.join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"],
    user
  )
  if (init.code !== 0) {
    removeDir()
    throw new Error(`initdb failed (${init.code}): ${init.output}`)
  }
  const port = await freePort()
  const child: ChildProcess = spawn(
    path.join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir, "-c", "fsync=off", "-c", "max_connections=200"],
    { stdio: "ignore", ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) }
  )
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        removeDir()
        resolve()
      }
      if (child.exitCode !== null || child.signalCode !== null) return done()
      child.once("exit", done)
      // fast shutdown: active connections are closed
      child.kill("SIGINT")
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
    })

  const deadline = Date.now() + 30_000
  while (true) {
    const created = await run(
      path.join(bin, "createdb"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", database],
      user
    )
    if (created.code === 0) break
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop()
      throw new Error(`postgres did not start on port ${port}: ${created.output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { port, url: `postgres://postgres@127.0.0.1:${port}/${database}`, database, stop }
}
