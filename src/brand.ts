// Identity across copies of the module, and refusal to be cloned: the brand
// symbols every lazyfree object carries and the protocol by which one copy
// of lazyfree asks another copy's object for its native handle.

// --- identity across copies, and refusing to be cloned ---
//
// Each lazyfree object carries one own enumerable property, `lazyfree`,
// holding a registered symbol. Two things follow. The structured clone
// algorithm (`structuredClone`, `postMessage`) cannot clone a symbol, so
// cloning or posting the object throws a `DataCloneError` on every Node
// version, instead of sending an empty object; and the symbol is the same in
// every copy of this module loaded in the process (`Symbol.for`), so a copy
// can tell another copy's objects by it and ask them for their native handle
// through a method registered the same way. The property is a plain field:
// making an object costs one store.

/**
 * The `lazyfree` property of each kind of object; its description is the
 * clone error's message. This one: a NativeValue's.
 */
export const NATIVE_VALUE_BRAND = Symbol.for(
  'lazyfree.NativeValue: a NativeValue cannot be cloned or posted (its memory is native); post value.toJS() instead',
)
/** A Dropper's `lazyfree` property. */
export const DROPPER_BRAND = Symbol.for(
  'lazyfree.Dropper: a Dropper cannot be cloned or posted; each thread makes its own',
)
/** A Keyspace's `lazyfree` property. */
export const KEYSPACE_BRAND = Symbol.for(
  'lazyfree.Keyspace: a Keyspace cannot be cloned or posted; share one between threads with Keyspace.open(name)',
)
/** The prototype method, in every copy, that answers an object's native handle. */
export const HANDLE_OF = Symbol.for('lazyfree.handleOf')
/**
 * The prototype method, in every copy, that answers an object's id for the
 * fast functions (crate/glue/fast.rs). Ids live in the addon's per-thread
 * tables, which every copy of this module in the thread shares; the addon
 * refuses an id it does not know.
 */
export const ID_OF = Symbol.for('lazyfree.idOf')

/**
 * The native handle of an object carrying `brand`, made by this copy of the
 * module or another, or `undefined`.
 */
export function foreignHandle(value: unknown, brand: symbol): unknown {
  if (value === null || typeof value !== 'object') return undefined
  if ((value as { lazyfree?: unknown }).lazyfree !== brand) return undefined
  const handleOf = (value as { [HANDLE_OF]?: unknown })[HANDLE_OF]
  return typeof handleOf === 'function' ? handleOf.call(value) : undefined
}

/**
 * The fast-path id of an object carrying `brand`, made by this copy of the
 * module or another, or `undefined`.
 */
export function idOf(value: unknown, brand: symbol): number | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if ((value as { lazyfree?: unknown }).lazyfree !== brand) return undefined
  const id = (value as { [ID_OF]?: unknown })[ID_OF]
  return typeof id === 'function' ? (id.call(value) as number) : undefined
}
