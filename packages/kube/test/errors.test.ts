// What the API server's failures mean, from the exact bodies a kube-apiserver sends
// (kubernetes-api.md §2.3), and messages that say what to do.
import fc from 'fast-check'
import t from 'tap'
import {
  errorFromResponse,
  KubeError,
  type KubeRequest,
  networkProblem,
  type Resource,
  toKubeError,
} from '../src/index.js'

const SERVER = 'http://127.0.0.1:8001'
const DTABS: Resource = {
  group: 'l5d.io',
  version: 'v1alpha1',
  plural: 'dtabs',
  kind: 'DTab',
  crd: { install: 'kubectl apply -k deploy/crd' },
}
const SLICES: Resource = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
}
const req = (verb: KubeRequest['verb'], name?: string): KubeRequest => ({
  verb,
  resource: DTABS,
  namespace: 'default',
  name,
})

/** What client-node throws for a non-2xx answer: ApiException, body = the raw text. */
function apiException(code: number, body: string | undefined): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers: {} })
}

t.test('the plain-text 404 of a missing CRD says to install it', async (t) => {
  const e = toKubeError(apiException(404, '404 page not found\n'), SERVER, req('list'))
  t.match(e, {
    code: 'crd_missing',
    status: 404,
    message:
      /^the CRD dtabs\.l5d\.io is not installed \(the Kubernetes API at http:\/\/127\.0\.0\.1:8001 does not serve l5d\.io\/v1alpha1 dtabs\): kubectl apply -k deploy\/crd$/,
  })
  const builtin = toKubeError(apiException(404, '404 page not found\n'), SERVER, {
    verb: 'list',
    resource: SLICES,
    namespace: 'default',
  })
  t.match(builtin, {
    code: 'not_served',
    message: /does not serve endpointslices\.discovery\.k8s\.io v1/,
  })
})

t.test('a 404 Status is a missing object', async (t) => {
  const body =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io \\"internal\\" not found","reason":"NotFound","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":404}'
  t.match(toKubeError(apiException(404, body), SERVER, req('get', 'internal')), {
    code: 'not_found',
    reason: 'NotFound',
    apiMessage: 'dtabs.l5d.io "internal" not found',
  })
})

t.test('403 names the verb, the resource and the namespace, and where to grant it', async (t) => {
  const body =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io is forbidden: User \\"reader\\" cannot create resource \\"dtabs\\" in API group \\"l5d.io\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"group":"l5d.io","kind":"dtabs"},"code":403}'
  const e = toKubeError(apiException(403, body), SERVER, req('create', 'internal'))
  t.match(e, {
    code: 'forbidden',
    message:
      /^forbidden: cannot create dtabs\.l5d\.io "internal" in namespace default \(RBAC\): grant it in deploy\/base\/rbac\.yaml: dtabs\.l5d\.io is forbidden: User "reader"/,
  })
  // A watch that is refused gives only the status code.
  const w = toKubeError(Object.assign(new Error('Forbidden'), { statusCode: 403 }), SERVER, {
    verb: 'watch',
    resource: DTABS,
    namespace: 'mesh',
  })
  t.match(w, { code: 'forbidden', message: /cannot watch dtabs\.l5d\.io in namespace mesh/ })
})

t.test(
  "a write into a Kubernetes namespace that does not exist, or is being deleted, says so (not 'not found', not RBAC)",
  async (t) => {
    // kube-apiserver's NamespaceLifecycle admission: the namespace's own NotFound ...
    const missing =
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"mesh\\" not found","reason":"NotFound","details":{"name":"mesh","kind":"namespaces"},"code":404}'
    const m = toKubeError(apiException(404, missing), SERVER, {
      verb: 'create',
      resource: DTABS,
      namespace: 'mesh',
      name: 'internal',
    })
    t.match(m, {
      code: 'namespace_missing',
      message:
        /^the Kubernetes namespace mesh does not exist: cannot create dtabs\.l5d\.io "internal" in namespace mesh; create it \(kubectl create namespace mesh\)/,
    })
    // ... and a 403 whose cause is NamespaceTerminating.
    const terminating =
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io \\"internal\\" is forbidden: unable to create new content in namespace mesh because it is being terminated","reason":"Forbidden","details":{"name":"internal","group":"l5d.io","kind":"dtabs","causes":[{"reason":"NamespaceTerminating","message":"namespace mesh is being terminated","field":"metadata.namespace"}]},"code":403}'
    const e = toKubeError(apiException(403, terminating), SERVER, {
      verb: 'create',
      resource: DTABS,
      namespace: 'mesh',
      name: 'internal',
    })
    t.match(e, {
      code: 'namespace_missing',
      message: /^the Kubernetes namespace mesh is being deleted/,
    })
    t.notMatch(e.message, /RBAC/)
  },
)

t.test('a 403 for system:anonymous says no credentials were sent, not to grant RBAC', async (t) => {
  // What kube-apiserver answers a request without credentials (k8s:https://<apiserver>).
  const body =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io is forbidden: User \\"system:anonymous\\" cannot list resource \\"dtabs\\" in API group \\"l5d.io\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"group":"l5d.io","kind":"dtabs"},"code":403}'
  const e = toKubeError(apiException(403, body), 'https://10.0.0.1:6443', req('list'))
  t.match(e, {
    code: 'forbidden',
    message:
      /^forbidden: the Kubernetes API at https:\/\/10\.0\.0\.1:6443 took the request for system:anonymous because no credentials were sent, and cannot let it list dtabs\.l5d\.io in namespace default: use a kubeconfig or the in-cluster service account \(a plain URL sends no credentials\), or a URL of `kubectl proxy`, which adds yours: dtabs\.l5d\.io is forbidden: User "system:anonymous"/,
  })
  t.notMatch(e.message, /rbac\.yaml/)
})

