export { PROXY_NODE_FLAGS } from './node-flags.js'
