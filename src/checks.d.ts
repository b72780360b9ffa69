/** How a value is named in messages: `null`, `a string`, `an instance of Date`. */
export declare function describe(value: unknown): string;
/** Whether `value` can be walked with `for…of` (strings excepted: they are scalars). */
export declare function isIterable(value: unknown): value is Iterable<unknown>;
/**
 * The refusal of a binary view where hash entries were expected. A view is
 * iterable (its numbers), but iterating a large one only to refuse each
 * number as "not a pair" would hold the event loop for seconds.
 */
export declare function binaryAsEntries(value: ArrayBufferView, what: string): TypeError;
/** An array of what `items` holds, or a `TypeError` naming `what`. */
export declare function arrayOf(items: unknown, what: string, expected: string): unknown[];
/** A plain options object (or `undefined`), with only `allowed` names. */
export declare function optionsObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown>;
/** An optional boolean option named `name`. */
export declare function checkBoolean(value: unknown, name: string): boolean | undefined;
/** A key (or pattern, or field, named `name`): a well-formed string. */
export declare function checkKey(key: unknown, name?: string): string;
/**
 * Whether `key` is a string {@link checkKey} accepts, without naming it:
 * callers that check many keys build a name only for one that is refused.
 */
export declare function wellFormedKey(key: unknown): key is string;
/** The refusal of a string with a lone surrogate, naming where it is. */
export declare function notWellFormed(s: string, name: string): TypeError;
/** The keys of a multi-key command: at least one, each a well-formed string. */
export declare function checkKeys(keys: unknown[], command: string): string[];
/**
 * The keys of a multi-key command on the fast path (crate/glue/fast.rs): at
 * least one, each a string. The addon refuses a key with a lone surrogate
 * itself, in `checkKey`'s words, so it is not scanned twice.
 */
export declare function checkKeyTypes(keys: unknown[], command: string): string[];
/** An integer argument; beyond 2^53 it is imprecise, as any JS number is. */
export declare function checkInteger(value: unknown, name: string): number;
/** A number argument named `name` (any number; ranges are checked natively). */
export declare function checkNumber(value: unknown, name: string): number;
/** The variadic arguments of `command`: at least one `what`. */
export declare function needSome(items: unknown[], command: string, what: string): unknown[];
