// Differential test: the Keyspace against a real redis-server.
//
// A seeded generator sends the same random commands, over a small key space
// so that kinds collide and errors happen, to a local redis-server (no
// persistence, 127.0.0.1 only) and to a Keyspace, and compares every reply
// and every error (code and message). TTLs are either long (100 s and more)
// or not positive, so the two clocks never disagree about what has expired;
// TTL replies are compared with a small tolerance for the same reason.
//
// LAZYFREE_DIFF_SEED and LAZYFREE_DIFF_COMMANDS change the seed and the
// number of commands.
import test, { type ExecutionContext } from 'ava'
import { Socket } from 'node:net'
import { Keyspace } from '../index'

// How the project starts a throwaway redis-server, and says it is missing.
const { HAVE_REDIS, INSTALL, startRedisServer } = require('../scripts/redis-server') as {
  HAVE_REDIS: boolean
  INSTALL: string
  startRedisServer(): Promise<{ port: number; url: string; stop(): void }>
}

// The project's one seeded generator (scripts/random.js, shared with the fixtures and stress runs).
const { rng } = require('../scripts/random') as { rng(seed: number): { next(): number } }

const SEED = Number(process.env.LAZYFREE_DIFF_SEED ?? 0x5eed)
const COMMANDS = Number(process.env.LAZYFREE_DIFF_COMMANDS ?? 12_000)

// --- a minimal RESP2 client --------------------------------------------------------

type Resp = string | number | null | Resp[] | { error: string }

