import { Path } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'
import {
  isNamespaceName,
  isPortName,
  isServiceName,
  labelKeyProblem,
  parseK8sName,
} from '../src/k8s/names.js'

const p = Path.read

t.test('a name is namespace, port, service, then the residual', async (t) => {
  t.same(parseK8sName(p('/default/http/web/api/v1'), false), {
    namespace: 'default',
    port: { type: 'name', name: 'http' },
    service: 'web',
    id: p('/default/http/web'),
    residual: p('/api/v1'),
  })
  t.same(parseK8sName(p('/prod/8080/web'), false)?.port, { type: 'number', number: 8080 })
})

t.test('with a labelSelector the fourth segment is the label value', async (t) => {
  t.same(parseK8sName(p('/default/http/web/v2/rest'), true), {
    namespace: 'default',
    port: { type: 'name', name: 'http' },
    service: 'web',
    labelValue: 'v2',
    id: p('/default/http/web/v2'),
    residual: p('/rest'),
  })
  t.equal(parseK8sName(p('/default/http/web'), true), undefined, 'the label value is required')
})

t.test('segments are lowercased, as Linkerd lowercases them', async (t) => {
  t.same(parseK8sName(p('/Default/HTTP/Web/V2'), true)?.id, p('/default/http/web/v2'))
  t.same(parseK8sName(p('/default/http/web/Rest'), false)?.residual, p('/Rest'))
})

t.test('names Kubernetes could not hold are refused without asking it', async (t) => {
  const refused = [
    '/default/http', // too short
    '/bad_ns/http/web',
    `/${'n'.repeat(64)}/http/web`,
    '/default/http/9web', // a Service name starts with a letter
    '/default/http/web-',
    '/default/http/we.b',
    '/default/0/web',
    '/default/65536/web',
    '/default/http--2/web',
    '/default/-http/web',
    '/default/averyveryverylongportname/web',
    '/default/h_ttp/web',
    '/default/http/w\\xc3\\xa9b',
    '/default/\\x00/web',
  ]
  for (const path of refused) t.equal(parseK8sName(p(path), false), undefined, path)
  t.equal(parseK8sName(Path.utf8('default', 'http', 'web', 'bad value!'), true), undefined)
  t.equal(parseK8sName(p(`/default/http/web/${'v'.repeat(64)}`), true), undefined)
})

t.test('the Kubernetes name rules', async (t) => {
  t.ok(isNamespaceName('kube-system'))
  t.ok(isNamespaceName('0abc'))
  t.notOk(isNamespaceName('Abc'))
  t.ok(isServiceName('web-v1'))
  t.notOk(isServiceName('1web'))
  t.ok(isPortName('http'))
  t.ok(isPortName('h2c-8080'))
  t.notOk(isPortName('8080'), 'a port name has a letter')
  t.notOk(isPortName('a'.repeat(16)))
  t.equal(labelKeyProblem('version'), undefined)
  t.equal(labelKeyProblem('app.kubernetes.io/version'), undefined)
  t.match(labelKeyProblem('Bad_Prefix/x'), /prefix "Bad_Prefix" is not a DNS subdomain/)
  t.match(labelKeyProblem('a b'), /"a b" is not a label name/)
  t.match(labelKeyProblem(''), /is not a label name/)
  t.match(labelKeyProblem('x/'), /is not a label name/)
})

t.test('any path reads without throwing, and what it accepts is a valid name', async (t) => {
  const elem = fc.oneof(
    fc.string({ minLength: 1, maxLength: 70 }),
    fc.stringMatching(/^[a-zA-Z0-9_.-]{1,20}$/),
    fc.constantFrom('default', 'http', 'HTTP', '8080', '0', 'web', 'v2'),
  )
  fc.assert(
    fc.property(fc.array(elem, { maxLength: 6 }), fc.boolean(), (path, labelled) => {
      const name = parseK8sName(path, labelled)
      if (name === undefined) return true
      return (
        isNamespaceName(name.namespace) &&
        isServiceName(name.service) &&
        name.id.length === (labelled ? 4 : 3) &&
        Path.show(Path.concat(name.id, name.residual)).toLowerCase() ===
          Path.show(path).toLowerCase()
      )
    }),
  )
  t.pass('200 random paths')
})
