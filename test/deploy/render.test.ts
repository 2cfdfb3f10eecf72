// Every kustomization under deploy/ renders with `kubectl kustomize`, and every object it would
// apply is valid: built-in kinds against the Kubernetes API's schemas, our custom resources
// against the CRDs in deploy/crd, with nothing the API server would prune. Our images are
// named so that no registry serves them until the user says which (images.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import { CrdSchemas } from './crd-schema.js'
import { parseDockerfile } from './dockerfile.js'
import { OUR_REGISTRY, ourImage, resolvedImage } from './images.js'
import { DEPLOY, idOf, kustomizations, ROOT, render, requireKubectl } from './kustomize.js'
import { modelClass, validateBuiltIn } from './models.js'
import { containersOf, workloads } from './workloads.js'

/** The kinds deploy/ uses that have no namespace; every other object must name its own. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
])

if (requireKubectl(t)) {
  const crds = new CrdSchemas(render(join(DEPLOY, 'crd')))

  t.test('deploy/ has the kustomizations docs/kubernetes.md installs', async (t) => {
    const names = kustomizations().map((k) => k.name)
    for (const expected of [
      'deploy/crd',
      'deploy/base',
      'deploy/overlays/etcd',
      'deploy/overlays/from-namerd',
      'deploy/examples/hello-world',
    ]) {
      t.ok(names.includes(expected), `${expected} is a kustomization`)
    }
  })

  for (const k of kustomizations()) {
    t.test(`${k.name} renders, and every object is valid`, async (t) => {
      const objects = render(k.dir)
      t.ok(objects.length > 0, 'renders at least one object')
      const seen = new Set<string>()
      for (const o of objects) {
        const id = idOf(o)
        t.notOk(seen.has(id), `${id} appears once`)
        seen.add(id)
        if (CLUSTER_SCOPED.has(o.kind)) t.notOk(o.metadata.namespace, `${id} has no namespace`)
        // Never the namespace of whoever runs kubectl apply.
        else t.ok(o.metadata.namespace, `${id} names its namespace`)
        if (modelClass(o) !== undefined) {
          t.same(validateBuiltIn(o), [], `${id} is valid against the Kubernetes schema`)
        } else {
          t.ok(crds.defines(o), `${id}: a CRD in deploy/crd defines ${o.apiVersion} ${o.kind}`)
          t.same(crds.validate(o), [], `${id} is valid against its CRD, nothing pruned`)
        }
      }
    })
  }

  t.test('every image is a Dockerfile target at the packages’ version, or pinned', async (t) => {
    const targets = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages.map(
      (s) => s.name,
    )
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'packages/namerd/package.json'), 'utf8')) as {
        version: string
      }
    ).version
    const images = new Set<string>()
    for (const k of kustomizations()) {
      for (const w of workloads(render(k.dir))) {
        for (const c of containersOf(w)) images.add(c.image ?? '')
      }
    }
    for (const image of images) {
      const ours = ourImage(image)
      if (ours !== undefined) {
        t.ok(targets.includes(ours.target), `${image}: docker build --target ${ours.target}`)
        t.equal(ours.tag, version, `${image}: tagged with the packages' version`)
      } else {
        t.match(
          image,
          /^registry\.k8s\.io\/etcd:3\.5\.[0-9]+-0$/,
          `${image}: a pinned upstream image`,
        )
      }
    }
  })

  t.test('no image can be pulled from a registry namespace the project does not own', async (t) => {
    let ours = 0
    for (const k of kustomizations()) {
      for (const w of workloads(render(k.dir))) {
        for (const c of containersOf(w)) {
          const image = c.image ?? ''
          t.notMatch(
            resolvedImage(image),
            /^docker\.io\/switchyard\//,
            `${k.name} ${w.id}: ${image} is not Docker Hub's switchyard/`,
          )
          if (/switchyard/.test(image)) {
            ours++
            t.ok(
              image.startsWith(OUR_REGISTRY),
              `${k.name} ${w.id}: ${image} is under ${OUR_REGISTRY}, which never resolves`,
            )
          }
        }
      }
    }
    t.ok(ours >= 5, 'namerd and the proxy in the base and overlays, the example')
  })

  t.test('the overlay docs/kubernetes.md gives runs the images from your registry', async (t) => {
    const doc = readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8')
    const block = /```yaml\n( *)# my-switchyard\/kustomization\.yaml\n([\s\S]*?)\n *```/.exec(doc)
    if (block === null)
      throw new Error('docs/kubernetes.md has no my-switchyard/kustomization.yaml')
    const indent = block[1]!.length
    const yaml = block[2]!
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n')
    const dir = mkdtempSync(join(tmpdir(), 'my-switchyard-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // Its `resources` is a path to your copy of deploy/base: this one.
    const base = relative(dir, join(DEPLOY, 'base'))
    writeFileSync(join(dir, 'kustomization.yaml'), yaml.replace('../switchyard/deploy/base', base))
    const images = workloads(render(dir)).flatMap((w) => containersOf(w).map((c) => c.image))
    t.same([...new Set(images)].sort(), [
      'registry.example.com/switchyard/namerd:0.1.0',
      'registry.example.com/switchyard/proxy:0.1.0',
    ])
  })

  t.test('image references resolve as a container runtime resolves them', async (t) => {
    t.equal(resolvedImage('switchyard/namerd:0.1.0'), 'docker.io/switchyard/namerd:0.1.0')
    t.equal(resolvedImage('nginx'), 'docker.io/library/nginx')
    t.equal(resolvedImage('registry.k8s.io/etcd:3.5.21-0'), 'registry.k8s.io/etcd:3.5.21-0')
    t.equal(resolvedImage('localhost/x:1'), 'localhost/x:1')
    t.equal(resolvedImage('host:5000/x:1'), 'host:5000/x:1')
    t.equal(
      resolvedImage('registry.invalid/switchyard/proxy:0.1.0'),
      'registry.invalid/switchyard/proxy:0.1.0',
    )
    t.same(ourImage('registry.invalid/switchyard/proxy:0.1.0'), { target: 'proxy', tag: '0.1.0' })
    t.equal(ourImage('switchyard/proxy:0.1.0'), undefined)
  })

  t.test('the CRD schema check catches what the API server would prune', async (t) => {
    const dtab = {
      apiVersion: 'l5d.io/v1alpha1',
      kind: 'DTab',
      metadata: { name: 'internal', namespace: 'switchyard' },
    }
    t.same(crds.validate({ ...dtab, dentries: [{ prefix: '/svc', dst: '/host' }] }), [])
    t.match(crds.validate({ ...dtab, spec: { dentries: [] } }), [/DTab\.spec: .*prune/])
    t.match(crds.validate({ ...dtab, dentries: [{ prefix: 1, dst: '/host' }] }), [
      /dentries\[0\]\.prefix: must be string/,
    ])
    t.match(crds.validate({ ...dtab, dentries: [{ prefix: '/a', dst: '/b', weight: 2 }] }), [
      /dentries\[0\]\.weight: .*prune/,
    ])
  })

  t.test('the Kubernetes schema check catches a wrong type', async (t) => {
    const problems = validateBuiltIn({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x' },
      spec: { ports: [{ port: '4180' }] },
    })
    t.match(problems, [/port must be integer/])
  })
}
