// Which resources the fake serves right now: the built-ins and the installed CRDs' versions,
// with the optional just-installed behaviour of a real server (a short plain-404 window, then
// creates held until ~2 s after the CRD became Established; reference §2.3 and §5).
import { type Crd, crdResourceTypes, parseCrd } from './crd.js'
import { BUILTINS, type ResourceType } from './resource-type.js'

interface Installed {
  readonly crd: Crd
  readonly types: ResourceType[]
  readonly installedAt: number
}

export interface RegistryOptions {
  /** Milliseconds after installCrd during which its paths still answer the plain 404. */
  readonly crdNotFoundMs: number
  /** Milliseconds after installCrd during which a create is held (until the window ends). */
  readonly crdCreateHoldMs: number
}

export class Registry {
  private readonly crds = new Map<string, Installed>()

  constructor(private readonly options: RegistryOptions) {}

  /** Installs or replaces a CRD (a replaced one keeps its objects and its install time). */
  install(input: unknown): { crd: Crd; replaced: boolean } {
    const crd = parseCrd(input)
    const name = crd.metadata.name
    const before = this.crds.get(name)
    this.crds.set(name, {
      crd,
      types: crdResourceTypes(crd),
      installedAt: before?.installedAt ?? Date.now(),
    })
    const replaced = before !== undefined && JSON.stringify(before.crd) !== JSON.stringify(crd)
    return { crd, replaced }
  }

  uninstall(name: string): Crd | undefined {
    const installed = this.crds.get(name)
    this.crds.delete(name)
    return installed?.crd
  }

  /** The resource type served at this group/version/plural, or undefined (plain 404). */
  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    const builtin = BUILTINS.find(
      (b) => b.group === group && b.version === version && b.plural === plural,
    )
    if (builtin !== undefined) return builtin
    const installed = this.crds.get(`${plural}.${group}`)
    if (installed === undefined) return undefined
    if (Date.now() - installed.installedAt < this.options.crdNotFoundMs) return undefined
    return installed.types.find((t) => t.version === version)
  }

  /** How long a create must still wait after the CRD's install (0 = none). */
  createHoldMs(rt: ResourceType): number {
    if (!rt.custom || this.options.crdCreateHoldMs <= 0) return 0
    const installed = this.crds.get(`${rt.plural}.${rt.group}`)
    if (installed === undefined) return 0
    return Math.max(0, installed.installedAt + this.options.crdCreateHoldMs - Date.now())
  }

  /** The type for an object's apiVersion + kind (the direct API), ignoring the 404 window. */
  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    const slash = apiVersion.indexOf('/')
    const group = slash < 0 ? '' : apiVersion.slice(0, slash)
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1)
    const builtin = BUILTINS.find(
      (b) => b.group === group && b.version === version && b.kind === kind,
    )
    if (builtin !== undefined) return builtin
    for (const installed of this.crds.values()) {
      const t = installed.types.find(
        (x) => x.group === group && x.version === version && x.kind === kind,
      )
      if (t !== undefined) return t
    }
    return undefined
  }

  /** Every served type (for discovery). */
  all(): ResourceType[] {
    return [...BUILTINS, ...[...this.crds.values()].flatMap((i) => i.types)]
  }
}
