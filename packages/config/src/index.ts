// @switchyard/config: YAML configuration files checked with zod, with located errors.
export { closestKey } from './closest-key.js'
export { ConfigError } from './config-error.js'
export { keyPath } from './key-path.js'
export { knownKeysAt } from './known-keys.js'
export { formatIssues, type KeyHints, loadYamlConfig, parseYamlConfig } from './yaml-config.js'
