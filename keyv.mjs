// ES module entry of lazyfree/keyv: the same objects as require('lazyfree/keyv').
import keyv from './keyv.js'

export const { KeyvLazyfree, createKeyv, escapeGlob } = keyv
export default keyv