t.test('409 Conflict and 409 AlreadyExists are told apart by reason', async (t) => {
  const conflict =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on dtabs.l5d.io \\"internal\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409}'
  const exists =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io \\"internal\\" already exists","reason":"AlreadyExists","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409}'
  const precondition =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on DTab.l5d.io \\"internal\\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (372). The object might have been modified","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"DTab"},"code":409}'
  t.equal(
    toKubeError(apiException(409, conflict), SERVER, req('update', 'internal')).code,
    'conflict',
  )
  t.equal(
    toKubeError(apiException(409, exists), SERVER, req('create', 'internal')).code,
    'already_exists',
  )
  t.equal(
    toKubeError(apiException(409, precondition), SERVER, req('delete', 'internal')).code,
    'conflict',
  )
})

t.test('410 (Expired or Gone), 422, 401, 5xx and a 500 without a reason', async (t) => {
  const expired =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The resourceVersion for the provided list is too old.","reason":"Expired","code":410}'
  t.match(toKubeError(apiException(410, expired), SERVER, req('list')), {
    code: 'expired',
    reason: 'Expired',
  })
  t.match(toKubeError(apiException(410, expired.replace('Expired', 'Gone')), SERVER, req('list')), {
    code: 'expired',
    reason: 'Gone',
  })
  const invalid =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"DTab.l5d.io \\"Internal\\" is invalid: metadata.name: Invalid value","reason":"Invalid","details":{"name":"Internal","group":"l5d.io","kind":"DTab","causes":[]},"code":422}'
  t.match(toKubeError(apiException(422, invalid), SERVER, req('create', 'Internal')), {
    code: 'invalid',
    message: /refused to create dtabs\.l5d\.io "Internal" in namespace default as invalid/,
  })
  t.match(toKubeError(apiException(401, undefined), SERVER, req('list')), {
    code: 'unauthorized',
    message: /refused our credentials \(401 Unauthorized\)/,
  })
  t.match(toKubeError(apiException(503, 'upstream connect error'), SERVER, req('list')), {
    code: 'unavailable',
    message: /is unavailable: it answered 503/,
  })
  const noReason =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500}'
  t.match(toKubeError(apiException(500, noReason), SERVER, req('create', 'x')), {
    code: 'unavailable',
    reason: null,
    apiMessage: 'resourceVersion should not be set on objects to be created',
  })
  t.match(toKubeError(apiException(418, 'teapot'), SERVER, req('get', 'x')), {
    code: 'unexpected',
    message: /answered 418 to get dtabs\.l5d\.io "x" in namespace default: teapot/,
  })
})

t.test('an object too large to store is refused as such, not "unavailable"', async (t) => {
  // etcd's request limit, passed on by kube-apiserver as a 500 with no reason ...
  const etcd =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request is too large","code":500}'
  t.match(toKubeError(apiException(500, etcd), SERVER, req('update', 'internal')), {
    code: 'invalid',
    message:
      /refused to update dtabs\.l5d\.io "internal" in namespace default: the object is too large to store \(etcd keeps at most 1\.5 MiB per object/,
  })
  // ... and the apiserver's own limit on a request body.
  const body =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}'
  t.match(toKubeError(apiException(413, body), SERVER, req('create', 'internal')), {
    code: 'invalid',
    message: /too large to store .*limit is 3145728/,
  })
})

t.test('network failures are "unreachable", naming the URL', async (t) => {
  const refused = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8001'), {
      code: 'ECONNREFUSED',
    }),
  })
  t.match(toKubeError(refused, SERVER, req('list')), {
    code: 'unavailable',
    message:
      /^the Kubernetes API at http:\/\/127\.0\.0\.1:8001 is unreachable \(list dtabs\.l5d\.io in namespace default\): connect ECONNREFUSED/,
  })
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
  t.match(toKubeError(timeout, SERVER, req('get', 'a')), {
    code: 'unavailable',
    message: /no answer in time/,
  })
  const several = new TypeError('fetch failed', {
    cause: new AggregateError([
      Object.assign(new Error('connect ECONNREFUSED ::1:8001'), { code: 'ECONNREFUSED' }),
    ]),
  })
  t.equal(networkProblem(several), 'connect ECONNREFUSED ::1:8001')
  t.equal(networkProblem(new Error('something else')), null)
})

t.test(
  'any answer at all becomes a KubeError with a bounded message naming the server',
  async (t) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          fc.string({ maxLength: 2000 }),
          fc.json(),
          fc.constant(undefined),
          fc
            .record({ kind: fc.constant('Status'), message: fc.string(), code: fc.integer() })
            .map((o) => JSON.stringify(o)),
        ),
        (status, body) => {
          const e = errorFromResponse(status, body, SERVER, req('get', 'x'))
          return (
            e instanceof KubeError &&
            e.message.length < 1500 &&
            (e.code === 'forbidden' ||
              e.code === 'crd_missing' ||
              e.message.includes(SERVER) ||
              e.message.includes('dtabs.l5d.io'))
          )
        },
      ),
      { numRuns: 2000 },
    )
    t.pass('2000 random answers')
  },
)
