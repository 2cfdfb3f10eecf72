import { hostPort } from '@switchyard/wire'
import t from 'tap'

t.test('an address and its port, with IPv6 in brackets', async (t) => {
  t.equal(hostPort('10.0.0.5', 8080), '10.0.0.5:8080')
  t.equal(hostPort('::1', 4180), '[::1]:4180')
  t.equal(hostPort('fe80::1%eth0', 80), '[fe80::1%eth0]:80')
  t.equal(hostPort('localhost', 4180), 'localhost:4180')
  t.equal(hostPort('[::1]', 4180), '[::1]:4180', 'already bracketed: not twice')
})
