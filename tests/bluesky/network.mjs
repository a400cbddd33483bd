// Bluesky's reference network for the connector tests: a PDS, an AppView on PostgreSQL and a PLC
// directory (@atproto/dev-env's TestNetwork), in this one process.
//
//   DATABASE_URL=postgres://root@127.0.0.1:5432/<db> node tests/bluesky/network.mjs
//
// The AppView and Ozone get schemas of their own on that server (appview_<name>, ozone_<name>; the
// name is letters only, random unless BLUESKY_SCHEMA names it), dropped again when the network stops.
// It prints one JSON line when it is up: {"ready": true, "pds": <url>, "appview": <url>, "plc": <url>}.
// Then it answers one JSON line per command read on stdin, each {"id": n, "cmd": ...}:
//   {"cmd": "process"}                     → wait until the AppView has indexed everything the PDS
//                                            wrote (TestNetwork.processAll): {"id", "ok": true}
//   {"cmd": "expiredToken", "did": <did>}  → an access token of the account that expired a minute
//                                            ago, signed by the PDS: {"id", "ok": true, "token"}
// It stops (TestNetwork.close) when stdin closes, or on SIGTERM or SIGINT.
//
// dev-env asserts REDIS_HOST is set, but neither the PDS nor the AppView of this version connects to
// Redis (the PDS only with PDS_REDIS_SCRATCH_ADDRESS, which is not set here).
import { createRequire } from 'node:module'
import readline from 'node:readline'
import crypto from 'node:crypto'

const require = createRequire(import.meta.url)
const { TestNetwork } = require('@atproto/dev-env')
const { createAccessToken } = require('@atproto/pds/dist/account-manager/helpers/auth.js')
const pg = require('pg')

const say = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const databaseUrl = process.env.DATABASE_URL || ''
if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
  say({ ready: false, error: 'DATABASE_URL must name a PostgreSQL database (postgres://…)' })
  process.exit(2)
}
process.env.REDIS_HOST = process.env.REDIS_HOST || '127.0.0.1:6379'
const schema =
  process.env.BLUESKY_SCHEMA ||
  'kv' + Array.from(crypto.randomBytes(10), (b) => String.fromCharCode(97 + (b % 26))).join('')
if (!/^[a-z]{1,40}$/.test(schema)) {
  say({ ready: false, error: 'BLUESKY_SCHEMA must be 1–40 lower-case letters' })
  process.exit(2)
}

async function dropSchemas() {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    for (const name of [`appview_${schema}`, `ozone_${schema}`]) {
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
    }
  } finally {
    await client.end()
  }
}

let network
try {
  network = await TestNetwork.create({ dbPostgresUrl: databaseUrl, dbPostgresSchema: schema })
} catch (err) {
  say({ ready: false, error: String(err && err.stack ? err.stack : err) })
  await dropSchemas().catch(() => {})
  process.exit(1)
}

let closing = null
function stop(code = 0) {
  if (!closing) {
    closing = (async () => {
      try {
        await network.close()
      } catch (err) {
        process.stderr.write(`close: ${err}\n`)
      }
      await dropSchemas().catch((err) => process.stderr.write(`drop schemas: ${err}\n`))
      process.exit(code)
    })()
  }
  return closing
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))

async function answer(command) {
  if (command.cmd === 'process') {
    await network.processAll(command.timeout || 10000)
    return {}
  }
  if (command.cmd === 'expiredToken') {
    const token = await createAccessToken({
      did: command.did,
      jwtKey: network.pds.jwtSecretKey(),
      serviceDid: network.pds.ctx.cfg.service.did,
      scope: command.scope || 'com.atproto.appPass',
      expiresIn: Math.floor(Date.now() / 1000) - 60,
    })
    return { token }
  }
  throw new Error(`unknown command ${JSON.stringify(command.cmd)}`)
}

const lines = readline.createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  let command
  try {
    command = JSON.parse(line)
  } catch {
    say({ ok: false, error: 'not JSON' })
    return
  }
  try {
    say({ id: command.id, ok: true, ...(await answer(command)) })
  } catch (err) {
    say({ id: command.id, ok: false, error: String(err) })
  }
})
lines.on('close', () => stop(0))

say({
  ready: true,
  pds: network.pds.url,
  appview: network.bsky.url,
  plc: network.plc.url,
  schema,
})
