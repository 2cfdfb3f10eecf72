// @switchyard/config: YAML configuration files checked with zod, with located errors.
export { ConfigError } from './config-error.js'
export { keyPath } from './key-path.js'
export { formatIssues, loadYamlConfig, parseYamlConfig } from './yaml-config.js'