/** Parses one reply from `buf` at `at`; `undefined` when it is incomplete. */
function parse(buf: Buffer, at: number): { value: Resp; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at)
  if (eol < 0) return undefined
  const line = buf.toString('utf8', at + 1, eol)
  const next = eol + 2
  switch (String.fromCharCode(buf[at])) {
    case '+':
      return { value: line, next }
    case '-':
      return { value: { error: line }, next }
    case ':':
      return { value: Number(line), next }
    case '$': {
      const len = Number(line)
      if (len < 0) return { value: null, next }
      if (buf.length < next + len + 2) return undefined
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 }
    }
    case '*': {
      const n = Number(line)
      if (n < 0) return { value: null, next }
      const items: Resp[] = []
      let pos = next
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos)
        if (item === undefined) return undefined
        items.push(item.value)
        pos = item.next
      }
      return { value: items, next: pos }
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[at]}`)
  }
}

class Client {
  #socket: Socket
  #buf = Buffer.alloc(0)
  #waiting: Array<(r: Resp) => void> = []

  constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk) => {
      this.#buf = Buffer.concat([this.#buf, chunk])
      for (;;) {
        const r = this.#buf.length > 0 ? parse(this.#buf, 0) : undefined
        if (r === undefined) break
        this.#buf = this.#buf.subarray(r.next)
        this.#waiting.shift()!(r.value)
      }
    })
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = new Socket()
      socket.once('error', reject)
      socket.connect(port, '127.0.0.1', () => resolve(new Client(socket)))
    })
  }

  send(args: string[]): Promise<Resp> {
    let out = `*${args.length}\r\n`
    for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#socket.write(out)
    })
  }

  close() {
    this.#socket.destroy()
  }
}

/** A local redis-server (scripts/redis-server.js) and a client of it. */
async function startRedis(): Promise<{ client: Client; server: { stop(): void } }> {
  const server = await startRedisServer()
  return { client: await Client.connect(server.port), server }
}

// --- the command generator -----------------------------------------------------------

type Normal = unknown
interface Command {
  /** The Redis command, as arguments. */
  redis: string[]
  /** The same command on the keyspace. */
  run: (ks: Keyspace) => unknown
  /** Redis's reply in the keyspace's reply shape. */
  fromRedis: (r: Resp) => Normal
  /** The keyspace's reply, normalised for comparison (unordered replies sorted). */
  fromKeyspace?: (v: unknown) => Normal
}

const score = (s: string | null): number | null =>
  s === null ? null : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s)
const redisNumber = (n: number) => (n === Infinity ? 'inf' : n === -Infinity ? '-inf' : String(n))
const sorted = (v: unknown) => [...(v as string[])].sort()
const same = (r: Resp) => r
const ok = (r: Resp) => r === 'OK'
const bool = (r: Resp) => r === 1
const pairs = (flat: string[]) => {
  const out: Array<[string, string]> = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]])
  return out
}
const byFirst = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

function generator(seed: number): () => Command {
  const r = rng(seed).next
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]
  // Each family mostly uses its own keys, and sometimes the shared ones, so
  // commands mostly succeed and kinds still collide (WRONGTYPE).
  const familyKey = (family: string) => () => (r() < 0.75 ? `${family}${int(0, 3)}` : `k${int(0, 3)}`)
  const [strKey, listKey, hashKey, setKey, zsetKey] = ['s', 'l', 'h', 'S', 'z'].map(familyKey)
  const key = () => pick([strKey, listKey, hashKey, setKey, zsetKey])()
  const member = () => `m${int(0, 9)}`
  const value = () =>
    pick(['v', 'hello', '', 'é', '10', '-3', '0', '007', ' 1', '3.5', '9223372036854775807', member()])
  const some = <T>(make: () => T, max = 3) => Array.from({ length: int(1, max) }, make)
  const scoreArg = () => pick([0, 1, 2, -1, 2.5, -0.5, 10, Infinity, -Infinity])

  const commands: Array<[number, () => Command]> = [
    // strings
    [
      8,
      () => {
        const k = strKey()
        const v = value()
        const o: { ex?: number; px?: number; nx?: boolean; xx?: boolean; keepTtl?: boolean } = {}
        const args = ['SET', k, v]
        const opts = r()
        if (opts < 0.5) {
          // plain
        } else if (opts < 0.6) o.nx = true
        else if (opts < 0.7) o.xx = true
        else if (opts < 0.78) o.ex = pick([100, 1000, 0, -1, 2 ** 62])
        else if (opts < 0.86) o.px = pick([100_000, 500_000, 0, -5])
        else if (opts < 0.92) o.keepTtl = true
        else {
          Object.assign(
            o,
            pick([
              { nx: true, xx: true },
              { ex: 100, px: 100_000 },
              { ex: 100, keepTtl: true },
              { nx: true, ex: 200 },
              { xx: true, px: 200_000 },
            ]),
          )
        }
        if (o.nx) args.push('NX')
        if (o.xx) args.push('XX')
        if (o.ex !== undefined) args.push('EX', String(o.ex))
        if (o.px !== undefined) args.push('PX', String(o.px))
        if (o.keepTtl) args.push('KEEPTTL')
        return { redis: args, run: (ks) => ks.set(k, v, o), fromRedis: ok }
      },
    ],
    [
      5,
      () => {
        const k = strKey()
        return { redis: ['GET', k], run: (ks) => ks.get(k), fromRedis: same }
      },
    ],
    [
      4,
      () => {
        const k = strKey()
        const n = pick([1, -1, 5, -7, 100, 0, 2 ** 52])
        // As a bigint: a sum past 2^53 is exact that way (a number n would be
        // refused with a RangeError, as incrby documents).
        return {
          redis: ['INCRBY', k, String(n)],
          run: (ks) => ks.incrby(k, BigInt(n)),
          fromRedis: same,
          fromKeyspace: (v) => Number(v),
        }
      },
    ],
    [
      3,
      () => {
        const k = strKey()
        const v = value()
        return { redis: ['APPEND', k, v], run: (ks) => ks.append(k, v), fromRedis: same }
      },
    ],
    [
      3,
      () => {
        const ks_ = some(() => (r() < 0.7 ? strKey() : key()), 4)
        return { redis: ['MGET', ...ks_], run: (ks) => ks.mget(...ks_), fromRedis: same }
      },
    ],
    [
      3,
      () => {
        const entries = some(() => [r() < 0.8 ? strKey() : key(), value()] as [string, string], 4)
        const form = r()
        return {
          redis: ['MSET', ...entries.flat()],
          run: (ks) => ks.mset(form < 0.4 ? entries : form < 0.7 ? new Map(entries) : Object.fromEntries(entries)),
          fromRedis: (rep) => (rep === 'OK' ? undefined : rep),
        }
      },
    ],
    [
      2,
      () => {
        const k = strKey()
        return { redis: ['STRLEN', k], run: (ks) => ks.strlen(k), fromRedis: same }
      },
    ],
    // lists
    [
      4,
      () => {
        const k = listKey()
        const vs = some(value)
        return { redis: ['LPUSH', k, ...vs], run: (ks) => ks.lpush(k, ...vs), fromRedis: same }
      },
    ],
    [
      4,
      () => {
        const k = listKey()
        const vs = some(value)
        return { redis: ['RPUSH', k, ...vs], run: (ks) => ks.rpush(k, ...vs), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = listKey()
        return { redis: ['LPOP', k], run: (ks) => ks.lpop(k), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = listKey()
        return { redis: ['RPOP', k], run: (ks) => ks.rpop(k), fromRedis: same }
      },
    ],
    [
      3,
      () => {
        const k = listKey()
        const [a, b] = [int(-6, 6), int(-6, 6)]
        return { redis: ['LRANGE', k, String(a), String(b)], run: (ks) => ks.lrange(k, a, b), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = listKey()
        return { redis: ['LLEN', k], run: (ks) => ks.llen(k), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = listKey()
        const i = int(-5, 5)
        return { redis: ['LINDEX', k, String(i)], run: (ks) => ks.lindex(k, i), fromRedis: same }
      },
    ],
    // hashes
    [
      4,
      () => {
        const k = hashKey()
        const fields = some(() => [member(), value()] as [string, string])
        return {
          redis: ['HSET', k, ...fields.flat()],
          run: (ks) => (fields.length === 1 && r() < 0.5 ? ks.hset(k, fields[0][0], fields[0][1]) : ks.hset(k, fields)),
          fromRedis: same,
        }
      },
    ],
    [
      2,
      () => {
        const k = hashKey()
        const f = member()
        return { redis: ['HGET', k, f], run: (ks) => ks.hget(k, f), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = hashKey()
        const fs = some(member)
        return { redis: ['HDEL', k, ...fs], run: (ks) => ks.hdel(k, ...fs), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = hashKey()
        return {
          redis: ['HGETALL', k],
          run: (ks) => ks.hgetall(k),
          fromRedis: (rep) => (Array.isArray(rep) ? pairs(rep as string[]).sort(byFirst) : rep),
          fromKeyspace: (v) => Object.entries(v as Record<string, string>).sort(byFirst),
        }
      },
    ],
    [
      1,
      () => {
        const k = hashKey()
        return { redis: ['HLEN', k], run: (ks) => ks.hlen(k), fromRedis: same }
      },
    ],
    [
      1,
      () => {
        const k = hashKey()
        const f = member()
        return { redis: ['HEXISTS', k, f], run: (ks) => ks.hexists(k, f), fromRedis: bool }
      },
    ],
    // sets
    [
      4,
      () => {
        const k = setKey()
        const ms = some(member)
        return { redis: ['SADD', k, ...ms], run: (ks) => ks.sadd(k, ...ms), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = setKey()
        const ms = some(member)
        return { redis: ['SREM', k, ...ms], run: (ks) => ks.srem(k, ...ms), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = setKey()
        return {
          redis: ['SMEMBERS', k],
          run: (ks) => ks.smembers(k),
          fromRedis: (rep) => (Array.isArray(rep) ? sorted(rep) : rep),
          fromKeyspace: sorted,
        }
      },
    ],
    [
      1,
      () => {
        const k = setKey()
        const m = member()
        return { redis: ['SISMEMBER', k, m], run: (ks) => ks.sismember(k, m), fromRedis: bool }
      },
    ],
    [
      1,
      () => {
        const k = setKey()
        return { redis: ['SCARD', k], run: (ks) => ks.scard(k), fromRedis: same }
      },
    ],
    // sorted sets
    [
      4,
      () => {
        const k = zsetKey()
        const entries = some(() => [scoreArg(), member()] as [number, string])
        const flat = entries.flat() as Array<number | string>
        return {
          redis: ['ZADD', k, ...entries.flatMap(([s, m]) => [redisNumber(s), m])],
          run: (ks) => ks.zadd(k, flat[0] as number, flat[1] as string, ...flat.slice(2)),
          fromRedis: same,
        }
      },
    ],
    [
      2,
      () => {
        const k = zsetKey()
        const ms = some(member)
        return { redis: ['ZREM', k, ...ms], run: (ks) => ks.zrem(k, ...ms), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = zsetKey()
        const m = member()
        return {
          redis: ['ZSCORE', k, m],
          run: (ks) => ks.zscore(k, m),
          fromRedis: (rep) => (typeof rep === 'object' && rep !== null ? rep : score(rep as string | null)),
        }
      },
    ],
    [
      3,
      () => {
        const k = zsetKey()
        const [a, b] = [int(-6, 6), int(-6, 6)]
        const withScores = r() < 0.5
        return {
          redis: ['ZRANGE', k, String(a), String(b), ...(withScores ? ['WITHSCORES'] : [])],
          run: (ks) => ks.zrange(k, a, b, { withScores }),
          fromRedis: (rep) =>
            Array.isArray(rep) && withScores ? pairs(rep as string[]).map(([m, s]) => [m, score(s)]) : rep,
        }
      },
    ],
    [
      1,
      () => {
        const k = zsetKey()
        return { redis: ['ZCARD', k], run: (ks) => ks.zcard(k), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = zsetKey()
        const n = scoreArg()
        const m = member()
        return {
          redis: ['ZINCRBY', k, redisNumber(n), m],
          run: (ks) => ks.zincrby(k, n, m),
          fromRedis: (rep) => (typeof rep === 'string' ? score(rep) : rep),
        }
      },
    ],
    // keys
    [
      2,
      () => {
        const ks_ = some(key, 4)
        return { redis: ['EXISTS', ...ks_], run: (ks) => ks.exists(...ks_), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const k = key()
        return { redis: ['TYPE', k], run: (ks) => ks.type(k), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const ks_ = some(key)
        return { redis: ['DEL', ...ks_], run: (ks) => ks.del(...ks_), fromRedis: same }
      },
    ],
    [
      1,
      () => {
        const ks_ = some(key)
        return { redis: ['UNLINK', ...ks_], run: (ks) => ks.unlink(...ks_), fromRedis: same }
      },
    ],
    [
      2,
      () => {
        const [a, b] = [key(), key()]
        return {
          redis: ['RENAME', a, b],
          run: (ks) => ks.rename(a, b),
          fromRedis: (rep) => (rep === 'OK' ? undefined : rep),
        }
      },
    ],
    [
      1,
      () => {
        const p = pick(['*', 'k?', 'k[1-3]', '[^k]?', '*1*', 'k\\1', 'x*', '[lh][3-1]', 'S*', '?[!-2]'])
        return { redis: ['KEYS', p], run: (ks) => ks.keys(p), fromRedis: (rep) => sorted(rep), fromKeyspace: sorted }
      },
    ],
    [
      2,
      () => {
        const k = key()
        const s = pick([100, 1000, 0, -1, 2 ** 62])
        return { redis: ['EXPIRE', k, String(s)], run: (ks) => ks.expire(k, s), fromRedis: bool }
      },
    ],
    [
      1,
      () => {
        const k = key()
        const ms = pick([100_000, 0, -10])
        return { redis: ['PEXPIRE', k, String(ms)], run: (ks) => ks.pexpire(k, ms), fromRedis: bool }
      },
    ],
    [
      2,
      () => {
        const k = key()
        return { redis: ['TTL', k], run: (ks) => ks.ttl(k), fromRedis: same }
      },
    ],
    [
      1,
      () => {
        const k = key()
        return { redis: ['PTTL', k], run: (ks) => ks.pttl(k), fromRedis: same }
      },
    ],
    [
      1,
      () => {
        const k = key()
        return { redis: ['PERSIST', k], run: (ks) => ks.persist(k), fromRedis: bool }
      },
    ],
    [1, () => ({ redis: ['DBSIZE'], run: (ks) => ks.size, fromRedis: same })],
    [
      1.5,
      () => {
        // A whole SCAN iteration against one SCAN with a COUNT large enough
        // that redis-server walks its whole table in one call.
        const match = pick([undefined, '*', 'k?', 's*', '[lh]?', '*1*'])
        const type = pick([undefined, undefined, 'string', 'list', 'hash', 'set', 'zset'] as const)
        const count = int(1, 7)
        return {
          redis: ['SCAN', '0', 'COUNT', '100000', ...(match ? ['MATCH', match] : []), ...(type ? ['TYPE', type] : [])],
          run: (ks) => {
            const seen = new Set<string>()
            let cursor = 0
            do {
              const [next, keys] = ks.scan(cursor, { match, count, type })
              keys.forEach((k) => seen.add(k))
              cursor = next
            } while (cursor !== 0)
            return [...seen].sort()
          },
          fromRedis: (rep) => {
            const [cursor, keys] = rep as [string, string[]]
            if (cursor !== '0') throw new Error(`redis-server's SCAN did not finish in one call (cursor ${cursor})`)
            return sorted(keys)
          },
        }
      },
    ],
    [
      0.05,
      () => {
        const async = r() < 0.5
        return {
          redis: ['FLUSHDB', async ? 'ASYNC' : 'SYNC'],
          run: (ks) => ks.flush({ async }),
          fromRedis: (rep) => (rep === 'OK' ? undefined : rep),
        }
      },
    ],
  ]
  const total = commands.reduce((sum, [w]) => sum + w, 0)
  return () => {
    let x = r() * total
    for (const [w, make] of commands) {
      x -= w
      if (x < 0) return make()
    }
    return commands[0][1]()
  }
}

