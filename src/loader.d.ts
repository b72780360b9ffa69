import type * as Binding from '../binding';
/** The addon of this environment. */
export declare const native: typeof Binding;
/** The generated typings of the addon, for the modules that name its handles. */
export type { Binding };
