// Object-name validation with apimachinery's exact messages: DNS subdomains for custom resources,
// EndpointSlices and Leases, DNS-1035 labels for Services (reference §1).
import type { FieldError } from './status.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

export function nameErrors(name: string, rule: 'subdomain' | 'dns1035'): FieldError[] {
  const field = 'metadata.name'
  const shown = JSON.stringify(name)
  if (name === '') {
    return [
      {
        field,
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
      },
    ]
  }
  const max = rule === 'subdomain' ? 253 : 63
  const errors: FieldError[] = []
  if (name.length > max) {
    errors.push({
      field,
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shown}: must be no more than ${max} characters`,
    })
  }
  const ok = rule === 'subdomain' ? SUBDOMAIN.test(name) : DNS1035.test(name)
  if (!ok) {
    errors.push({
      field,
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shown}: ${rule === 'subdomain' ? SUBDOMAIN_MESSAGE : DNS1035_MESSAGE}`,
    })
  }
  return errors
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** generateName's suffix: five characters from apimachinery's alphabet (no vowels). */
export function generateSuffix(): string {
  let out = ''
  for (let i = 0; i < 5; i++) {
    out += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)]
  }
  return out
}