/** TTLs measured a moment apart on two clocks. */
function closeEnough(redis: unknown, ours: unknown, command: string): boolean {
  if (typeof redis !== 'number' || typeof ours !== 'number' || redis < 0 || ours < 0) return false
  return command === 'PTTL' ? Math.abs(redis - ours) <= 200 : Math.abs(redis - ours) <= 1
}

// Without redis-server on PATH the test is reported as skipped, with how to
// install it, so a new clone's `npm test` passes; CI (.ci/run) exports
// LAZYFREE_REQUIRE_REDIS=1, which turns the skip into a failure there.
const TITLE = 'the keyspace answers as redis-server does, reply for reply and error for error'
const REQUIRE_REDIS = process.env.LAZYFREE_REQUIRE_REDIS === '1'

if (HAVE_REDIS) {
  test(TITLE, differential)
} else if (REQUIRE_REDIS) {
  test(TITLE, (t) => {
    t.fail(`LAZYFREE_REQUIRE_REDIS=1 and redis-server is not on PATH: ${INSTALL}`)
  })
} else {
  console.warn(`keyspace-redis.spec.ts: skipped: redis-server is not on PATH; ${INSTALL}`)
  test.skip(`${TITLE} (needs redis-server on PATH; ${INSTALL})`, differential)
}

