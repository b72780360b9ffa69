// Argument checks shared by the classes: how a value is named in messages,
// and the checks of keys, integers and option objects. Each throws a
// TypeError or RangeError that names the argument and what was expected.

/** How a value is named in messages: `null`, `a string`, `an instance of Date`. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' || typeof value === 'function') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name
    return name ? `an instance of ${name}` : `a ${typeof value}`
  }
  if (typeof value === 'string') return 'a string'
  if (value === undefined) return 'undefined'
  return `${typeof value} ${String(value)}`
}

/** Whether `value` can be walked with `for…of` (strings excepted: they are scalars). */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  )
}

/**
 * The refusal of a binary view where hash entries were expected. A view is
 * iterable (its numbers), but iterating a large one only to refuse each
 * number as "not a pair" would hold the event loop for seconds.
 */
export function binaryAsEntries(value: ArrayBufferView, what: string): TypeError {
  return new TypeError(
    `${what} is ${describe(value)}; expected a Map, a plain object or an iterable of [field, value] pairs`,
  )
}

/** An array of what `items` holds, or a `TypeError` naming `what`. */
export function arrayOf(items: unknown, what: string, expected: string): unknown[] {
  if (Array.isArray(items)) return items
  if (isIterable(items)) return Array.from(items)
  throw new TypeError(`${what} is ${describe(items)}; expected ${expected}`)
}

/** A plain options object (or `undefined`), with only `allowed` names. */
export function optionsObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} is ${describe(value)}; expected an object`)
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new TypeError(`unknown option '${key}' in ${name}; expected ${allowed.join(', ')}`)
  }
  return value as Record<string, unknown>
}

/** An optional boolean option named `name`. */
export function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} is ${describe(value)}; expected a boolean`)
  }
  return value
}

/** A key (or pattern, or field, named `name`): a well-formed string. */
export function checkKey(key: unknown, name = 'key'): string {
  if (typeof key !== 'string') throw new TypeError(`${name} is ${describe(key)}; expected a string`)
  // A lone surrogate has no UTF-8 form; Node-API would write U+FFFD for it,
  // and distinct keys would collide. (V8 answers a one-byte string at once.)
  if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) throw notWellFormed(key, name)
  return key
}

/**
 * Whether `key` is a string {@link checkKey} accepts, without naming it:
 * callers that check many keys build a name only for one that is refused.
 */
export function wellFormedKey(key: unknown): key is string {
  return typeof key === 'string' && (key as unknown as { isWellFormed(): boolean }).isWellFormed()
}

/** The refusal of a string with a lone surrogate, naming where it is. */
export function notWellFormed(s: string, name: string): TypeError {
  let at = 0
  for (const c of s) {
    const code = c.codePointAt(0) as number
    if (code >= 0xd800 && code <= 0xdfff) break
    at += c.length
  }
  return new TypeError(
    `${name} is a string with a lone surrogate at index ${at} (not well-formed UTF-16, so it has no UTF-8 form); ` +
      'expected well-formed text: mend it with toWellFormed() if replacing it with U+FFFD is acceptable',
  )
}

/** The keys of a multi-key command: at least one, each a well-formed string. */
export function checkKeys(keys: unknown[], command: string): string[] {
  if (keys.length === 0) throw new TypeError(`${command} needs at least one key`)
  // The argument's name is built only for a key that is refused.
  for (let i = 0; i < keys.length; i++) if (!wellFormedKey(keys[i])) checkKey(keys[i], `keys[${i}]`)
  return keys as string[]
}

/**
 * The keys of a multi-key command on the fast path (crate/glue/fast.rs): at
 * least one, each a string. The addon refuses a key with a lone surrogate
 * itself, in `checkKey`'s words, so it is not scanned twice.
 */
export function checkKeyTypes(keys: unknown[], command: string): string[] {
  if (keys.length === 0) throw new TypeError(`${command} needs at least one key`)
  for (let i = 0; i < keys.length; i++) if (typeof keys[i] !== 'string') checkKey(keys[i], `keys[${i}]`)
  return keys as string[]
}

/** An integer argument; beyond 2^53 it is imprecise, as any JS number is. */
export function checkInteger(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} is ${describe(value)}; expected an integer`)
  if (!Number.isInteger(value)) throw new RangeError(`${name} is ${value}; expected an integer`)
  return value
}

/** A number argument named `name` (any number; ranges are checked natively). */
export function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} is ${describe(value)}; expected a number`)
  return value
}

/** The variadic arguments of `command`: at least one `what`. */
export function needSome(items: unknown[], command: string, what: string): unknown[] {
  if (items.length === 0) throw new TypeError(`${command} needs at least one ${what}`)
  return items
}
