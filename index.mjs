// ES module entry: the same objects as require('lazyfree').
import lazyfree from './index.js'

export const { Dropper, Keyspace, NativeValue, defaultDropper } = lazyfree
export default lazyfree
