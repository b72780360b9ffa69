/**
 * The `lazyfree` property of each kind of object; its description is the
 * clone error's message. This one: a NativeValue's.
 */
export declare const NATIVE_VALUE_BRAND: unique symbol;
/** A Dropper's `lazyfree` property. */
export declare const DROPPER_BRAND: unique symbol;
/** A Keyspace's `lazyfree` property. */
export declare const KEYSPACE_BRAND: unique symbol;
/** The prototype method, in every copy, that answers an object's native handle. */
export declare const HANDLE_OF: unique symbol;
/**
 * The prototype method, in every copy, that answers an object's id for the
 * fast functions (crate/glue/fast.rs). Ids live in the addon's per-thread
 * tables, which every copy of this module in the thread shares; the addon
 * refuses an id it does not know.
 */
export declare const ID_OF: unique symbol;
/**
 * The native handle of an object carrying `brand`, made by this copy of the
 * module or another, or `undefined`.
 */
export declare function foreignHandle(value: unknown, brand: symbol): unknown;
/**
 * The fast-path id of an object carrying `brand`, made by this copy of the
 * module or another, or `undefined`.
 */
export declare function idOf(value: unknown, brand: symbol): number | undefined;
