// How deploy/ names Switchyard's images, and where a container runtime would pull an image
// reference from. Ours are `registry.invalid/switchyard/<Dockerfile target>:<version>`: the
// `.invalid` top-level domain never resolves (RFC 2606), so a cluster pulls nothing until the
// user loads the images or points them at a registry of their own. A bare `switchyard/namerd`
// would be pulled from Docker Hub's `switchyard` namespace, which this project does not own.

export const OUR_REGISTRY = 'registry.invalid/switchyard/'

/** The Dockerfile target and tag of one of our images, or undefined for another image. */
export function ourImage(image: string): { target: string; tag: string } | undefined {
  if (!image.startsWith(OUR_REGISTRY)) return undefined
  const m = /^([a-z-]+):([^:/@]+)$/.exec(image.slice(OUR_REGISTRY.length))
  return m === null ? undefined : { target: m[1]!, tag: m[2]! }
}

/**
 * The reference as a container runtime resolves it (Docker's normalisation, which containerd
 * and CRI-O follow): a first component with no `.` or `:` and other than `localhost` is a
 * Docker Hub repository, and a single component is in its `library/`.
 */
export function resolvedImage(image: string): string {
  const slash = image.indexOf('/')
  const first = slash < 0 ? '' : image.slice(0, slash)
  const hasHost =
    first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost')
  if (hasHost) return image
  return `docker.io/${slash < 0 ? `library/${image}` : image}`
}