async function differential(t: ExecutionContext): Promise<void> {
  t.timeout(10 * 60_000)
  const { client, server } = await startRedis()
  const ks = new Keyspace({ hz: 0 })
  const next = generator(SEED)
  const counts = new Map<string, number>()
  let errors = 0
  try {
    for (let i = 0; i < COMMANDS; i++) {
      const command = next()
      const name = command.redis[0]
      counts.set(name, (counts.get(name) ?? 0) + 1)
      const theirs = await client.send(command.redis)
      let ours: unknown
      try {
        const v = command.run(ks)
        ours = command.fromKeyspace ? command.fromKeyspace(v) : v
      } catch (e) {
        const { code, message } = e as { code?: string; message: string }
        t.is(code, message.split(' ')[0], `${name}: error code is the message's prefix`)
        ours = { error: message }
      }
      const expected =
        typeof theirs === 'object' && theirs !== null && 'error' in theirs ? theirs : command.fromRedis(theirs)
      if (typeof theirs === 'object' && theirs !== null && 'error' in theirs) errors++
      if ((name === 'TTL' || name === 'PTTL') && closeEnough(expected, ours, name)) continue
      if (JSON.stringify(expected) !== JSON.stringify(ours)) {
        t.fail(
          `command #${i} (seed ${SEED}): ${command.redis.join(' ')}\n  redis:    ${JSON.stringify(expected)}\n  keyspace: ${JSON.stringify(ours)}`,
        )
        return
      }
    }
    // The final states agree too.
    const keys = ((await client.send(['KEYS', '*'])) as string[]).sort()
    t.deepEqual(ks.keys().sort(), keys)
    t.is(ks.size, keys.length)
    t.log(
      `${COMMANDS} commands (${errors} errors) over ${counts.size} command types, seed ${SEED}; ${keys.length} keys at the end`,
    )
    t.true(counts.size >= 40, 'every command type was exercised')
    t.true(errors > 100, 'errors were exercised')
    t.pass()
  } finally {
    client.close()
    ks.close()
    server.stop()
  }
}
